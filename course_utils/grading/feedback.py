"""Scoring of the observed values and the grader's outputs (grades.csv, feedback/, results.json).

Points split by case weight: a question worth ``P`` points whose cases have weights
``w_1 … w_n`` (default 1 each, ``@case(..., weight=2)`` to change) gives case ``i`` the share
``P · w_i / Σw``; the question's score is ``P · (Σ weights of passed cases) / Σw``, rounded to
two decimals. A case passes only when its observed value matches the reference solution's.

Hidden cases never reveal their inputs: a value mismatch says only "不符" (or, for a wrong
shape, the two shapes), an exception shows its type and the learner's own line, never its text.
No string sent back by the child process is shown for a hidden case unless it is a built-in
exception name or appears word for word in the learner's code (:data:`HIDDEN_KINDS`).
"""

from __future__ import annotations

import builtins
import csv
import json
import re
from pathlib import Path

from .compare import close, describe_tolerance, shape_mismatch, short

# Hidden cases: every word shown comes from here or from the learner's own source, never from a
# string the child process sends back (learner code could put the hidden inputs into it).
HIDDEN_KINDS = {"notimpl": "尚未实现（NotImplementedError）：请在 “# 在此处填写你的代码” 处完成函数",
                "missing": "没有找到函数 {function}（请勿修改函数名）",
                "convert": "返回值无法转换成数字或数组（请返回 float、list、numpy 数组或 torch 张量，"
                           "不要返回过大或嵌套过深的结果）"}
KNOWN_ERRORS = frozenset({n for n, v in vars(builtins).items()
                          if isinstance(v, type) and issubclass(v, BaseException)}
                         | {"LinAlgError", "_LinAlgError"})  # torch.linalg raises _LinAlgError


def score_question(question, records, reply, statements=()) -> dict:
    """``{"score", "max", "status", "notes", "cases": [...]}`` for one question of one learner;
    ``statements``: the learner's code as graded (exception types and lines shown for hidden cases
    must appear in it)."""
    own = "\n".join(statements)
    reply = reply or {}
    cases = reply.get("cases", {}) if isinstance(reply.get("cases"), dict) else {}
    total_w = sum(r.get("weight", 1.0) for r in records) or 1.0
    out, passed_w, notes = [], 0.0, []
    for i, spec in enumerate(records):
        ok, why = _judge(spec, cases.get(str(i)), question.function, own)
        if why == "output" and not any("输出过多" in n for n in notes):
            notes.append("输出过多：打印的内容超过了 16 MB 的上限，此后的打印都会失败，相关测试不计分"
                         "（请删除函数中的 print）")
        w = spec.get("weight", 1.0)
        passed_w += w if ok else 0.0
        share = question.points * w / total_w
        out.append({"desc": spec["desc"], "visibility": "hidden" if spec["hidden"] else "public",
                    "weight": w, "max": round(share, 4), "score": round(share, 4) if ok else 0.0,
                    "passed": ok, "feedback": "" if why == "output" else why})
    return {"score": round(question.points * passed_w / total_w, 2), "max": question.points,
            "status": reply.get("status", "未运行"), "notes": notes, "cases": out}


def _judge(spec, rec, function="", own="") -> tuple[bool, str]:
    hidden = spec["hidden"]
    if not isinstance(rec, dict):
        return False, "未得到结果（评分进程已终止，见本题的评分进程状态）"
    if rec.get("ok") is True:
        value = plain(rec.get("value"))
        ok, why = close(value, spec["expected"], spec["atol"], spec["rtol"])
        if ok:
            return True, ""
        if hidden:
            return False, (shape_mismatch(value, spec["expected"])
                           or f"结果与参考答案不符（{describe_tolerance(spec['atol'], spec['rtol'])}）")
        return False, f"{why}；你的结果 {short(value)}"
    kind = rec.get("kind")
    if kind == "output":
        return False, "output"
    if not hidden:
        return False, str(rec.get("error", "出错"))[:300]
    if kind in HIDDEN_KINDS:
        return False, HIDDEN_KINDS[kind].format(function=function)
    name = str(rec.get("type") or "")[:60]
    if not (name in KNOWN_ERRORS or (name.isidentifier() and re.search(rf"\b{name}\b", own))):
        name = ""  # a type built at run time could carry the hidden inputs in its name
    line = str(rec.get("line") or "")[:120]
    mine = line and any(ln.strip()[:120] == line for ln in own.splitlines())
    where = (f"，出错的是你的代码行 `{line}`" if mine
             else "，出错位置在测试代码中（请检查返回值的类型、形状和个数）" if not line else "")
    return False, f"{f'抛出 {name}' if name else '抛出异常'}{where}（隐藏测试不显示错误信息，以免泄露测试输入）"


def plain(v):
    """Re-validate a value coming back from the child: only floats, None, str and lists."""
    if isinstance(v, bool) or v is None:
        return None if v is None else float(v)
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        return v[:200]
    if isinstance(v, list):
        return [plain(x) for x in v]
    return None


def markdown(a, result: dict) -> str:
    """The learner's feedback page (Chinese)."""
    lines = [f"# 评分反馈：{a.title}", "", f"提交文件：`{result['submission']}`", "",
             f"**总分：{result['total']:g} / {result['max']:g}**", ""]
    lines += [f"> 注意：{n}" for n in result["notes"]] + ([""] if result["notes"] else [])
    for qid, q in result["questions"].items():
        fn = a.questions[qid].function
        if not result["graded"]:
            lines += [f"## {qid} · `{fn}`：0 / {q['max']:g} 分（未评分，见上面的注意事项）", ""]
            continue
        lines += [f"## {qid} · `{fn}`：{q['score']:g} / {q['max']:g} 分", ""]
        lines += [f"- ⚠️ {n}" for n in q["notes"]]
        for c in q["cases"]:
            label = "隐藏测试" if c["visibility"] == "hidden" else "公开测试"
            weight = f"（权重 {c['weight']:g}）" if c["weight"] != 1 else ""
            tail = f" —— {c['feedback']}" if c["feedback"] and not c["passed"] else ""
            lines.append(f"- {'✅' if c['passed'] else '❌'} {label}{weight}：{c['desc']}{tail}")
        if q["status"] != "完成":
            lines.append(f"- ⚠️ 评分进程：{q['status']}")
        lines.append("")
    lines.append("说明：公开测试即笔记本中 check() 运行的测试；隐藏测试只给出说明，不公开代码、输入和期望值。")
    return "\n".join(lines) + "\n"


def write_outputs(out: Path, a, results: list[dict], skipped) -> list[dict]:
    """Write grades.csv, feedback/<learner>.md and results.json into ``out``; return the rows."""
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    qids = list(a.questions)
    rows = []
    for r in results:
        row = {"learner": r["learner"], "submission": r["submission"],
               **{q: r["questions"][q]["score"] for q in qids},
               "total": r["total"], "max": r["max"], "status": r["status"]}
        rows.append(row)
        (out / "feedback" / f"{r['learner']}.md").write_text(markdown(a, r), encoding="utf-8")
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["learner", "submission", *qids, "total", "max", "status"])
        w.writeheader()
        for row in rows:
            w.writerow({k: (f"{v:g}" if isinstance(v, float) else v) for k, v in row.items()})
    doc = {"assignment": {"id": a.id, "slug": a.slug, "title": a.title, "max": a.max_points,
                          "questions": [{"id": q.id, "function": q.function, "points": q.points}
                                        for q in a.questions.values()]},
           "submissions": results,
           "skipped": [{"path": str(p), "reason": why} for p, why in skipped]}
    (out / "results.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n",
                                      encoding="utf-8")
    return rows


def learner_result(a, expected, sub, reply, notes, seconds, root: Path) -> dict:
    """One learner's entry of ``results.json`` (see ``grader.grade``) from the sandbox reply."""
    notes = sub.notes + notes
    flags = []
    if sub.assignment_id is not None and sub.assignment_id != a.id:
        flags.append("作业编号不符")
        notes.insert(0, f"作业编号不符：这份笔记本标明属于作业 {sub.assignment_id}，"
                        f"却按作业 {a.id} 评分（请确认提交的是否是正确的作业）")
    questions = {}
    for q in a.questions.values():
        r = score_question(q, expected[q.id], reply.get(q.id), sub.statements)
        if sub.seen is not None:
            hidden = sub.seen.dropped_definition(q.function)
            if hidden:
                r["notes"].append(f"{q.function} 只在第 {hidden[0]} 个单元的 `{hidden[1]}` 之内定义，"
                                  "评分时不执行这段代码，所以找不到该函数（def 要写在单元的最外层）")
            for name, cells in sub.seen.duplicates([q.function]).items():
                r["notes"].append(f"函数 {name} 在第 {'、'.join(map(str, cells))} 个单元中都有定义："
                                  f"评分只使用最后一个（第 {cells[-1]} 个单元）")
            for name, (cell, text) in sub.seen.unseen_globals(q.function).items():
                r["notes"].append(f"{q.function} 用到的 {name} 由第 {cell} 个单元的 `{text}` 定义，"
                                  "该语句含函数调用或不是赋值，评分时不执行，所以评分时 "
                                  f"{name} 不存在（可写成常量赋值，或移到函数内部）")
        r["notes"] += [str(n) for n in (reply.get(q.id) or {}).get("notes", [])[:5]]
        questions[q.id] = r
    try:
        rel = str(sub.path.relative_to(root)) if root.is_dir() else sub.path.name
    except ValueError:
        rel = str(sub.path)
    total = round(sum(r["score"] for r in questions.values()), 2)
    # a question that timed out or crashed shows in grades.csv too, not only in report.html
    trouble = [f"{qid}：{r['status']}" for qid, r in questions.items()
               if sub.seen is not None and r["status"] != "完成"]
    return {"learner": sub.learner, "submission": rel, "total": total, "max": a.max_points,
            "status": "；".join(notes + trouble) or "正常", "flags": flags, "notes": notes,
            "graded": sub.seen is not None, "seconds": round(seconds, 2), "questions": questions}


def write_log(out: Path, a, results, skipped, replies: dict, settings: str) -> None:
    """``grading.log`` for the teacher: skipped paths, per-question status, sandbox, output tail."""
    lines = [f"作业 {a.id}（{a.path.name}）：{len(results)} 份提交，跳过 {len(skipped)} 个文件或目录，"
             + settings]
    lines += [f"跳过：{p}：{why}" for p, why in skipped]
    for r in results:
        reply = replies[r["learner"]]
        lines.append(f"== {r['learner']}（{r['submission']}）：{r['total']:g} / {r['max']:g}"
                     f"（{r['seconds']:.1f} s）")
        lines += [f"   注意：{n}" for n in r["notes"]]
        for qid, rep in sorted(reply.items()):
            lines.append(f"   {qid}: {rep.get('status')}（{rep.get('seconds', 0):.2f} s）；"
                         f"隔离：{'、'.join(rep.get('sandbox', []))}")
            tail = (rep.get("tail") or "").strip()
            if tail:
                lines.append("   输出末尾：" + tail[-400:].replace("\n", "\n   | "))
    (out / "grading.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
