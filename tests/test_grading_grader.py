"""The sandboxed grader: full marks for every solution, zero for the stubs, the hostile corpus.

Grading runs in real subprocesses (a worker per job, a forked child per question), so this file
takes about a minute on 2 cores; one worker pool is shared by all tests.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import shutil
import sys
import time
from pathlib import Path

import pytest

from course_utils.grading.__main__ import main as cli
from course_utils.grading.grader import UsageError, WorkerPool, grade
from course_utils.grading.source import load_assignment, solution_lines

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grading_corpus.corpus import (  # noqa: E402
    ENTRIES,
    reference_code,
    replace,
    solved,
    write_corpus,
)

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "assignments").glob("[0-9][0-9]_*.ipynb"))
RELEASED = ROOT / "notebooks" / "assignments"
TIMEOUT = 4.0


@pytest.fixture(scope="module")
def pool():
    with WorkerPool(2) as p:
        yield p


def _digest(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def corpus_run(pool, tmp_path_factory):
    base = tmp_path_factory.mktemp("corpus")
    subs, out = base / "submissions", base / "out"
    source = SOURCES[0]
    ctx = {"canary": str(base / "canary.txt"), "submission_canary": str(subs / "zz_canary.txt"),
           "source": str(source)}
    expected = write_corpus(subs, RELEASED / source.name, source, ctx, copies=30 - len(ENTRIES))
    before = _digest(subs)
    t0 = time.monotonic()
    rows = grade("01", subs, out, source_dir=ROOT / "assignments", jobs=2, timeout=TIMEOUT,
                 mem_mb=512, pool=pool, echo=lambda *a: None)
    seconds = time.monotonic() - t0
    print(f"\n[grading] 30 submissions of assignment 01, 2 workers: {seconds:.1f} s")
    return {"rows": rows, "expected": expected, "out": out, "subs": subs, "ctx": ctx,
            "before": before, "seconds": seconds}


def test_corpus_has_at_least_15_broken_or_hostile_entries():
    broken = [n for n, (_, s) in ENTRIES.items() if sum(s.values()) < 10 or "tries" in n]
    assert len(broken) >= 15 and 15 <= len(ENTRIES) <= 30


def test_corpus_gets_exactly_the_expected_scores(corpus_run):
    rows = {r["submission"]: r for r in corpus_run["rows"]}
    assert len(rows) == 30
    wrong = {}
    for name, scores in corpus_run["expected"].items():
        got = {q: rows[name][q] for q in scores}
        if got != scores or rows[name]["total"] != round(sum(scores.values()), 2):
            wrong[name] = (got, scores)
    assert not wrong
    assert corpus_run["seconds"] < 240


def test_learner_code_could_not_write_or_read_protected_files(corpus_run):
    assert not Path(corpus_run["ctx"]["canary"]).exists()
    assert not Path(corpus_run["ctx"]["submission_canary"]).exists()
    assert _digest(corpus_run["subs"]) == corpus_run["before"]


def test_outputs_csv_feedback_and_log(corpus_run):
    out = corpus_run["out"]
    with open(out / "grades.csv", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert [r["submission"] for r in table] == sorted(corpus_run["expected"])
    assert [r["learner"] for r in table] == [n[:-6] for n in sorted(corpus_run["expected"])]
    assert list(table[0]) == ["learner", "submission", "q1", "q2", "q3", "q4", "total", "max", "status"]
    bad = {r["submission"]: r["status"] for r in table}
    assert "不是有效的 .ipynb" in bad["corrupt_json.ipynb"]
    assert bad["reference_solution.ipynb"] == "正常"
    a = load_assignment(SOURCES[0])
    _, hidden = solution_lines(a)
    hidden = {ln for ln in hidden if len(ln) > 8 and not ln.startswith(("@case", "import", "from"))}
    for fb in (out / "feedback").glob("*.md"):
        text = fb.read_text(encoding="utf-8")
        assert "总分" in text and "隐藏测试" in text
        assert not any(ln in text for ln in hidden), fb.name
    stub = (out / "feedback" / "untouched_stub.md").read_text(encoding="utf-8")
    assert "尚未实现" in stub and "⚠️" not in stub  # zero, but without errors
    loop = (out / "feedback" / "infinite_loop_in_q2.md").read_text(encoding="utf-8")
    assert "超时" in loop
    assert bad["infinite_loop_in_q2.ipynb"].startswith("q2：超时")  # visible in grades.csv too
    huge = (out / "feedback" / "huge_output_in_q1.md").read_text(encoding="utf-8")
    assert huge.count("输出过多") == 1 and "Errno" not in huge and "OSError" not in huge
    corrupt = (out / "feedback" / "corrupt_json.md").read_text(encoding="utf-8")
    assert corrupt.count("无法读取该文件") == 1 and "未得到结果" not in corrupt and "❌" not in corrupt
    log = (out / "grading.log").read_text(encoding="utf-8")
    assert "30 份提交" in log and "隔离" in log


STAND_INS = {"const": "return 0.0", "none": "return None", "first_arg": "return args[0]"}


def _reordered(source: Path, dest: Path, order) -> None:
    nb = json.loads(source.read_text(encoding="utf-8"))
    nb["cells"] = order(nb["cells"])
    dest.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")


def test_every_solution_full_marks_in_any_cell_order_and_every_stub_zero(pool, tmp_path):
    """README promises that cells may be moved freely: reversed and shuffled solutions get 10;
    the stub and the three non-answers (0.0, None, the first argument) get 0 in the real grader."""
    for k, source in enumerate(SOURCES):
        subs = tmp_path / source.stem / "subs"
        subs.mkdir(parents=True)
        shutil.copy(source, subs / "solution.ipynb")
        _reordered(source, subs / "reversed.ipynb", lambda cells: cells[::-1])
        _reordered(source, subs / "shuffled.ipynb",
                   lambda cells, k=k: random.Random(k).sample(cells, len(cells)))
        shutil.copy(RELEASED / source.name, subs / "stub.ipynb")
        for name, body in STAND_INS.items():  # non-answers appended as the last definitions
            nb = json.loads((RELEASED / source.name).read_text(encoding="utf-8"))
            nb["cells"] += [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                             "source": f"def {q.function}(*args, **kwargs):\n    {body}"}
                            for q in load_assignment(source).questions.values()]
            (subs / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        rows = grade(source.name[:2], subs, tmp_path / source.stem / "out",
                     source_dir=ROOT / "assignments", jobs=2, timeout=20, pool=pool,
                     echo=lambda *a: None)
        by = {r["submission"]: r for r in rows}
        for name in ("solution.ipynb", "reversed.ipynb", "shuffled.ipynb"):
            assert by[name]["total"] == by[name]["max"] == 10, (source.name, name, by[name])
            assert by[name]["status"] == "正常"
        assert by["stub.ipynb"]["total"] == 0 and by["stub.ipynb"]["status"] == "正常"
        for name in STAND_INS:
            assert by[f"{name}.ipynb"]["total"] == 0, (source.name, name, by[f"{name}.ipynb"])


def test_grades_are_deterministic_across_job_counts(pool, corpus_run, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("reference_solution", "off_by_one_warmup", "hardcoded_public_answers",
                 "eq_always_true_in_q2", "sys_exit_in_q1"):
        shutil.copy(corpus_run["subs"] / f"{name}.ipynb", subs)
    for jobs, out in ((1, "one"), (2, "two")):
        grade("01", subs, tmp_path / out, source_dir=ROOT / "assignments", jobs=jobs, pool=pool,
              echo=lambda *a: None)
    assert _digest(tmp_path / "one" / "feedback") == _digest(tmp_path / "two" / "feedback")
    assert (tmp_path / "one" / "grades.csv").read_bytes() == (tmp_path / "two" / "grades.csv").read_bytes()
    for p in subs.iterdir():  # same feedback as in the big parallel batch
        fb = f"feedback/{p.stem}.md"
        assert (tmp_path / "one" / fb).read_bytes() == (corpus_run["out"] / fb).read_bytes()


def test_hostile_entries_also_fail_with_the_audit_hook_fallback_only(pool, corpus_run, tmp_path):
    """Machines without namespaces (e.g. containers without CAP_SYS_ADMIN) keep the same scores."""
    subs = tmp_path / "subs"
    subs.mkdir()
    names = ("reference_solution", "tries_network", "tries_to_read_hidden_tests_and_write_files",
             "kills_its_parent", "spawns_processes", "forges_result_frames",
             "monkeypatches_checker_and_builtins", "os_exit_in_q4")
    for name in names:
        shutil.copy(corpus_run["subs"] / f"{name}.ipynb", subs)
    rows = grade("01", subs, tmp_path / "out", source_dir=ROOT / "assignments", jobs=2,
                 timeout=TIMEOUT, pool=pool, echo=lambda *a: None, namespaces=False)
    for row in rows:
        expected = corpus_run["expected"][row["submission"]]
        assert {q: row[q] for q in expected} == expected, row["submission"]
    assert not Path(corpus_run["ctx"]["canary"]).exists()
    assert not Path(corpus_run["ctx"]["submission_canary"]).exists()
    assert "审计钩子" in (tmp_path / "out" / "grading.log").read_text(encoding="utf-8")


def test_audit_hook_blocks_network_processes_and_protected_paths(tmp_path):
    """The fallback used where no namespace is available (here tested on its own)."""
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "hidden.txt").write_text("x")
    work = tmp_path / "work"
    work.mkdir()
    code = f"""
import os, socket, subprocess, sys
from course_utils.grading.isolation import audit
audit([{str(secret)!r}], {str(work)!r})
blocked = []
for name, action in [
    ("socket", lambda: socket.socket()),
    ("connect", lambda: socket.create_connection(("127.0.0.1", 9), timeout=1)),
    ("popen", lambda: subprocess.Popen(["true"])),
    ("system", lambda: os.system("true")),
    ("fork", lambda: os.fork()),
    ("fork_exec", lambda: sys.modules["_posixsubprocess"].fork_exec()),
    ("read", lambda: open({str(secret / "hidden.txt")!r}).read()),
    ("write", lambda: open({str(tmp_path / "out.txt")!r}, "w")),
    ("remove", lambda: os.remove({str(secret / "hidden.txt")!r})),
]:
    try:
        action()
    except PermissionError:
        blocked.append(name)
open({str(work / "ok.txt")!r}, "w").write("fine")
print(",".join(blocked))
"""
    import subprocess
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=ROOT)
    assert res.stdout.strip() == "socket,connect,popen,system,fork,fork_exec,read,write,remove", res.stderr
    assert (work / "ok.txt").read_text() == "fine" and not (tmp_path / "out.txt").exists()


def test_cli_usage_errors_are_one_chinese_line_with_exit_code_2(tmp_path, capsys):
    empty, full = tmp_path / "empty", tmp_path / "full"
    empty.mkdir()
    full.mkdir()
    (empty / "readme.txt").write_text("x")
    shutil.copy(RELEASED / SOURCES[0].name, full / "a.ipynb")
    (tmp_path / "file.txt").write_text("x")
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("teacher's file")
    cases = [
        (["--submissions", str(tmp_path / "missing")], "不存在"),
        (["--submissions", str(empty)], "没有找到可评分的 .ipynb"),
        (["--submissions", str(full), "--jobs", "0"], "--jobs"),
        (["--submissions", str(full), "--assignment", "09"], "作业 09"),
        (["--submissions", str(full), "--out", str(tmp_path / "file.txt")], "是一个已存在的文件"),
        (["--submissions", str(full), "--out", str(other)], "不是评分结果目录"),
    ]
    for extra, needle in cases:
        args = ["grade", "--assignment", "01", "--out", str(tmp_path / "o"), *extra]
        with pytest.raises(SystemExit) as exc:
            cli(args)
        err = capsys.readouterr().err
        assert exc.value.code == 2 and err.count("\n") == 1 and needle in err, (extra, err)
        assert "Traceback" not in err and err.startswith("python -m course_utils.grading: 错误：")
    assert (other / "keep.txt").read_text() == "teacher's file" and not (tmp_path / "o").exists()
    # an unknown assignment is refused before the folder is searched: no "跳过 …" lines first
    (full / "notes.txt").write_text("x")
    for bad in ("7", "abc"):
        with pytest.raises(SystemExit) as exc:
            cli(["grade", "--assignment", bad, "--submissions", str(full), "--out", str(tmp_path / "o")])
        got = capsys.readouterr()
        assert exc.value.code == 2 and got.out == "" and got.err.count("\n") == 1, got
    with pytest.raises(SystemExit):
        cli(["frob"])
    err = capsys.readouterr().err
    assert "choose from" not in err and "可选" in err and err.count("\n") == 1, err
    with pytest.raises(ValueError, match="jobs"):
        grade("01", tmp_path, tmp_path / "o", jobs=0)
    with pytest.raises(UsageError, match="submissions"):
        grade("01", tmp_path / "missing", tmp_path / "o")


def test_cli_grades_a_folder_end_to_end(tmp_path):
    import subprocess

    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(SOURCES[3], subs / "a.ipynb")
    shutil.copy(RELEASED / SOURCES[3].name, subs / "b.ipynb")
    res = subprocess.run([sys.executable, "-m", "course_utils.grading", "grade", "--assignment", "4",
                          "--submissions", str(subs), "--out", str(tmp_path / "out"), "--jobs", "1",
                          "--timeout", "20"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "已评分 2 份提交" in res.stdout
    lines = (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("a,a.ipynb,2,3,3,2,10,10,") and lines[2].startswith("b,b.ipynb,0,0,0,0,0,10,")


def _nb(cells_from, **edits):
    nb = json.loads((RELEASED / SOURCES[0].name).read_text(encoding="utf-8"))
    nb = solved(nb, cells_from)
    for fn, code in edits.items():
        nb = replace(nb, fn, code)
    return nb


def test_lms_export_flags_hidden_errors_dropped_code_and_regrading(pool, tmp_path):
    """One folder per learner, stray files listed, wrong assignment flagged, old results gone."""
    ref = reference_code(SOURCES[0])
    subs, out = tmp_path / "export", tmp_path / "out"
    leaky = ref["step_decay"].replace('"""Learning rate of StepLR at ``epoch``."""',
                                      'raise ValueError(repr((epoch, base_lr, step_size, gamma)))')
    dropped = "import math\nWARM = float('1')\n" + ref["cosine_warmup"].replace(
        "return base_lr * step / warmup_steps", "return WARM * base_lr * step / warmup_steps")
    notebooks = {
        "2024001/作业1/submission.IPYNB": _nb(ref),
        "2024002/hw.ipynb": _nb(ref, step_decay=leaky),
        "2024003.ipynb": _nb(ref, cosine_warmup=dropped),
        "2024004/x.ipynb": dict(_nb(ref), metadata={"course_assignment": {"id": "03"}}),
    }
    for rel, nb in notebooks.items():
        (subs / rel).parent.mkdir(parents=True, exist_ok=True)
        (subs / rel).write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    dup = _nb(ref)
    dup["cells"].append({"cell_type": "code", "metadata": {}, "source": ref["suggest_lr"]})
    (subs / "2024005.ipynb").write_text(json.dumps(dup, ensure_ascii=False), encoding="utf-8")
    (subs / "2024001" / "附件.pdf").write_bytes(b"%PDF")
    (subs / ".ipynb_checkpoints").mkdir()
    (out / "feedback").mkdir(parents=True)
    (out / "grades.csv").write_text("stale")
    (out / "feedback" / "2023999.md").write_text("an earlier run's learner")
    printed = []
    rows = grade("01", subs, out, source_dir=ROOT / "assignments", jobs=2, timeout=20, pool=pool,
                 echo=printed.append)
    by = {r["learner"]: r for r in rows}
    assert list(by) == ["2024001", "2024002", "2024003", "2024004", "2024005"]
    assert by["2024001"]["submission"] == "2024001/作业1/submission.IPYNB"
    assert by["2024001"]["total"] == by["2024004"]["total"] == by["2024005"]["total"] == 10
    assert by["2024004"]["status"].startswith("作业编号不符") and by["2024001"]["status"] == "正常"
    assert by["2024002"]["q2"] == 0 and by["2024003"]["q1"] < 3  # NameError in the warmup cases
    assert sorted(p.name for p in (out / "feedback").iterdir()) == [f"{k}.md" for k in by]
    for text in (" ".join(printed), (out / "grading.log").read_text(encoding="utf-8")):
        assert "附件.pdf" in text and "不是 .ipynb" in text and ".ipynb_checkpoints" in text
    leak = (out / "feedback" / "2024002.md").read_text(encoding="utf-8")
    q2 = leak.split("## q2")[1].split("## q3")[0]
    hidden = [ln for ln in q2.splitlines() if "隐藏测试" in ln]
    assert len(hidden) == 2 and all("ValueError" in ln and "raise ValueError(repr((" in ln for ln in hidden)
    assert not any("0.05" in ln or "0.3" in ln or "0.9" in ln for ln in hidden)
    assert "(0, 1.0, 3, 0.1)" in leak  # the public case may show its own inputs
    drop = (out / "feedback" / "2024003.md").read_text(encoding="utf-8")
    assert "WARM" in drop and "`WARM = float('1')`" in drop and "评分时不执行" in drop
    dup_text = (out / "feedback" / "2024005.md").read_text(encoding="utf-8")
    n = len(dup["cells"])
    assert "函数 suggest_lr 在第 " in dup_text and f"最后一个（第 {n} 个单元）" in dup_text
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    first = doc["submissions"][0]
    assert first["learner"] == "2024001" and first["flags"] == [] and first["graded"] is True
    q1 = first["questions"]["q1"]
    assert q1["score"] == q1["max"] == 3 and q1["status"] == "完成"
    assert {c["visibility"] for c in q1["cases"]} == {"public", "hidden"}
    assert sum(c["max"] for c in q1["cases"]) == pytest.approx(3)
    assert set(q1["cases"][0]) == {"desc", "visibility", "weight", "max", "score", "passed", "feedback"}
    assert doc["submissions"][3]["flags"] == ["作业编号不符"]
    assert {s["reason"] for s in doc["skipped"]} >= {"不是 .ipynb 笔记本"}
    grade("01", subs / "2024003.ipynb", out, source_dir=ROOT / "assignments", pool=pool,
          echo=lambda *a: None)  # a single notebook, graded into the same out dir again
    assert sorted(p.name for p in (out / "feedback").iterdir()) == ["2024003.md"]
    assert len((out / "grades.csv").read_text(encoding="utf-8").splitlines()) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dirs left


def test_case_weights_split_points_in_the_real_grader(pool, tmp_path):
    def cell(src, kind="code"):
        extra = {"outputs": [], "execution_count": None} if kind == "code" else {}
        return {"cell_type": kind, "metadata": {}, "source": src, **extra}
    source = {"cells": [cell("# 作业 1：小测", "markdown"),
                        cell("### QUESTION q1 function=double points=4\ndef double(x):\n"
                             "    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
                        cell("### PUBLIC TESTS q1\n@case('正数', weight=3)\ndef _(f):\n    return f(2)"),
                        cell("### HIDDEN TESTS q1\n@case('负数')\ndef _(f):\n    return f(-5)")],
              "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "01_tiny.ipynb").write_text(json.dumps(source), encoding="utf-8")
    sub = dict(source, cells=[cell("def double(x):\n    return 4 if x == 2 else 0")])
    (tmp_path / "s.ipynb").write_text(json.dumps(sub), encoding="utf-8")
    rows = grade("01", tmp_path / "s.ipynb", tmp_path / "out", source_dir=tmp_path / "src",
                 pool=pool, echo=lambda *a: None)
    assert rows[0]["learner"] == "s" and rows[0]["q1"] == 3.0 and rows[0]["max"] == 4
    doc = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    cases = doc["submissions"][0]["questions"]["q1"]["cases"]
    assert [(c["weight"], c["max"], c["score"]) for c in cases] == [(3.0, 3.0, 3.0), (1.0, 1.0, 0.0)]
    assert "（权重 3）" in (tmp_path / "out" / "feedback" / "s.md").read_text(encoding="utf-8")
