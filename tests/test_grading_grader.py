"""The sandboxed grader: full marks for every solution, zero for the stubs, the hostile corpus.

Grading runs in real subprocesses (a worker per job, a forked child per question), so this file
takes about a minute on 2 cores; one worker pool is shared by all tests.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import sys
import time
from pathlib import Path

import pytest

from course_utils.grading.__main__ import main as cli
from course_utils.grading.grader import WorkerPool, grade
from course_utils.grading.source import load_assignment, solution_lines

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grading_corpus.corpus import ENTRIES, write_corpus  # noqa: E402

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
    assert list(table[0]) == ["submission", "q1", "q2", "q3", "q4", "total", "max", "status"]
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
    log = (out / "grading.log").read_text(encoding="utf-8")
    assert "30 份提交" in log and "隔离" in log


def test_every_solution_full_marks_and_every_stub_zero(pool, tmp_path):
    for source in SOURCES:
        subs = tmp_path / source.stem / "subs"
        subs.mkdir(parents=True)
        shutil.copy(source, subs / "solution.ipynb")
        shutil.copy(RELEASED / source.name, subs / "stub.ipynb")
        rows = grade(source.name[:2], subs, tmp_path / source.stem / "out",
                     source_dir=ROOT / "assignments", jobs=2, timeout=20, pool=pool,
                     echo=lambda *a: None)
        by = {r["submission"]: r for r in rows}
        assert by["solution.ipynb"]["total"] == by["solution.ipynb"]["max"] == 10, source.name
        assert by["stub.ipynb"]["total"] == 0 and by["stub.ipynb"]["status"] == "正常"


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


def test_cli_rejects_bad_arguments(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli(["grade", "--assignment", "01", "--submissions", str(tmp_path / "missing"),
             "--out", str(tmp_path / "out")])
    assert "不存在" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli(["grade", "--assignment", "01", "--submissions", str(tmp_path), "--out",
             str(tmp_path), "--jobs", "0"])
    with pytest.raises(ValueError, match="jobs"):
        grade("01", tmp_path, tmp_path / "o", jobs=0)
    with pytest.raises(FileNotFoundError, match="submissions"):
        grade("01", tmp_path / "missing", tmp_path / "o")
    with pytest.raises(FileNotFoundError, match="作业 09"):
        cli(["grade", "--assignment", "09", "--submissions", str(tmp_path), "--out",
             str(tmp_path / "o")])


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
    assert lines[1].startswith("a.ipynb,2,3,3,2,10,10,") and lines[2].startswith("b.ipynb,0,0,0,0,0,10,")
