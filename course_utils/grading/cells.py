"""What the grader sees of a learner's code cells — shared by the grader and ``check()``.

The grader keeps, from every code cell, the top-level ``import``, ``def``, ``class`` and call-free
assignments (:func:`harness.definitions`). This module orders them (every import first, so cells
may be moved freely), keeps the **last** definition of each function or class, and finds what a
learner may not expect:

* a function or class defined in more than one cell (the grader uses the last one);
* a global name that a graded function uses but that only a dropped statement defines
  (``DIVERGE = float("4")`` works in the notebook, yet does not exist when grading).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .harness import KEEP_NODES, definitions, plain_python

IMPORTS = (ast.Import, ast.ImportFrom)
DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass
class Seen:
    """The grader's view of a notebook's code cells (cell numbers count from 1)."""

    statements: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    defined_in: dict[str, list[int]] = field(default_factory=dict)
    bound: set[str] = field(default_factory=set)
    dropped: dict[str, tuple[int, str]] = field(default_factory=dict)
    nodes: dict[str, ast.AST] = field(default_factory=dict)

    def duplicates(self, names) -> dict[str, list[int]]:
        """``{name: [cell numbers]}`` for the given names defined in several cells."""
        return {n: sorted(set(self.defined_in[n])) for n in names
                if len(set(self.defined_in.get(n, []))) > 1}

    def dropped_definition(self, function: str) -> tuple[int, str] | None:
        """``(cell, statement)`` when ``function`` is only defined inside skipped code (``if …:``)."""
        if function in self.bound:
            return None
        return self.dropped.get(function)

    def unseen_globals(self, function: str) -> dict[str, tuple[int, str]]:
        """Globals used by ``function`` (and the kept defs it uses) that only dropped code binds."""
        used, todo, done = set(), [function], set()
        while todo:
            name = todo.pop()
            if name in done or name not in self.nodes:
                continue
            done.add(name)
            for n in _loaded_names(self.nodes[name]):
                used.add(n)
                if n in self.nodes:
                    todo.append(n)
        return {n: self.dropped[n] for n in sorted(used) if n in self.dropped and n not in self.bound}


def analyse(cells) -> Seen:
    """``cells``: ``[(cell_number, source), ...]`` of code cells. Raises nothing."""
    seen = Seen()
    imports, others = [], []
    for number, src in cells:
        try:
            kept = definitions(src)
            plain = plain_python(src)
            tree = ast.parse(plain)
        except SyntaxError as exc:
            seen.notes.append(f"第 {number} 个单元有语法错误（第 {exc.lineno} 行），已跳过该单元")
            continue
        except Exception:  # noqa: BLE001 - malformed cell (wrong types, too deep, ...)
            seen.notes.append(f"第 {number} 个单元格式错误或无法解析，已跳过")
            continue
        kept_set = set(kept)
        for node in tree.body:
            text = ast.unparse(node)
            names = _bound_names(node)
            if text not in kept_set:
                own = ast.get_source_segment(plain, node) or text  # as the learner wrote it
                for n in names:
                    seen.dropped.setdefault(n, (number, own.strip().splitlines()[0][:80]))
                continue
            seen.bound.update(names)
            if isinstance(node, DEFS):
                seen.defined_in.setdefault(node.name, []).append(number)
                seen.nodes[node.name] = node
            (imports if isinstance(node, IMPORTS) else others).append((node, text))
    last = {}
    for i, (node, _) in enumerate(others):
        if isinstance(node, DEFS):
            last[node.name] = i
    seen.statements = [t for _, t in imports] + [
        t for i, (node, t) in enumerate(others) if not isinstance(node, DEFS) or last[node.name] == i]
    return seen


def _bound_names(node) -> set[str]:
    if isinstance(node, IMPORTS):
        return {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
    if isinstance(node, DEFS):
        return {node.name}
    if isinstance(node, KEEP_NODES):
        return set()
    out = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            out.add(sub.id)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(sub.name)
        elif isinstance(sub, ast.alias):
            out.add((sub.asname or sub.name).split(".")[0])
    return out


def _loaded_names(node) -> set[str]:
    """Names read inside a def/class that are not its own parameters or local variables."""
    loads, local = set(), set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            (loads if isinstance(n.ctx, ast.Load) else local).add(n.id)
        elif isinstance(n, ast.arg):
            local.add(n.arg)
    return loads - local
