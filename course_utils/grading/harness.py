"""Pieces shared by ``check()``, the release builder and the grader child processes.

A test cell defines cases with the ``case`` decorator; each case is a function that receives the
learner's function and *returns the observed quantity* (a number, list, array or tensor). The
expected value is never written in the test: it is obtained by running the same case on the
reference solution (at release time for public tests, at grading time for all tests).
"""

from __future__ import annotations

import ast
import math

from .compare import ConversionError, to_plain

DEFAULT_ATOL = 1e-6
DEFAULT_RTOL = 1e-5


class Case:
    __slots__ = ("desc", "fn", "atol", "rtol", "hidden")

    def __init__(self, desc, fn, atol, rtol, hidden):
        self.desc, self.fn, self.atol, self.rtol, self.hidden = desc, fn, atol, rtol, hidden


def collect_cases(sources) -> list[Case]:
    """Execute test-cell sources ``[(code, hidden), ...]`` and return their cases in order."""
    cases: list[Case] = []
    for code, hidden in sources:
        def case(desc, *, atol=DEFAULT_ATOL, rtol=DEFAULT_RTOL, _hidden=hidden):
            if not isinstance(desc, str) or not desc:
                raise ValueError("case() 的参数 desc 必须是非空字符串（测试说明）")
            if not (atol >= 0 and rtol >= 0 and math.isfinite(atol) and math.isfinite(rtol)):
                raise ValueError("case() 的 atol / rtol 必须是非负有限数")

            def register(fn):
                cases.append(Case(desc, fn, float(atol), float(rtol), _hidden))
                return fn
            return register

        namespace = {"__name__": "course_tests", "case": case}
        exec(compile(code, "<测试>", "exec"), namespace)
    return cases


def describe_error(exc: BaseException) -> tuple[str, str]:
    """``(kind, message)`` for an exception raised by learner code; never raises itself."""
    try:
        name = type(exc).__name__
        if isinstance(exc, NotImplementedError):
            return "notimpl", "尚未实现（NotImplementedError）：请在 “# 在此处填写你的代码” 处完成函数"
        if isinstance(exc, ConversionError):
            return "convert", str.__str__(exc.args[0]) if exc.args else name
        try:
            text = str(exc)
        except BaseException:
            text = ""
        if type(text) is not str:
            text = ""
        text = text.replace("\n", " ")
        return "error", f"{name}: {text}"[:300] if text else name
    except BaseException:
        return "error", "未知错误"


def run_case(case: Case, fn) -> dict:
    """Run one case on ``fn``; return ``{"ok": True, "value": plain}`` or an error record."""
    try:
        value = to_plain(case.fn(fn))
        return {"ok": True, "value": value}
    except BaseException as exc:  # noqa: BLE001 - SystemExit etc. must not escape
        kind, message = describe_error(exc)
        return {"ok": False, "kind": kind, "error": message}


KEEP_NODES = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _call_free(node) -> bool:
    return not any(isinstance(n, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr,
                                  ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp))
                   for n in ast.walk(node))


def definitions(code: str) -> list[str]:
    """Top-level imports, ``def``/``class`` and call-free assignments of one code cell.

    IPython magics (``%...``) and shell lines (``!...``) are dropped first. Everything else
    (calls, loops, prints, experiments) is ignored, so grading never runs a learner's training
    loop. Raises ``SyntaxError`` when the cell does not parse.
    """
    lines = [(ln[: len(ln) - len(ln.lstrip())] + "pass" if ln.lstrip().startswith(("%", "!"))
              else ln) for ln in code.splitlines()]
    tree = ast.parse("\n".join(lines))
    keep = []
    for node in tree.body:
        if isinstance(node, KEEP_NODES) or (
            isinstance(node, (ast.Assign, ast.AnnAssign)) and _call_free(node)
            and node.value is not None
        ):
            keep.append(ast.unparse(node))
    return keep


def load_statements(statements, namespace: dict) -> list[str]:
    """Execute learner statements one by one in ``namespace``; return the Chinese error notes."""
    notes = []
    for i, code in enumerate(statements):
        try:
            exec(compile(code, f"<提交的代码 {i}>", "exec"), namespace)
        except BaseException as exc:  # noqa: BLE001
            first = code.splitlines()[0][:60] if code else ""
            notes.append(f"执行 `{first}` 时出错：{describe_error(exc)[1]}")
    return notes
