"""Sharded grading (``grade --shard i/N`` + ``merge``) and the Slurm / GitHub Actions recipes.

The main test grades ≥ 12 planted submissions of assignment 01 once whole and once as 4 shards
run in parallel (separate processes, as on 4 machines), merges them and asserts identical
grades, feedback, results and report. The recipes in ``assignments/engines/`` are checked for
syntax and dry-run without Slurm (a fake ``sbatch`` on PATH that runs the scripts locally) and
without GitHub (the workflow's own steps run locally, artifacts copied between folders).
Real grading subprocesses: about 1–2 minutes on 2 cores.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

import pytest
import yaml

from course_utils.grading.__main__ import main as cli
from course_utils.grading.shards import MANIFEST, ShardError, parse_shard, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grading_corpus.corpus import ENTRIES, write_corpus  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ROOT / "assignments" / "engines"
RELEASED = ROOT / "notebooks" / "assignments"
PLANTED = ["reference_solution", "untouched_stub", "reordered_duplicated_cells",
           "syntax_error_in_q1", "off_by_one_warmup", "hardcoded_public_answers",
           "eq_always_true_in_q2", "corrupt_json", "empty_notebook", "sys_exit_in_q1",
           "broken_imports_and_top_level_junk", "segfault_in_q1", "infinite_loop_in_q2"]


def _cli(*args, cwd=ROOT, env=None, timeout=600):
    return subprocess.Popen([sys.executable, "-m", "course_utils.grading", *map(str, args)],
                            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _done(proc, timeout=600):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return out


def _digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _without_timing(doc: dict) -> dict:
    return {**doc, "submissions": [{k: v for k, v in s.items() if k != "seconds"}
                                   for s in doc["submissions"]]}


@pytest.fixture(scope="module")
def frozen_sources(tmp_path_factory):
    """A private copy of the instructor sources: every shard must see the same release."""
    dest = tmp_path_factory.mktemp("sources")
    for f in (ROOT / "assignments").glob("[0-9][0-9]_*.ipynb"):
        shutil.copy(f, dest / f.name)
    return dest


@pytest.fixture(scope="module")
def planted(tmp_path_factory, frozen_sources):
    """≥ 12 learners of assignment 01: flat files, per-learner folders, one skipped file."""
    base = tmp_path_factory.mktemp("planted")
    corpus = base / "corpus"
    src = frozen_sources / "01_lr_schedules.ipynb"
    ctx = {"canary": str(base / "canary.txt"), "submission_canary": str(base / "zz.txt"),
           "source": str(src)}
    write_corpus(corpus, RELEASED / src.name, src, ctx)
    subs = base / "submissions"
    subs.mkdir()
    names = [n for n in PLANTED if n in ENTRIES]
    for k, name in enumerate(names):
        if k % 3 == 0:  # an LMS-style export: one folder per learner
            folder = subs / f"2024{k:03d}" / "作业1"
            folder.mkdir(parents=True)
            shutil.copy(corpus / f"{name}.ipynb", folder / "submission.ipynb")
        else:
            shutil.copy(corpus / f"{name}.ipynb", subs / f"{name}.ipynb")
    shutil.copy(RELEASED / "04_convex_optimization.ipynb", subs / "wrong_assignment.ipynb")
    (subs / "README.txt").write_text("not a notebook")
    assert len(names) + 1 >= 12
    return subs


@pytest.fixture(scope="module")
def runs(tmp_path_factory, planted, frozen_sources):
    """The same folder graded whole (--jobs 2) and as 4 shards in parallel, then merged."""
    base = tmp_path_factory.mktemp("runs")
    common = ["--assignment", "01", "--submissions", planted, "--source", frozen_sources,
              "--timeout", "4"]
    whole = _cli("grade", *common, "--out", base / "whole", "--jobs", "2")
    _done(whole)
    shards = [_cli("grade", *common, "--out", base / f"shard-{i}", "--shard", f"{i}/4",
                   "--jobs", "1") for i in range(1, 5)]
    for proc in shards:
        _done(proc)
    dirs = [base / f"shard-{i}" for i in range(1, 5)]
    _done(_cli("merge", *dirs, "--out", base / "merged"))
    return {"whole": base / "whole", "merged": base / "merged", "shards": dirs, "base": base}


def test_parse_shard_and_selection_are_deterministic():
    assert parse_shard("2/4") == (2, 4) and parse_shard(" 1 / 1 ") == (1, 1)
    for bad in ("0/4", "5/4", "2", "a/b", "2/0", "-1/3"):
        with pytest.raises(ShardError, match="--shard"):
            parse_shard(bad)
    found = [(f"s{k:02d}", Path(f"s{k:02d}.ipynb")) for k in range(14)]
    parts = [select(found, (i, 4))[0] for i in range(1, 5)]
    assert sorted(x for p in parts for x in p) == sorted(found)  # disjoint and complete
    assert sorted(len(p) for p in parts) == [3, 3, 4, 4]
    shuffled = found[7:] + found[:7]  # another machine lists the folder in another order
    assert [select(shuffled, (i, 4))[0] for i in range(1, 5)] == parts
    few = [select(found[:2], (i, 4))[0] for i in range(1, 5)]  # more shards than learners
    assert [len(p) for p in few] == [1, 1, 0, 0]


def test_sharded_run_merges_to_exactly_the_whole_run(runs):
    whole, merged = runs["whole"], runs["merged"]
    rows = list(csv.DictReader(open(whole / "grades.csv", encoding="utf-8")))
    assert len(rows) >= 12
    assert (merged / "grades.csv").read_bytes() == (whole / "grades.csv").read_bytes()
    assert _digest(merged / "feedback") == _digest(whole / "feedback")
    assert (merged / "report.html").read_bytes() == (whole / "report.html").read_bytes()
    load = lambda d: json.loads((d / "results.json").read_text(encoding="utf-8"))  # noqa: E731
    assert _without_timing(load(merged)) == _without_timing(load(whole))
    graded = [json.loads((d / MANIFEST).read_text())["graded"] for d in runs["shards"]]
    assert sorted(x for g in graded for x in g) == [r["learner"] for r in rows]
    assert max(map(len, graded)) - min(map(len, graded)) <= 1
    log = (merged / "grading.log").read_text(encoding="utf-8")
    assert "合并 4 个分片" in log and log.count("README.txt") == 4  # each shard lists the skip


def _refused(capsys, *args) -> str:
    assert cli(list(map(str, args))) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("错误：") and "\n" not in err and "Traceback" not in err
    return err


def _tampered(src: Path, dest: Path, **change) -> Path:
    shutil.copytree(src, dest)
    man = json.loads((dest / MANIFEST).read_text(encoding="utf-8"))
    (dest / MANIFEST).write_text(json.dumps({**man, **change}), encoding="utf-8")
    return dest


def test_merge_runs_without_pytorch(runs, tmp_path):
    """The GitHub Actions merge job installs the package with --no-deps: no torch, no IPython."""
    code = ("import sys\nfor m in ('torch', 'matplotlib', 'IPython', 'ipywidgets'):\n    sys.modules[m] = None\n"
            "from course_utils.grading.__main__ import main\nsys.exit(main(sys.argv[1:]))")
    res = subprocess.run([sys.executable, "-c", code, "merge", *map(str, runs["shards"]),
                          "--out", str(tmp_path / "m")], capture_output=True, text=True, cwd=tmp_path,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "m" / "grades.csv").read_bytes() == (runs["merged"] / "grades.csv").read_bytes()


def test_merge_refuses_missing_doubled_and_foreign_shards(runs, capsys, tmp_path):
    s1, s2, s3, s4 = runs["shards"]
    out = tmp_path / "out"
    assert "缺少分片 3/4" in _refused(capsys, "merge", s1, s2, s4, "--out", out)
    assert "出现了两次" in _refused(capsys, "merge", s1, s2, s3, s4, s4, "--out", out)
    other = _tampered(s4, tmp_path / "a", assignment="02")
    assert "作业编号" in _refused(capsys, "merge", s1, s2, s3, other, "--out", out)
    other = _tampered(s4, tmp_path / "r", release="0123456789abcdef")
    assert "发布版本" in _refused(capsys, "merge", s1, s2, s3, other, "--out", out)
    man = json.loads((s4 / MANIFEST).read_text())
    other = _tampered(s4, tmp_path / "l", learners=man["learners"] + ["zz_late"])
    assert "提交不同" in _refused(capsys, "merge", s1, s2, s3, other, "--out", out)
    other = _tampered(s4, tmp_path / "n", shard=[4, 5])
    assert "分片总数" in _refused(capsys, "merge", s1, s2, s3, other, "--out", out)
    broken = shutil.copytree(s4, tmp_path / "broken")
    (broken / MANIFEST).write_text("{not json")
    assert "已损坏" in _refused(capsys, "merge", s1, s2, s3, broken, "--out", out)
    cut = shutil.copytree(s4, tmp_path / "cut")
    lines = (cut / "grades.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (cut / "grades.csv").write_text("".join(lines[:-1]), encoding="utf-8")
    assert "不完整" in _refused(capsys, "merge", s1, s2, s3, cut, "--out", out)
    (tmp_path / "empty").mkdir()
    assert "shard.json" in _refused(capsys, "merge", s1, s2, s3, tmp_path / "empty", "--out", out)
    (tmp_path / "file").write_text("x")
    assert "--out" in _refused(capsys, "merge", s1, s2, s3, s4, "--out", tmp_path / "file")
    keep = tmp_path / "teacher"  # a folder of the teacher's own files is never replaced
    keep.mkdir()
    (keep / "notes.txt").write_text("mine")
    assert "不是评分结果目录" in _refused(capsys, "merge", s1, s2, s3, s4, "--out", keep)
    assert (keep / "notes.txt").read_text() == "mine"
    assert not out.exists()  # nothing half-written
    with pytest.raises(SystemExit) as exc:
        cli(["grade", "--assignment", "01", "--submissions", str(tmp_path), "--out",
             str(out), "--shard", "5/4"])
    assert exc.value.code == 2 and "--shard" in capsys.readouterr().err


# ---------------------------------------------------------------- recipes (Slurm, GitHub Actions)

FAKE_SBATCH = r'''#!/usr/bin/env python3
"""Stand-in for sbatch: records the call, runs the script here (array tasks one by one) and
honours --dependency=afterok by refusing to start after a failed job."""
import json, os, re, subprocess, sys
state = os.environ["FAKE_SLURM_STATE"]
calls = json.load(open(state)) if os.path.exists(state) else []
args = sys.argv[1:]
script = args[-1]
opts = dict(re.match(r"--([\w-]+)=?(.*)", a).groups() for a in args[:-1])
job = str(1000 + len(calls))
ok = True
dep = opts.get("dependency", "")
if dep:
    need = dep.split(":", 1)[1]
    ok = any(c["job"] == need and c["ok"] for c in calls)
lo, hi = map(int, opts["array"].split("-")) if "array" in opts else (None, None)
tasks = range(lo, hi + 1) if lo is not None else [None]
for t in tasks if ok else []:
    env = dict(os.environ, SLURM_JOB_ID=job, SLURM_CPUS_PER_TASK="1")
    if t is not None:
        env.update(SLURM_ARRAY_JOB_ID=job, SLURM_ARRAY_TASK_ID=str(t),
                   SLURM_ARRAY_TASK_MAX=str(hi), SLURM_ARRAY_TASK_MIN=str(lo))
    with open(f"{state}.{job}_{t}.out", "w") as log:  # like #SBATCH --output
        ok = subprocess.run(["bash", script], env=env, stdout=log, stderr=log).returncode == 0 and ok
calls.append({"job": job, "args": args, "ok": ok})
json.dump(calls, open(state, "w"))
print(job + ";fakecluster" if "parsable" in opts else "Submitted batch job " + job)
'''


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    """Four learners of assignment 04: two solutions, two untouched notebooks."""
    subs = tmp_path_factory.mktemp("small") / "submissions" / "04"
    (subs / "2024002" / "hw4").mkdir(parents=True)
    shutil.copy(ROOT / "assignments" / "04_convex_optimization.ipynb", subs / "alice.ipynb")
    shutil.copy(ROOT / "assignments" / "04_convex_optimization.ipynb",
                subs / "2024002" / "hw4" / "nb.ipynb")
    shutil.copy(RELEASED / "04_convex_optimization.ipynb", subs / "bob.ipynb")
    shutil.copy(RELEASED / "04_convex_optimization.ipynb", subs / "carol.ipynb")
    return subs


def _totals(folder: Path) -> dict:
    rows = csv.DictReader(open(folder / "grades.csv", encoding="utf-8"))
    return {r["learner"]: float(r["total"]) for r in rows}


SMALL_TOTALS = {"2024002": 10.0, "alice": 10.0, "bob": 0.0, "carol": 0.0}


def test_slurm_scripts_parse_and_declare_an_array():
    for name in ("slurm_grade.sbatch", "slurm_merge.sbatch", "slurm_submit.sh"):
        res = subprocess.run(["bash", "-n", str(ENGINES / name)], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
    grade = (ENGINES / "slurm_grade.sbatch").read_text()
    assert re.search(r"^#SBATCH --array=1-\d+$", grade, re.M)
    assert '--dependency="afterok:' in (ENGINES / "slurm_submit.sh").read_text()
    res = subprocess.run(["bash", str(ENGINES / "slurm_grade.sbatch")], capture_output=True,
                         text=True, env=dict(os.environ, ASSIGNMENT="01"))
    assert res.returncode != 0 and "array" in res.stderr  # outside an array: a clear refusal


def test_slurm_recipe_dry_run_with_a_fake_sbatch(tmp_path, small_class, frozen_sources):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sbatch").write_text(FAKE_SBATCH)
    (bin_dir / "sbatch").chmod(0o755)
    work = tmp_path / "course"
    shutil.copytree(small_class.parent, work / "submissions")
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", ASSIGNMENT="04",
               SHARDS="2", PYTHON=sys.executable, FAKE_SLURM_STATE=str(tmp_path / "calls.json"),
               EXTRA_ARGS=f"--source {frozen_sources} --timeout 20")
    res = subprocess.run(["bash", str(ENGINES / "slurm_submit.sh")], cwd=work, env=env,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    calls = json.loads((tmp_path / "calls.json").read_text())
    assert "--array=1-2" in calls[0]["args"] and calls[0]["ok"]
    assert f"--dependency=afterok:{calls[0]['job']}" in calls[1]["args"] and calls[1]["ok"]
    assert _totals(work / "grading" / "04" / "merged") == SMALL_TOTALS
    assert (work / "grading" / "04" / "merged" / "report.html").is_file()


def _workflow():
    wf = yaml.safe_load((ENGINES / "github_actions_grade.yml").read_text())
    return wf, wf.get("on", wf.get(True))  # PyYAML reads the key `on` as True


def test_github_actions_example_is_a_matrix_with_artifacts_and_a_merge_job():
    assert not (ROOT / ".github" / "workflows" / "github_actions_grade.yml").exists()
    wf, trigger = _workflow()
    assert "workflow_dispatch" in trigger
    grade, merge = wf["jobs"]["grade"], wf["jobs"]["merge"]
    shards = grade["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, int(wf["env"]["SHARDS"]) + 1))
    runs = "\n".join(s.get("run", "") for s in grade["steps"])
    assert "python -m course_utils.grading grade" in runs and "--shard" in runs
    uploads = [s for s in grade["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert len(uploads) == 1 and "${{ matrix.shard }}" in uploads[0]["with"]["name"]
    assert merge["needs"] == "grade"
    assert any(s.get("uses", "").startswith("actions/download-artifact") for s in merge["steps"])
    assert "python -m course_utils.grading merge" in "\n".join(s.get("run", "") for s in merge["steps"])


def _cli_calls(text: str) -> set[tuple[str, frozenset]]:
    text = text.replace("\\\n", " ")
    return {(m.group(1), frozenset(re.findall(r"(--[a-z-]+)", m.group(2))))
            for m in re.finditer(r"-m course_utils\.grading (grade|merge)([^\n]*)", text)}


def test_both_recipes_call_the_same_cli():
    slurm = "".join((ENGINES / n).read_text() for n in ("slurm_grade.sbatch", "slurm_merge.sbatch"))
    gha = (ENGINES / "github_actions_grade.yml").read_text()
    assert _cli_calls(slurm) == _cli_calls(gha)
    assert {c[0] for c in _cli_calls(slurm)} == {"grade", "merge"}


def _expand(text: str, env: dict, matrix: dict) -> str:
    text = re.sub(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", lambda m: str(matrix[m.group(1)]), text)
    return re.sub(r"\$\{\{\s*env\.(\w+)\s*\}\}", lambda m: str(env[m.group(1)]), text)


def _run_job(job: dict, env: dict, matrix: dict, work: Path, artifacts: Path) -> None:
    """Run a job's steps locally: course_utils.grading steps for real, artifacts as folders;
    checkout, setup-python and pip steps are skipped (the test environment has them)."""
    for step in job["steps"]:
        uses, run = step.get("uses", ""), step.get("run", "")
        if uses.startswith("actions/upload-artifact"):
            name = _expand(step["with"]["name"], env, matrix)
            shutil.copytree(work / _expand(step["with"]["path"], env, matrix), artifacts / name)
        elif uses.startswith("actions/download-artifact"):
            for a in sorted(artifacts.iterdir()):
                if fnmatch(a.name, step["with"]["pattern"]):
                    shutil.copytree(a, work / step["with"]["path"] / a.name)
        elif "course_utils.grading" in run:
            res = subprocess.run(["bash", "-euo", "pipefail", "-c", _expand(run, env, matrix)],
                                 cwd=work, env=env, capture_output=True, text=True, timeout=600)
            assert res.returncode == 0, res.stdout + res.stderr


def test_github_actions_dry_run_without_github(tmp_path, small_class, frozen_sources):
    wf, _ = _workflow()
    work, artifacts = tmp_path / "repo", tmp_path / "artifacts"
    artifacts.mkdir()
    shutil.copytree(small_class.parent, work / "submissions")
    env = {**os.environ, **{k: str(v) for k, v in wf["env"].items()}, "ASSIGNMENT": "04",
           "SUBMISSIONS": "submissions/04", "EXTRA_ARGS": f"--source {frozen_sources}"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # `python` = ours
    for shard in wf["jobs"]["grade"]["strategy"]["matrix"]["shard"]:
        _run_job(wf["jobs"]["grade"], env, {"shard": shard}, work, artifacts)
    assert sorted(a.name for a in artifacts.iterdir()) == ["shard-1", "shard-2", "shard-3", "shard-4"]
    _run_job(wf["jobs"]["merge"], env, {}, work, artifacts)
    assert _totals(work / "merged") == SMALL_TOTALS
