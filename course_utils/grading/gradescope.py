"""Gradescope autograder bundle: ``python -m course_utils.grading gradescope --assignment NN``.

The zip holds, at its root (Gradescope's documented layout, see
https://gradescope-autograders.readthedocs.io/en/latest/specs/):

* ``setup.sh`` — run once as root when Gradescope builds the image: a virtual environment with
  CPU-only PyTorch (``torch==2.13.0``) and this package installed from the zip;
* ``run_autograder`` — run for every submission: ``python -m course_utils.grading.gradescope run``;
* ``course/`` (the package sources), ``assignments/NN_<slug>.ipynb`` (the instructor source:
  solutions and hidden tests; Gradescope never shows the autograder files to learners) and
  ``gradescope.json`` (assignment number and limits).

``run`` grades the submitted notebook with the same grader and sandbox as ``grade`` and writes
``results/results.json``: the total as ``score`` and one test per case with ``name``, ``score``,
``max_score``, ``status``, ``output`` (the same Chinese feedback line as ``feedback/*.md``) and
``visibility`` (public cases ``visible``, hidden ones ``after_published``). The root
(``/autograder``) is taken from ``GRADESCOPE_ROOT`` so that tests can use a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from .classdata import DONE, load
from .shards import release_of
from .source import find_assignment

ROOT_ENV = "GRADESCOPE_ROOT"
TORCH = "torch==2.13.0"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
_STAMP = (2024, 1, 1, 0, 0, 0)  # fixed timestamps: the same inputs give the same zip bytes

SETUP_SH = f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while building the autograder image.
set -euo pipefail
ROOT="${{{ROOT_ENV}:-/autograder}}"
SOURCE="$ROOT/source"
apt-get update
apt-get install -y python3 python3-pip python3-venv
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --upgrade pip
# CPU-only PyTorch first (the default wheel would pull several GB of CUDA libraries)
"$ROOT/venv/bin/python" -m pip install "{TORCH}" --index-url {TORCH_INDEX}
"$ROOT/venv/bin/python" -m pip install "$SOURCE/course"
"$ROOT/venv/bin/python" -c "import torch, course_utils.grading; print('torch', torch.__version__)"
"""

RUN_AUTOGRADER = f"""#!/usr/bin/env bash
# Gradescope runs this for every submission; it writes $ROOT/results/results.json.
set -uo pipefail
ROOT="${{{ROOT_ENV}:-/autograder}}"
PY="${{COURSE_PYTHON:-$ROOT/venv/bin/python}}"
cd "$ROOT"
exec "$PY" -m course_utils.grading.gradescope run --root "$ROOT"
"""


def build(assignment, out, *, source_dir=None, timeout=20.0, mem_mb=1024) -> Path:
    """Write ``out/gradescope_NN.zip``; return its path."""
    from ..env import repo_root

    repo = repo_root()
    if repo is None:
        raise FileNotFoundError("gradescope 需要在课程仓库的检出目录中运行（要把 pyproject.toml 和"
                                "课程包源码打进 zip）")
    a = find_assignment(Path(source_dir or repo / "assignments"), assignment)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out 指向一个文件，而不是目录：{out}")
    out.mkdir(parents=True, exist_ok=True)
    conf = {"assignment": a.id, "source": a.path.name, "release": release_of(a.path),
            "timeout": float(timeout), "mem_mb": int(mem_mb)}
    files = {"setup.sh": SETUP_SH.encode(), "run_autograder": RUN_AUTOGRADER.encode(),
             "gradescope.json": (json.dumps(conf, indent=1) + "\n").encode(),
             f"assignments/{a.path.name}": a.path.read_bytes(),
             "course/pyproject.toml": (repo / "pyproject.toml").read_bytes(),
             "course/README.md": (repo / "README.md").read_bytes()}
    pkg = repo / "course_utils"
    for f in sorted(pkg.rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts and f.suffix in (".py", ".json", ".txt"):
            files[f"course/{f.relative_to(repo).as_posix()}"] = f.read_bytes()
    path = out / f"gradescope_{a.id}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, _STAMP)
            info.external_attr = (0o755 if name in ("setup.sh", "run_autograder") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def pick_notebook(found, assignment_file: str):
    """The notebook to grade among the submitted ones, or ``(None, reason)``."""
    if len(found) == 1:
        return found[0][1], ""
    named = [p for _, p in found if p.name.lower() == assignment_file.lower()]
    if len(named) == 1:
        return named[0], f"提交中有 {len(found)} 份笔记本，评分的是与作业同名的 {named[0].name}"
    if not found:
        return None, "提交中没有找到 .ipynb 笔记本：请上传填好的作业笔记本"
    names = "、".join(p.name for _, p in found)
    return None, (f"提交中有 {len(found)} 份笔记本（{names}），无法确定评哪一份："
                  f"请只上传一份（或把作业笔记本命名为 {assignment_file}）")


def results_json(doc: dict, note: str = "", seconds: float | None = None) -> dict:
    """Gradescope's results format for the one submission in a ``results.json`` document."""
    sub, tests, lines = doc["submissions"][0], [], []
    for qn, q in enumerate(doc["assignment"]["questions"], 1):
        r = sub["questions"][q["id"]]
        lines += [f"{q['id']}：{n}" for n in r["notes"]]
        trouble = f"\n⚠️ 评分进程：{r['status']}" if sub["graded"] and r["status"] != DONE else ""
        for k, c in enumerate(r["cases"], 1):
            hidden = c["visibility"] == "hidden"
            kind = "隐藏测试" if hidden else "公开测试"
            weight = f"（权重 {c['weight']:g}）" if c["weight"] != 1 else ""
            why = f" —— {c['feedback']}" if c["feedback"] and not c["passed"] else ""
            tests.append({"name": f"{q['id']} · {q['function']} · {kind}：{c['desc']}",
                          "number": f"{qn}.{k}", "score": c["score"], "max_score": c["max"],
                          "status": "passed" if c["passed"] else "failed",
                          "output": f"{'✅' if c['passed'] else '❌'} {kind}{weight}：{c['desc']}"
                                    f"{why}{trouble}",
                          "tags": [q["id"]], "visibility": "after_published" if hidden else "visible"})
    head = [f"{doc['assignment']['title']}：总分 {sub['total']:g} / {sub['max']:g}"]
    head += [f"注意：{n}" for n in sub["notes"]] + ([note] if note else [])
    head.append("公开测试即笔记本中 check() 运行的测试；隐藏测试在成绩发布后可见，只给出说明，"
                "不公开代码、输入和期望值。")
    res = {"score": sub["total"], "output": "\n".join(head + lines),
           "stdout_visibility": "hidden", "tests": tests}
    if seconds is not None:
        res["execution_time"] = round(seconds, 1)
    return res


def run(root: Path) -> dict:
    """Grade ``root/submission`` into ``root/results/results.json``; return the JSON."""
    from .grader import grade
    from .submissions import find_submissions

    t0 = time.monotonic()
    conf = json.loads((root / "source" / "gradescope.json").read_text(encoding="utf-8"))
    found, _ = find_submissions(root / "submission")
    path, note = pick_notebook(found, conf["source"])
    (root / "results").mkdir(parents=True, exist_ok=True)
    if path is None:
        res = {"score": 0.0, "output": note, "tests": []}
    else:
        with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
            subs = Path(tmp) / "submission"
            subs.mkdir()
            shutil.copy(path, subs / path.name)
            grade(conf["assignment"], subs, Path(tmp) / "out", source_dir=root / "source" / "assignments",
                  jobs=1, timeout=conf["timeout"], mem_mb=conf["mem_mb"])
            res = results_json(load(Path(tmp) / "out"), note, time.monotonic() - t0)
    text = json.dumps(res, ensure_ascii=False, indent=1)
    (root / "results" / "results.json").write_text(text + "\n", encoding="utf-8")
    return res


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m course_utils.grading.gradescope",
                                description="Gradescope 自动评分包内部使用（由 run_autograder 调用）")
    p.add_argument("cmd", choices=["run"])
    p.add_argument("--root", default=os.environ.get(ROOT_ENV, "/autograder"),
                   help=f"Gradescope 根目录（默认取环境变量 {ROOT_ENV}，否则 /autograder）")
    args = p.parse_args(argv)
    import course_utils

    print(f"course_utils 来自 {Path(course_utils.__file__).parent}")
    try:
        res = run(Path(args.root))
    except Exception:  # noqa: BLE001 - the learner still gets a result and a clear line
        traceback.print_exc(file=sys.stdout)  # run_autograder output: instructors only
        res = {"score": 0.0, "tests": [], "output": "评分程序出错，这不是你的问题：请联系教师重新评分。"}
        (Path(args.root) / "results").mkdir(parents=True, exist_ok=True)
        (Path(args.root) / "results" / "results.json").write_text(
            json.dumps(res, ensure_ascii=False), encoding="utf-8")
        return 1
    print(f"总分 {res['score']:g}；{len(res['tests'])} 个测试用例")
    return 0


if __name__ == "__main__":
    sys.exit(main())
