"""``python -m course_utils.grading grade``: grade a folder (or one file) of submitted notebooks.

Submissions are found by :func:`find_submissions` (recursive; the learner id is the first folder
under the submissions folder, else the file stem; every file not graded is listed with its
reason). Outputs in ``--out`` (written to a temporary folder first, then swapped in, so no stale
file of an earlier run survives):

* ``grades.csv`` — one row per learner: ``learner, submission, q1, …, total, max, status``;
* ``feedback/<learner>.md`` — Chinese feedback (hidden cases by description only);
* ``results.json`` — everything above, machine-readable (see :func:`grade`);
* ``grading.log`` — for the teacher: skipped files, per-question status, sandbox measures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from .build import expected_values
from .feedback import learner_result, write_log, write_outputs
from .outdir import check_out, fresh, swap_in
from .source import find_assignment
from .submissions import find_submissions, read_submission

__all__ = ["UsageError", "WorkerPool", "find_submissions", "grade"]


class UsageError(ValueError):
    """Bad arguments to :func:`grade` (Chinese message naming the parameter); the CLI exits 2."""


class Worker:
    """One sandbox worker process (imports torch once, forks a child per question)."""

    def __init__(self):
        env = dict(os.environ, COURSE_MODE="smoke", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   PYTHONDONTWRITEBYTECODE="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "course_utils.grading.sandbox"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, close_fds=True,
            text=True, encoding="utf-8", cwd=str(Path(__file__).resolve().parents[2]))

    def run(self, job: dict, limit: float):
        timer = threading.Timer(limit, self.proc.kill)
        timer.start()
        try:
            self.proc.stdin.write(json.dumps(job, ensure_ascii=False) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
            return json.loads(line) if line else None
        except (OSError, ValueError):
            return None
        finally:
            timer.cancel()

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001
            self.proc.kill()
            self.proc.wait()


class WorkerPool:
    """Up to ``size`` sandbox workers, reusable across several ``grade()`` calls.

    ``with WorkerPool(2) as pool: grade(..., pool=pool)`` — starting a worker (importing torch)
    costs a few seconds, so grading several assignments in a row should share one pool.
    """

    def __init__(self, size: int = 2):
        if int(size) < 1:
            raise ValueError(f"WorkerPool 的参数 size（并行进程数）必须 ≥ 1，收到 {size!r}")
        self.size = int(size)
        self.idle: list[Worker] = []
        self.lock = threading.Lock()

    def acquire(self) -> Worker:
        with self.lock:
            if self.idle:
                return self.idle.pop()
        return Worker()

    def release(self, worker: Worker) -> None:
        with self.lock:
            if worker.proc.poll() is None and len(self.idle) < self.size:
                self.idle.append(worker)
                return
        worker.close()

    def close(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for w in idle:
            w.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def grade(assignment, submissions, out, *, source_dir=None, jobs=1, timeout=20.0,
          mem_mb=1024, echo=print, pool: WorkerPool | None = None,
          namespaces: bool = True, selection=None, shard=None) -> list[dict]:
    """Grade the notebooks under ``submissions``; write the outputs to ``out``; return the rows.

    Rows: ``{"learner", "submission", <qid>: points, …, "total", "max", "status"}`` in learner
    order (the same as ``grades.csv``). ``selection=(found, skipped)`` grades exactly the given
    output of :func:`find_submissions` instead of searching ``submissions`` again;
    ``shard=(i, n)`` grades only that shard of the learners (:mod:`.shards`; ``shard.json`` is
    written in every case).

    ``out/results.json`` holds every detail::

        {"assignment": {"id", "slug", "title", "max", "questions": [{"id", "function", "points"}]},
         "submissions": [{"learner", "submission" (path relative to the submissions folder),
                          "total", "max", "status" ("正常" or the notes joined by "；"),
                          "flags" (e.g. ["作业编号不符"]), "notes", "graded" (False: unreadable),
                          "seconds",
                          "questions": {qid: {"score", "max", "status", "notes",
                                              "cases": [{"desc", "visibility" ("public"/"hidden"),
                                                         "weight", "max", "score", "passed",
                                                         "feedback" (Chinese, "" when passed)}]}}}],
         "skipped": [{"path" (relative to the submissions folder), "reason"}]}

    Raises :class:`UsageError` for bad arguments, a missing or empty submissions path, an unknown
    assignment, or ``out`` being a file or a non-empty folder that is not a grader output.
    ``namespaces=False`` disables the namespace/mount/privilege layer (the audit-hook fallback of
    machines without namespaces); meant for tests.
    """
    t_start = time.monotonic()
    if not (int(jobs) >= 1 and float(timeout) > 0 and int(mem_mb) >= 64):
        raise UsageError(f"参数错误：jobs（并行进程数）须 ≥ 1、timeout（秒）须 > 0、mem_mb 须 ≥ 64，"
                         f"收到 jobs={jobs!r}, timeout={timeout!r}, mem_mb={mem_mb!r}")
    out = check_out(out, UsageError)
    source_dir = Path(source_dir or _default_sources()).resolve()
    try:  # before searching the submissions: a usage error is one line, nothing printed before it
        a = find_assignment(source_dir, assignment)
    except FileNotFoundError as exc:
        raise UsageError(f"参数 assignment 有误：{exc}") from None
    if selection is None:
        if not Path(submissions).exists():
            raise UsageError(f"提交路径 submissions 不存在：{submissions}")
        selection = find_submissions(submissions, exclude=[out])
    found, skipped = selection
    from .report import write_report
    from .shards import select, write_manifest

    for p, why in skipped:
        echo(f"跳过 {p}：{why}")
    if not found:
        raise UsageError(f"在 submissions（{submissions}）中没有找到可评分的 .ipynb 笔记本"
                         + (f"（跳过了 {len(skipped)} 个文件或目录，见上）" if skipped else ""))
    found, shard_info = select(found, shard)  # a shard may be empty (fewer learners than shards)
    expected = expected_values(a)
    protect = sorted({str(source_dir), str(Path(submissions).resolve()), str(out.resolve())})
    qspecs = [{"id": q.id, "function": q.function, "tests": q.test_sources(True)}
              for q in a.questions.values()]
    root = Path(submissions)
    subs = [read_submission(learner, path) for learner, path in found]
    replies: dict[str, tuple] = {}
    queue, lock = list(subs), threading.Lock()
    own_pool = pool is None
    pool = pool or WorkerPool(jobs)

    def work():
        worker = pool.acquire()
        while True:
            with lock:
                if not queue:
                    break
                sub = queue.pop(0)
            t0, reply, notes = time.monotonic(), None, []
            if sub.seen is not None:
                job = {"statements": sub.statements, "questions": qspecs, "timeout": float(timeout),
                       "mem_mb": int(mem_mb), "protect": protect, "namespaces": namespaces}
                reply = worker.run(job, len(qspecs) * (timeout + 10) + 60)
                if reply is None:  # the worker itself died: restart it for the next submission
                    notes.append("评分进程异常终止，本提交记 0 分（请检查日志）")
                    worker.close()
                    worker = pool.acquire()
            with lock:
                replies[sub.learner] = (reply or {}, notes, time.monotonic() - t0)
        pool.release(worker)

    threads = [threading.Thread(target=work) for _ in range(min(int(jobs), len(subs)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if own_pool:
        pool.close()
    results = [learner_result(a, expected, sub, *replies[sub.learner], root) for sub in subs]
    tmp = fresh(out)
    rows = write_outputs(tmp, a, results, [(_relative(p, root), why) for p, why in skipped])
    write_manifest(tmp, a, shard_info, {"timeout": float(timeout), "mem_mb": int(mem_mb)})
    seconds = time.monotonic() - t_start
    write_log(tmp, a, results, skipped, {k: v[0] for k, v in replies.items()},
              f"jobs={jobs}，每题超时 {timeout:g} s，内存上限 {mem_mb} MB，总用时 {seconds:.1f} s")
    write_report(tmp)  # report.html: the class at a glance (.report)
    swap_in(tmp, out)
    echo(f"作业 {a.id}：已评分 {len(rows)} 份提交（跳过 {len(skipped)} 个文件或目录），"
         f"用时 {seconds:.1f} 秒；结果在 {out}")
    return rows


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to the submissions folder (as in ``results.json``), else as given."""
    base = root if root.is_dir() else root.parent  # --submissions may be a single notebook
    try:
        return Path(path).resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)


def _default_sources() -> Path:
    from ..env import repo_root

    root = repo_root()
    return (root / "assignments") if root else Path("assignments")
