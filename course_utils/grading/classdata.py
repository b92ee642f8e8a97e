"""Reading a grading output folder's ``results.json`` for the class report and Gradescope.

``grade`` writes ``results.json`` (format in :func:`course_utils.grading.grader.grade`); this
module is the one place the report, ``merge`` and the Gradescope runner read it through.
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = "results.json"
NORMAL = "正常"
DONE = "完成"


def load(out) -> dict:
    """The parsed ``out/results.json``."""
    return json.loads((Path(out) / RESULTS).read_text(encoding="utf-8"))


def cases_of(doc: dict) -> dict[str, list[dict]]:
    """``{qid: [case, ...]}`` with each case's ``desc``, ``visibility`` and ``max`` (the same
    for every learner: the cases come from the instructor source)."""
    for sub in doc["submissions"]:
        return {qid: [{k: c[k] for k in ("desc", "visibility", "max")} for c in q["cases"]]
                for qid, q in sub["questions"].items()}
    return {}


def passed(sub: dict, qid: str) -> list[bool]:
    return [bool(c["passed"]) for c in sub["questions"][qid]["cases"]]


def unusual(sub: dict) -> list[str]:
    """Chinese reasons why a submission is not a normal one (empty when it is): unreadable,
    wrong assignment, a question that timed out or crashed, ..."""
    why = [] if sub["status"] == NORMAL else [sub["status"]]
    if sub.get("graded", True):  # the status names such questions already (older outputs did not)
        why += [x for x in (f"{qid}：{q['status']}" for qid, q in sub["questions"].items()
                            if q["status"] != DONE) if x not in sub["status"]]
    return why


def merge_docs(docs: list[dict], order: list[str]) -> dict:
    """One ``results.json`` from the shards' ones, submissions in ``order`` (learner ids)."""
    by_learner = {s["learner"]: s for d in docs for s in d["submissions"]}
    return {**docs[0], "submissions": [by_learner[x] for x in order]}


def dump(doc: dict, out) -> None:
    (Path(out) / RESULTS).write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n",
                                     encoding="utf-8")
