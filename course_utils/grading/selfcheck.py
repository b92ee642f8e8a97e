"""``check(question, answer)``: the public tests a learner runs inside the notebook.

The tests ship inside the package (``questions/aNN.json``) so this works on Colab without the
instructor sources. ``check`` prints one ✅/❌ line per test in Chinese and never raises.

What it promises: a public test that shows ✅ here gives its points in the grader too, because
the grader runs the same test with the same comparison. Where the grader would see different
code than the notebook — a global defined by a statement the grader skips, a function defined in
several cells — ``check`` prints a ⚠️ line (see :mod:`.preview`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from .compare import close, describe_tolerance, short
from .harness import collect_cases, run_case
from .preview import warnings_for


@lru_cache(maxsize=1)
def _catalogue() -> tuple[dict, ...]:
    files = resources.files("course_utils.grading") / "questions"
    out = []
    for entry in sorted(files.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("a") and entry.name.endswith(".json"):
            out.append(json.loads(entry.read_text(encoding="utf-8")))
    return tuple(out)


class CheckResult:
    """What ``check`` found: ``passed`` of ``total`` public tests."""

    def __init__(self, question, passed, total):
        self.question, self.passed, self.total = question, passed, total

    @property
    def ok(self) -> bool:
        return self.total > 0 and self.passed == self.total

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return f"<检查结果 {self.question}：{self.passed}/{self.total} 项通过>"


def _resolve(question: str, answer, assignment):
    if isinstance(question, str) and "/" in question:
        assignment, question = question.split("/", 1)
    hits = []
    for a in _catalogue():
        if assignment is not None and a["id"] != f"{int(assignment):02d}":
            continue
        for q in a["questions"]:
            if q["id"] == question:
                hits.append((a, q))
    if len(hits) > 1:  # the same question id exists in several assignments: use the function name
        name = getattr(answer, "__name__", None)
        hits = [h for h in hits if h[1]["function"] == name] or hits
    return hits


def check(question, answer, assignment=None) -> CheckResult:
    """Run the public tests of ``question`` (e.g. ``"q1"`` or ``"01/q1"``) on ``answer``."""
    try:
        return _check(question, answer, assignment)
    except Exception as exc:  # noqa: BLE001 - check() must never raise
        print(f"❌ 检查程序本身出错（{type(exc).__name__}: {exc}）。请重新运行本单元；若仍出错请联系老师。")
        return CheckResult(question, 0, 0)


def _check(question, answer, assignment) -> CheckResult:
    hits = _resolve(question, answer, assignment)
    if not hits:
        print(f"❌ 找不到题目 {question!r}：请确认题号（例如 \"q1\"）和作业编号（assignment=\"01\"）。")
        return CheckResult(question, 0, 0)
    if len(hits) > 1:
        ids = "、".join(f"{a['id']}/{q['id']}" for a, q in hits)
        print(f"❌ 题号 {question!r} 不唯一（{ids}）：请写成 check(\"01/{question}\", 函数)。")
        return CheckResult(question, 0, 0)
    a, q = hits[0]
    print(f"作业 {a['id']} · {q['id']}（{q['points']:g} 分）· 检查函数 {q['function']} 的公开测试：")
    if not callable(answer):
        print(f"  ❌ 第二个参数 answer 应该是你写的函数 {q['function']}，收到的是 {type(answer).__name__}")
        return CheckResult(q["id"], 0, len(q["cases"]))
    cases = collect_cases([(q["source"], False)])
    passed = 0
    for c, spec in zip(cases, q["cases"]):
        r = run_case(c, answer)
        tol = describe_tolerance(spec["atol"], spec["rtol"])
        if spec.get("weight", 1) != 1:
            tol += f"；权重 {spec['weight']:g}"
        if r["ok"]:
            ok, why = close(r["value"], spec["expected"], spec["atol"], spec["rtol"])
        else:
            ok, why = False, r["error"]
        passed += ok
        if ok:
            print(f"  ✅ {c.desc}（{tol}；你的结果 {short(r['value'])}）")
        else:
            print(f"  ❌ {c.desc}：{why}")
            extra = f"；你的结果 {short(r['value'])}" if r["ok"] else ""
            print(f"     （{tol}{extra}）")
    total = len(q["cases"])
    warnings = warnings_for(q["function"], answer)
    for w in warnings:
        print(f"  ⚠️ {w}")
    verdict = "全部通过 🎉（提交后还会运行隐藏测试）" if passed == total else "请修改后再运行本单元"
    if warnings and passed == total:
        verdict = "全部通过，但评分程序看到的代码与这里不同：请先处理上面的 ⚠️"
    print(f"通过 {passed}/{total} 项：{verdict}")
    return CheckResult(q["id"], passed, total)
