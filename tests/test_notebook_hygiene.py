"""Committed lesson notebooks are what a learner gets: run top to bottom, clean, Colab-ready.

For every ``notebooks/0*.ipynb``:
- it ran top to bottom in one kernel (execution counts 1, 2, 3, ... over the code cells), in
  ``cpu`` (or ``full``) mode, never ``smoke``;
- no error outputs, no stale outputs (an output's execution count equals its cell's; every
  widget view in the outputs has its saved widget state);
- the first markdown cell has an "Open in Colab" badge pointing at this very notebook, the first
  code cell is the guarded Colab install cell and the second calls ``env.setup_notebook()``;
- its jupytext twin ``notebooks/src/NN_name.py`` is in sync (``scripts/notebooks.py check``).
Student assignment notebooks (``notebooks/assignments/*.ipynb``) must be Colab-ready too, and the
README links every lesson notebook to Colab and explains GPU use there.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
LESSONS = sorted(NB_DIR.glob("0*.ipynb"))
ASSIGNMENTS = sorted((NB_DIR / "assignments").glob("*.ipynb"))
BADGE_IMG = "https://colab.research.google.com/assets/colab-badge.svg"
COLAB_LINK = re.compile(
    r"\(https://colab\.research\.google\.com/github/([\w.-]+)/([\w.-]+)/blob/([\w.-]+)/([^)\s]+)\)")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _load_tool():
    spec = importlib.util.spec_from_file_location("notebooks_tool", ROOT / "scripts" / "notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def _text(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return data.get("text/plain", "") if isinstance(data, dict) else ""


lessons = pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])


def test_there_are_lesson_notebooks():
    assert LESSONS, "notebooks/ 里没有课程笔记本（0*.ipynb）"


@lessons
def test_ran_top_to_bottom_in_one_kernel(path):
    nb = _read(path)
    counts = [c.execution_count for c in _code_cells(nb) if c.source.strip()]
    expected = list(range(1, len(counts) + 1))
    assert counts == expected, (
        f"{path.name} 不是从头到尾按顺序运行的：执行编号 {counts}（应为 1..{len(counts)}）。"
        f"请用 `make notebooks NB=notebooks/src/{path.stem}.py` 重新生成")


@lessons
def test_no_errors_and_no_stale_outputs(path):
    nb = _read(path)
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            if cell.get("outputs"):
                problems.append(f"cell {i}: {cell.cell_type} 单元格带有输出")
            continue
        if not cell.source.strip() and cell.outputs:
            problems.append(f"cell {i}: 空单元格带有输出")
        for out in cell.outputs:
            kind = out.output_type
            if kind == "error":
                problems.append(f"cell {i}: 错误输出 {out.ename}: {out.evalue}")
            elif kind == "stream" and "Traceback (most recent call last)" in out.text:
                problems.append(f"cell {i}: 输出里有异常回溯（Traceback）")
            elif kind == "execute_result" and out.execution_count != cell.execution_count:
                problems.append(f"cell {i}: 输出来自第 {out.execution_count} 次执行，"
                                f"单元格却是第 {cell.execution_count} 次（过期输出）")
            if cell.outputs and cell.execution_count is None:
                problems.append(f"cell {i}: 有输出却没有执行编号（过期输出）")
                break
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@lessons
def test_widget_outputs_have_saved_state(path):
    """Every widget view in the outputs refers to a model in the saved widget state, so that
    GitHub, Colab and nbviewer can show the committed controls (no 'model not found')."""
    nb = _read(path)
    views = {out.data[WIDGET_VIEW]["model_id"]
             for cell in _code_cells(nb) for out in cell.outputs
             if out.get("data") and WIDGET_VIEW in out.data}
    if not views:
        return
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    missing = sorted(views - set(state))
    assert not missing, f"{path.name}: {len(missing)} 个控件输出没有保存的控件状态（过期输出）"


@lessons
def test_committed_run_is_not_smoke_mode(path):
    nb = _read(path)
    text = "".join(_text(o) for c in _code_cells(nb)[:3] for o in c.outputs)
    mode = re.search(r"MODE=(\w+)", text)
    assert mode, f"{path.name}: 前几个单元格的输出里找不到 setup_notebook() 打印的运行模式"
    assert mode.group(1) in ("cpu", "full"), (
        f"{path.name} 提交的是 {mode.group(1)} 模式的输出；请用 COURSE_MODE=cpu 重新运行")


def _check_colab_ready(path: Path, lesson: bool) -> list[str]:
    nb = _read(path)
    problems = []
    md = [c for c in nb.cells if c.cell_type == "markdown"]
    first_md = md[0].source if md else ""
    if BADGE_IMG not in first_md:
        problems.append("第一个 Markdown 单元格里没有“在 Colab 中打开”徽章")
    link = COLAB_LINK.search(first_md)
    rel = path.relative_to(ROOT).as_posix()
    if not link:
        problems.append("徽章没有链接到 colab.research.google.com/github/...")
    elif link.group(4) != rel:
        problems.append(f"徽章链接指向 {link.group(4)}，应为 {rel}")
    code = _code_cells(nb)
    first = code[0].source if code else ""
    if '"google.colab" in sys.modules' not in first.replace("'", '"') or "import sys" not in first:
        problems.append('第一个代码单元格应为 `import sys` + `if "google.colab" in sys.modules:` 保护的安装单元格')
    elif not re.search(r"pip install .*git\+https://github\.com/", first):
        problems.append("Colab 安装单元格没有从仓库安装课程支持包（pip install ... git+https://github.com/...）")
    elif link and f"github.com/{link.group(1)}/{link.group(2)}" not in first:
        problems.append("Colab 徽章与安装单元格指向不同的仓库")
    if code and code[0].outputs:
        problems.append("Colab 安装单元格在本地运行时不应有输出")
    if lesson and (len(code) < 2 or "setup_notebook(" not in code[1].source):
        problems.append("第二个代码单元格应调用 env.setup_notebook()")
    return problems


@lessons
def test_colab_ready(path):
    problems = _check_colab_ready(path, lesson=True)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.skipif(not ASSIGNMENTS, reason="还没有生成学生作业笔记本")
@pytest.mark.parametrize("path", ASSIGNMENTS, ids=[p.stem for p in ASSIGNMENTS])
def test_assignment_colab_ready(path):
    problems = _check_colab_ready(path, lesson=False)
    assert not problems, f"assignments/{path.name}:\n" + "\n".join(problems)


@lessons
def test_twin_in_sync(path):
    tool = _load_tool()
    src = NB_DIR / "src" / f"{path.stem}.py"
    assert src.exists(), f"{path.name} 没有 jupytext 源文件 notebooks/src/{path.stem}.py"
    problems = tool.sources_match(src, path)
    assert not problems, "\n".join(problems) + "\n请用 scripts/notebooks.py run 重新生成"


def test_notebooks_check_passes(capsys):
    assert _load_tool().cmd_check() == 0, capsys.readouterr().out


def test_readme_explains_colab():
    """README: Colab badge/link for every lesson notebook, and how to get a GPU there."""
    readme = ROOT / "README.md"
    assert readme.exists(), "缺少 README.md"
    text = readme.read_text(encoding="utf-8")
    missing = [p.name for p in LESSONS
               if not re.search(r"colab\.research\.google\.com/github/[^)\s]+/notebooks/"
                                + re.escape(p.name), text)]
    assert not missing, f"README 里缺少这些笔记本的 Colab 链接：{missing}"
    assert "GPU" in text and "COURSE_MODE" in text, (
        "README 应说明在 Colab 上如何使用 GPU 以及运行模式 COURSE_MODE")
