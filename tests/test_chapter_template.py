"""Every lesson notebook follows one template (DESIGN.md) and TERMINOLOGY.md.

- Cell 1 is the title ``# 第N章 …`` (N = the file's number) with 学习目标 and 先修.
- Level-2 headings are ``## N.k …`` with k = 1, 2, 3, … in order, then the closing sections
  ``## 常见误区`` (chapters 1–5), ``## 小结``, ``## 练习``, ``## 参考文献`` in this order.
- 常见误区: every item is its own markdown cell starting ``**误区 k：…**`` (k = 1, 2, …), and
  the very next cell is the code cell that demonstrates or disproves it, its first line
  ``# 误区 k``.
- 练习: every exercise is its own markdown cell starting ``**练习 k**`` (k = 1, 2, …) with
  one collapsed ``<details><summary>提示与答案</summary> … </details>`` block; a code cell that
  computes a numeric answer may follow it.
- No variant rejected by TERMINOLOGY.md appears in markdown cells or in the string literals of
  code cells (figure titles, axis labels, legends, printed tables) or of ``course_utils``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("0*.ipynb"))
CLOSING = ["常见误区", "小结", "练习", "参考文献"]
DETAILS = "<details><summary>提示与答案</summary>"


def _cells(path):
    return nbformat.read(path, as_version=4).cells


def _number(path) -> int:
    return int(path.name[:2])


def _sections(cells):
    """[(heading, [cells under it])] for the level-2 headings (the title cell is skipped)."""
    out = []
    for cell in cells[1:]:
        first = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
        if cell.cell_type == "markdown" and first.startswith("## "):
            out.append((first[3:].strip(), []))
            rest = cell.source.lstrip().split("\n", 1)
            if len(rest) > 1 and rest[1].strip():
                out[-1][1].append(nbformat.v4.new_markdown_cell(rest[1]))
        elif out:
            out[-1][1].append(cell)
    return out


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_title_cell_first(path):
    cells = _cells(path)
    first = cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# 第{_number(path)}章 "), \
        f"{path.name}: 第一个单元格必须是标题“# 第{_number(path)}章 …”"
    for word in ("学习目标", "先修"):
        assert word in first.source, f"{path.name}: 标题单元格缺少“{word}”"
    assert all("## " not in line[:3] for line in first.source.splitlines()), \
        f"{path.name}: 标题单元格里不要放二级标题"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_sections_are_numbered_then_closing_sections(path):
    n = _number(path)
    heads = [h for h, _ in _sections(_cells(path))]
    numbered = [h for h in heads if h not in CLOSING]
    for k, h in enumerate(numbered, start=1):
        assert h.startswith(f"{n}.{k} "), f"{path.name}: 第 {k} 个二级标题应为“## {n}.{k} …”，实际“## {h}”"
    closing = [h for h in heads if h in CLOSING]
    want = CLOSING if n > 0 else [c for c in CLOSING if c in closing]
    assert closing == want and heads[-len(want):] == want, \
        f"{path.name}: 结尾部分应为 {want}（在编号小节之后、按此顺序），实际 {closing}"


def _section(path, name):
    return next((cells for h, cells in _sections(_cells(path)) if h == name), None)


@pytest.mark.parametrize("path", [p for p in LESSONS if _number(p) > 0], ids=lambda p: p.name)
def test_every_misconception_is_followed_by_its_cell(path):
    cells = _section(path, "常见误区")
    assert cells is not None, f"{path.name}: 缺少“## 常见误区”"
    items = [(i, c) for i, c in enumerate(cells) if c.cell_type == "markdown" and "**误区" in c.source]
    assert items, f"{path.name}: 常见误区里没有“**误区 k：…**”条目"
    for k, (i, cell) in enumerate(items, start=1):
        assert cell.source.lstrip().startswith(f"**误区 {k}："), \
            f"{path.name}: 第 {k} 条误区的单元格应以“**误区 {k}：”开头"
        assert cell.source.count("**误区") == 1, f"{path.name}: 误区 {k} 的单元格里只放一条误区"
        nxt = cells[i + 1] if i + 1 < len(cells) else None
        assert nxt is not None and nxt.cell_type == "code", f"{path.name}: 误区 {k} 后面缺少演示它的代码单元"
        assert nxt.source.lstrip().startswith(f"# 误区 {k}"), \
            f"{path.name}: 误区 {k} 后面的代码单元第一行应为“# 误区 {k}”"
        assert any(o.get("output_type") in ("stream", "execute_result", "display_data")
                   for o in nxt.get("outputs", [])), f"{path.name}: 误区 {k} 的代码单元没有输出"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_exercise_has_a_collapsed_answer(path):
    cells = _section(path, "练习")
    assert cells is not None, f"{path.name}: 缺少“## 练习”"
    items = [c for c in cells if c.cell_type == "markdown" and re.search(r"\*\*练习 \d+", c.source)]
    assert len(items) >= 2, f"{path.name}: 练习至少两道，每道一个以“**练习 k**”开头的单元格"
    for k, cell in enumerate(items, start=1):
        src = cell.source
        assert src.lstrip().startswith(f"**练习 {k}**"), f"{path.name}: 第 {k} 道练习应以“**练习 {k}**”开头"
        assert src.count(DETAILS) == 1 and src.count("</details>") == 1, \
            f"{path.name}: 练习 {k} 需要一个折叠的“{DETAILS}”块"
        body = src.split(DETAILS, 1)[1].split("</details>", 1)[0]
        assert len(body.strip()) >= 20, f"{path.name}: 练习 {k} 的提示与答案太短"
    stray = [c for c in cells if c.cell_type == "markdown" and c not in items and DETAILS in c.source]
    assert not stray


def _rejected_terms() -> dict[str, str]:
    text = (ROOT / "TERMINOLOGY.md").read_text(encoding="utf-8")
    part = text.split("## 不使用的译名", 1)[1]
    rows = re.findall(r"^\|\s*([^|\s][^|]*?)\s*\|\s*([^|]+?)\s*\|$", part, flags=re.M)
    terms = {bad: good for bad, good in rows if bad not in ("不用",) and not set(bad) <= set("-: ")}
    assert len(terms) >= 10
    return terms


def _code_strings(source: str) -> list[str]:
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return [code]
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]




@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_no_rejected_terms_in_notebooks(path):
    terms = _rejected_terms()
    found = []
    for i, cell in enumerate(_cells(path), start=1):
        texts = [cell.source] if cell.cell_type == "markdown" else _code_strings(cell.source)
        for text in texts:
            found += [f"单元格 {i}: “{bad}” → 改用“{terms[bad]}”" for bad in terms if bad in text]
    assert not found, f"{path.name}:\n" + "\n".join(found)


def test_no_rejected_terms_in_course_utils():
    terms = _rejected_terms()
    found = []
    for f in sorted((ROOT / "course_utils").rglob("*.py")):
        if "grading" in f.parts:
            continue
        for s in _code_strings(f.read_text(encoding="utf-8")):
            found += [f"{f.relative_to(ROOT)}: “{bad}” → “{terms[bad]}”" for bad in terms if bad in s]
    assert not found, "\n".join(found)
