"""Instructor sources (``assignments/NN_<slug>.ipynb``): markers, parsing and the release builder.

Markers (the first line of a code cell, or lines inside it):

``### QUESTION q1 function=cosine_warmup points=2``
    first line of the cell holding the reference solution of question ``q1``.
``### BEGIN SOLUTION`` … ``### END SOLUTION``
    lines replaced, in the student version, by ``# 在此处填写你的代码`` + ``raise NotImplementedError``
    (indented like the ``BEGIN`` line). Allowed in any code cell.
``### PUBLIC TESTS q1``
    test cell whose cases are shipped in the package (``check("q1", fn)``); in the student version
    the cell becomes ``check("q1", <function>)``.
``### HIDDEN TESTS q1``
    test cell used only by the grader; removed from the student version.
``### INSTRUCTOR ONLY`` (code) / ``<!-- INSTRUCTOR ONLY -->`` (markdown)
    first line of a cell that is dropped from the student version.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

STUB = "# 在此处填写你的代码"
_QUESTION = re.compile(r"^###\s*QUESTION\s+(\w+)\s+(.*)$")
_TESTS = re.compile(r"^###\s*(PUBLIC|HIDDEN)\s+TESTS\s+(\w+)\s*$")
_BEGIN = re.compile(r"^(\s*)###\s*BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*###\s*END SOLUTION\s*$")
_FILE = re.compile(r"^(\d\d)_([a-z0-9_]+)\.ipynb$")


class MarkerError(ValueError):
    """A malformed instructor source (message in Chinese, names the file and cell)."""


def _points(opts: dict, where: str) -> float:
    """``points=`` of a QUESTION marker: a positive number; ``function=`` a Python name."""
    try:
        points = float(opts["points"])
    except ValueError:
        points = float("nan")
    if not (points > 0 and math.isfinite(points)):
        raise MarkerError(f"{where}：QUESTION 标记的 points= 必须是正数，收到 {opts['points']!r}")
    if not opts["function"].isidentifier():
        raise MarkerError(f"{where}：QUESTION 标记的 function= 必须是函数名，收到 {opts['function']!r}")
    return points


@dataclass
class Question:
    id: str
    function: str
    points: float
    public: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)

    def test_sources(self, hidden: bool = True):
        return [(c, False) for c in self.public] + ([(c, True) for c in self.hidden] if hidden else [])


@dataclass
class Assignment:
    id: str
    slug: str
    title: str
    path: Path
    cells: list[dict]
    questions: dict[str, Question]

    @property
    def max_points(self) -> float:
        return sum(q.points for q in self.questions.values())


def cell_source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def marker_of(cell) -> tuple[str, str | None, str]:
    """``(kind, question_id, rest)`` with kind in question/public/hidden/instructor/plain."""
    first = cell_source(cell).lstrip("\n").split("\n", 1)[0].strip()
    if cell.get("cell_type") == "markdown":
        return ("instructor", None, "") if first == "<!-- INSTRUCTOR ONLY -->" else ("plain", None, "")
    if first == "### INSTRUCTOR ONLY":
        return "instructor", None, ""
    m = _QUESTION.match(first)
    if m:
        return "question", m.group(1), m.group(2)
    m = _TESTS.match(first)
    if m:
        return m.group(1).lower(), m.group(2), ""
    return "plain", None, ""


def read_notebook(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        nb = json.load(fh)
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError(f"{path} 不是有效的 Jupyter 笔记本（缺少 cells）")
    return nb


def load_assignment(path) -> Assignment:
    path = Path(path)
    m = _FILE.match(path.name)
    if not m:
        raise MarkerError(f"作业源文件名 {path.name} 不符合 NN_<slug>.ipynb 的约定")
    cells = read_notebook(path)["cells"]
    questions: dict[str, Question] = {}
    title = ""
    for i, cell in enumerate(cells):
        kind, qid, rest = marker_of(cell)
        src = cell_source(cell)
        if not title and cell.get("cell_type") == "markdown":
            for line in src.splitlines():
                if line.startswith("# "):
                    title = line[2:].strip()
                    break
        if kind == "question":
            opts = dict(kv.split("=", 1) for kv in rest.split() if "=" in kv)
            if "function" not in opts or "points" not in opts or qid in questions:
                raise MarkerError(f"{path.name} 第 {i + 1} 个单元：QUESTION 标记需要唯一的题号以及 "
                                  "function= 和 points=")
            questions[qid] = Question(qid, opts["function"], _points(opts, f"{path.name} 第 {i + 1} 个单元"))
        elif kind in ("public", "hidden"):
            if qid not in questions:
                raise MarkerError(f"{path.name} 第 {i + 1} 个单元：{kind.upper()} TESTS 引用了未定义的题目 {qid}"
                                  "（QUESTION 单元必须在测试之前）")
            getattr(questions[qid], kind).append(src)
        if cell.get("cell_type") == "code":
            _strip_solution(src, f"{path.name} 第 {i + 1} 个单元")  # validates BEGIN/END pairs
    for q in questions.values():
        if not q.public or not q.hidden:
            raise MarkerError(f"{path.name}：题目 {q.id} 需要至少一个 PUBLIC 和一个 HIDDEN 测试单元")
    return Assignment(m.group(1), m.group(2), title, path, cells, questions)


def find_assignment(source_dir, number: str) -> Assignment:
    number = f"{int(number):02d}" if str(number).isdigit() else str(number)
    hits = sorted(Path(source_dir).glob(f"{number}_*.ipynb"))
    if len(hits) != 1:
        raise FileNotFoundError(f"在 {source_dir} 中没有找到作业 {number} 的源文件 {number}_<slug>.ipynb")
    return load_assignment(hits[0])


def _strip_solution(src: str, where: str) -> str:
    out, inside = [], False
    for line in src.split("\n"):
        b = _BEGIN.match(line)
        if b:
            if inside:
                raise MarkerError(f"{where}：BEGIN SOLUTION 嵌套")
            inside = True
            out += [f"{b.group(1)}{STUB}", f"{b.group(1)}raise NotImplementedError"]
        elif _END.match(line):
            if not inside:
                raise MarkerError(f"{where}：END SOLUTION 没有对应的 BEGIN")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError(f"{where}：BEGIN SOLUTION 缺少 END SOLUTION")
    return "\n".join(out)


def solution_lines(a: Assignment) -> tuple[set[str], set[str]]:
    """(lines inside solution regions, lines of hidden test cells) — for leak tests."""
    sol, hidden = set(), set()
    for cell in a.cells:
        kind, _, _ = marker_of(cell)
        src = cell_source(cell)
        if kind == "hidden":
            hidden.update(ln.strip() for ln in src.splitlines()[1:] if ln.strip())
        inside = False
        for line in src.splitlines():
            if _BEGIN.match(line):
                inside = True
            elif _END.match(line):
                inside = False
            elif inside and line.strip():
                sol.add(line.strip())
    return sol, hidden


def student_cells(a: Assignment) -> list[dict]:
    """The released cells: solutions stubbed, hidden and instructor cells removed, no outputs."""
    out = []
    for i, cell in enumerate(a.cells):
        kind, qid, _ = marker_of(cell)
        src = cell_source(cell)
        if kind in ("hidden", "instructor"):
            continue
        if kind == "public":
            q = a.questions[qid]
            if q.public[0] != src:
                continue  # several public cells: one check() call is enough
            src = (f"# 公开测试：运行本单元检查你的 {q.function}（评分时还会使用隐藏测试）\n"
                   f'check("{qid}", {q.function})')
        elif kind == "question":
            src = "\n".join(_strip_solution(src, f"{a.path.name} 第 {i + 1} 个单元").split("\n")[1:])
        elif cell.get("cell_type") == "code":
            src = _strip_solution(src, f"{a.path.name} 第 {i + 1} 个单元")
        new = {"cell_type": cell["cell_type"], "id": f"c{len(out):03d}", "metadata": {},
               "source": src}
        if cell["cell_type"] == "code":
            new.update(execution_count=None, outputs=[])
        out.append(new)
    return out


def student_notebook_text(a: Assignment) -> str:
    nb = {
        "cells": student_cells(a),
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "colab": {"provenance": []},
            "course_assignment": {"id": a.id, "slug": a.slug},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
