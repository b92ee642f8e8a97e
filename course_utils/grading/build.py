"""Release builder: instructor sources → student notebooks + the package's public-test files.

``python -m course_utils.grading release`` writes, for every ``assignments/NN_<slug>.ipynb``:

* ``notebooks/assignments/NN_<slug>.ipynb`` — the student notebook (no solutions, no hidden tests,
  no outputs; byte-for-byte reproducible);
* ``course_utils/grading/questions/aNN.json`` — the public tests with their expected values
  (computed by running the reference solution), used by ``check()`` on Colab.
"""

from __future__ import annotations

import json
from pathlib import Path

from .harness import collect_cases, definitions, load_statements, run_case
from .source import Assignment, cell_source, load_assignment, marker_of, student_notebook_text

PACKAGE_QUESTIONS = Path(__file__).resolve().parent / "questions"


def _round(value):
    if isinstance(value, list):
        return [_round(v) for v in value]
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return float(f"{value:.12g}")  # stable across platforms in the last bits
    return value


def reference_statements(a: Assignment) -> list[str]:
    """The instructor's own definitions (solution cells and plain code cells, not tests)."""
    stmts = []
    for cell in a.cells:
        if cell.get("cell_type") != "code" or marker_of(cell)[0] in ("public", "hidden"):
            continue
        stmts += definitions(cell_source(cell))
    return stmts


def expected_values(a: Assignment, hidden: bool = True) -> dict[str, list[dict]]:
    """Run every case on the reference solution (in this process): ``{qid: [case records]}``."""
    import torch

    torch.set_num_threads(1)
    namespace = {"__name__": "reference"}
    notes = load_statements(reference_statements(a), namespace)
    if notes:
        raise RuntimeError(f"{a.path.name} 的参考答案无法执行：" + "；".join(notes))
    table = {}
    for q in a.questions.values():
        records = []
        for c in collect_cases(q.test_sources(hidden)):
            r = run_case(c, namespace[q.function])
            if not r["ok"]:
                raise RuntimeError(f"{a.path.name} {q.id} 的参考答案在测试「{c.desc}」上出错：{r['error']}")
            records.append({"desc": c.desc, "atol": c.atol, "rtol": c.rtol, "hidden": c.hidden,
                            "weight": c.weight, "expected": _round(r["value"])})
        table[q.id] = records
    return table


def package_json_text(a: Assignment) -> str:
    expected = expected_values(a, hidden=False)
    data = {
        "id": a.id, "slug": a.slug, "title": a.title,
        "questions": [
            {"id": q.id, "function": q.function, "points": q.points,
             "source": "\n\n".join(src.split("\n", 1)[1] if "\n" in src else ""
                                      for src in q.public),
             "cases": [{k: r[k] for k in ("desc", "atol", "rtol", "weight", "expected")}
                       for r in expected[q.id]]}
            for q in a.questions.values()
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def _only_ids(only, sources) -> set[str]:
    """``only`` (e.g. ``["1", "03"]``) as two-digit ids; a Chinese ``ValueError`` for unknown ones."""
    known = sorted({p.name[:2] for p in sources})
    ids = set()
    for x in only:
        text = str(x).strip()
        if not text.isdigit() or f"{int(text):02d}" not in known:
            raise ValueError(f"参数 only（--only）中的作业编号 {x!r} 不存在；现有作业：{'、'.join(known)}")
        ids.add(f"{int(text):02d}")
    return ids


def release(source_dir, notebook_dir, package_dir=PACKAGE_QUESTIONS, only=None) -> list[Path]:
    """Build every assignment (or those whose number is in ``only``); return the files written."""
    written = []
    sources = sorted(Path(source_dir).glob("[0-9][0-9]_*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"在 {source_dir} 中没有找到作业源文件 NN_<slug>.ipynb")
    if only is not None:
        only = _only_ids(only, sources)
    Path(notebook_dir).mkdir(parents=True, exist_ok=True)
    Path(package_dir).mkdir(parents=True, exist_ok=True)
    for src in sources:
        if only is not None and src.name[:2] not in only:
            continue
        a = load_assignment(src)
        nb_path = Path(notebook_dir) / src.name
        nb_path.write_bytes(student_notebook_text(a).encode("utf-8"))
        js_path = Path(package_dir) / f"a{a.id}.json"
        js_path.write_bytes(package_json_text(a).encode("utf-8"))
        written += [nb_path, js_path]
    return written
