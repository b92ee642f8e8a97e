"""Pieces shared by ``check()``, the release builder and the grader child processes.

A test cell defines cases with the ``case`` decorator; each case is a function that receives the
learner's function and *returns the observed quantity* (a number, list, array or tensor). The
expected value is never written in the test: it is obtained by running the same case on the
reference solution (at release time for public tests, at grading time for all tests).
"""

from __future__ import annotations

import ast
import errno
import linecache
import math
import traceback

from .compare import ConversionError, to_plain

DEFAULT_ATOL = 1e-6
DEFAULT_RTOL = 1e-5


LEARNER_FILE = "<提交的代码 {}>"


class Case:
    __slots__ = ("desc", "fn", "atol", "rtol", "hidden", "weight")

    def __init__(self, desc, fn, atol, rtol, hidden, weight=1.0):
        self.desc, self.fn, self.atol, self.rtol, self.hidden = desc, fn, atol, rtol, hidden
        self.weight = weight


def collect_cases(sources) -> list[Case]:
    """Execute test-cell sources ``[(code, hidden), ...]`` and return their cases in order."""
    cases: list[Case] = []
    for code, hidden in sources:
        def case(desc, *, atol=DEFAULT_ATOL, rtol=DEFAULT_RTOL, weight=1, _hidden=hidden):
            if not isinstance(desc, str) or not desc:
                raise ValueError("case() 的参数 desc 必须是非空字符串（测试说明）")
            if not (atol >= 0 and rtol >= 0 and math.isfinite(atol) and math.isfinite(rtol)):
                raise ValueError("case() 的 atol / rtol 必须是非负有限数")
            if isinstance(weight, bool) or not (isinstance(weight, (int, float)) and weight > 0
                                                 and math.isfinite(weight)):
                raise ValueError(f"case() 的参数 weight（权重）必须是正的有限数，收到 {weight!r}")

            def register(fn):
                cases.append(Case(desc, fn, float(atol), float(rtol), _hidden, float(weight)))
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
        if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
            return "output", ("输出过多：打印的内容超过了 16 MB 的上限，此后的打印都会失败"
                              "（请删除函数中的 print）")
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


def learner_line(exc: BaseException) -> str:
    """The learner's own source line where ``exc`` passed last (``""`` if none), for feedback."""
    try:
        frames = traceback.extract_tb(exc.__traceback__)
        mine = [f for f in frames if f.filename.startswith(LEARNER_FILE.split("{")[0])]
        return (mine[-1].line or "").strip()[:120] if mine else ""
    except BaseException:  # noqa: BLE001
        return ""


def run_case(case: Case, fn) -> dict:
    """Run one case on ``fn``; return ``{"ok": True, "value": plain}`` or an error record.

    An error record has ``kind``, ``error`` (Chinese message, shown for public cases only),
    ``type`` (the exception class name) and ``line`` (the learner's source line, when known).
    """
    try:
        value = to_plain(case.fn(fn))
        return {"ok": True, "value": value}
    except BaseException as exc:  # noqa: BLE001 - SystemExit etc. must not escape
        kind, message = describe_error(exc)
        try:
            name = str.__str__(type(exc).__name__)[:60]
        except BaseException:  # noqa: BLE001
            name = "Exception"
        return {"ok": False, "kind": kind, "error": message, "type": name, "line": learner_line(exc)}


KEEP_NODES = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


_RUNS_CODE = (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.ListComp,
              ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _call_free(node) -> bool:
    """True when executing ``node`` calls nothing (a lambda's body runs later, like a def's)."""
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, _RUNS_CODE):
            return False
        if isinstance(n, ast.Lambda):  # only its default values are evaluated now
            todo += n.args.defaults + [d for d in n.args.kw_defaults if d is not None]
            continue
        todo += ast.iter_child_nodes(n)
    return True


def plain_python(code: str) -> str:
    """A code cell as plain Python, line for line: what Jupyter runs, minus IPython syntax.

    Magic (``%...``, ``%%time`` …) and shell (``!...``) lines become ``pass`` (a cell magic's body
    stays code, as ``%%time`` runs it); help (``obj?``) and captured output (``x = !ls``,
    ``y = %env``) become ``get_ipython()`` calls, as IPython itself rewrites them, so the rest of
    the cell still counts instead of failing to parse.
    """
    lines = [(ln[: len(ln) - len(ln.lstrip())] + "pass" if ln.lstrip().startswith(("%", "!"))
              else ln) for ln in code.splitlines()]
    text = "\n".join(lines)
    try:
        ast.parse(text)
        return text
    except SyntaxError:
        pass
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        rewritten = TransformerManager().transform_cell(text)
        ast.parse(rewritten)
        return rewritten
    except Exception:  # noqa: BLE001 - no IPython, or not IPython syntax either: report as is
        return text


def definitions(code: str) -> list[str]:
    """Top-level imports, ``def``/``class`` and call-free assignments of one code cell.

    IPython syntax is removed first (:func:`plain_python`). Everything else (calls, loops,
    prints, experiments) is ignored, so grading never runs a learner's training loop. Raises
    ``SyntaxError`` when the cell does not parse.
    """
    tree = ast.parse(plain_python(code))
    keep = []
    for node in tree.body:
        if isinstance(node, KEEP_NODES) or (
            isinstance(node, (ast.Assign, ast.AnnAssign)) and _call_free(node)
            and node.value is not None
        ):
            keep.append(ast.unparse(node))
    return keep


def load_statements(statements, namespace: dict) -> list[str]:
    """Execute learner statements in ``namespace``; return the Chinese error notes.

    Statements run in the given order; one that fails with ``NameError`` (e.g. a class whose
    base is defined further down the notebook) is retried after the others, until no retry
    succeeds. Each statement is registered in ``linecache`` so tracebacks show learner lines.
    """
    pending, errors = list(enumerate(statements)), {}
    while pending:
        retry = []
        for i, code in pending:
            name = LEARNER_FILE.format(i)
            linecache.cache[name] = (len(code), None, code.splitlines(True), name)
            try:
                exec(compile(code, name, "exec"), namespace)
                errors.pop(i, None)
            except NameError as exc:
                errors[i] = (code, exc)
                retry.append((i, code))
            except BaseException as exc:  # noqa: BLE001
                errors[i] = (code, exc)
        if len(retry) == len(pending):
            break
        pending = retry
    notes = []
    for _, (code, exc) in sorted(errors.items()):
        first = code.splitlines()[0][:60] if code else ""
        notes.append(f"执行 `{first}` 时出错：{describe_error(exc)[1]}")
    return notes
