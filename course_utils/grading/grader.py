"""``python -m course_utils.grading grade``: grade a folder of submitted notebooks.

Outputs in ``--out``: ``grades.csv`` (one row per submission), ``feedback/<name>.md`` (Chinese
feedback per learner; hidden tests are named by their description only, never shown as code or
with their expected values) and ``grading.log``.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from .build import expected_values
from .compare import close, describe_tolerance, short
from .harness import definitions
from .source import cell_source, find_assignment, marker_of
from .submissions import find_submissions

__all__ = ["WorkerPool", "find_submissions", "grade", "submission_statements"]

MAX_NOTEBOOK_BYTES = 20 << 20


def submission_statements(path: Path) -> tuple[list[str], list[str]]:
    """Learner definitions from every code cell, in notebook order (later ones win), plus notes."""
    notes, stmts = [], []
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        return [], [f"文件过大（超过 {MAX_NOTEBOOK_BYTES >> 20} MB），未评分"]
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
        if not isinstance(cells, list):
            raise TypeError
    except Exception:  # noqa: BLE001
        return [], ["无法读取该文件：不是有效的 .ipynb 笔记本（JSON 损坏或缺少 cells）"]
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        try:
            if marker_of(cell)[0] in ("public", "hidden"):
                continue
            stmts += definitions(cell_source(cell))
        except SyntaxError as exc:
            notes.append(f"第 {i + 1} 个单元有语法错误（第 {exc.lineno} 行），已跳过该单元")
        except Exception:  # noqa: BLE001 - malformed cell (wrong types, too deep, ...)
            notes.append(f"第 {i + 1} 个单元格式错误或无法解析，已跳过")
    return stmts, notes


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


def _score(question, records, reply):
    """Points and feedback lines for one question."""
    cases = (reply or {}).get("cases", {})
    passed, lines = 0, []
    for i, spec in enumerate(records):
        rec = cases.get(str(i))
        label = "隐藏测试" if spec["hidden"] else "公开测试"
        if not isinstance(rec, dict):
            ok, why = False, "未得到结果（进程在此前终止）"
        elif rec.get("ok") is True:
            ok, why = close(_plain(rec.get("value")), spec["expected"], spec["atol"], spec["rtol"])
            if not ok and spec["hidden"]:
                why = f"结果与参考答案不符（{describe_tolerance(spec['atol'], spec['rtol'])}）"
            elif not ok:
                why += f"；你的结果 {short(_plain(rec.get('value')))}"
        else:
            ok, why = False, str(rec.get("error", "出错"))[:300]
        passed += ok
        lines.append(f"- {'✅' if ok else '❌'} {label}：{spec['desc']}" + ("" if ok else f" —— {why}"))
    n = len(records)
    return round(question.points * passed / n, 2) if n else 0.0, lines


def _plain(v):
    """Re-validate a value coming back from the child: only floats, None, str and lists."""
    if isinstance(v, bool) or v is None:
        return None if v is None else float(v)
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        return v[:200]
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return None


def grade(assignment, submissions, out, *, source_dir=None, jobs=1, timeout=20.0,
          mem_mb=1024, echo=print, pool: WorkerPool | None = None,
          namespaces: bool = True) -> list[dict]:
    """Grade every ``*.ipynb`` in ``submissions``; write the outputs to ``out``; return the rows.

    ``namespaces=False`` disables the namespace/mount/privilege layer (the audit-hook fallback of
    machines without namespaces); meant for tests.
    """
    t_start = time.monotonic()
    if not (int(jobs) >= 1 and float(timeout) > 0 and int(mem_mb) >= 64):
        raise ValueError(f"参数错误：jobs（并行进程数）须 ≥ 1、timeout（秒）须 > 0、mem_mb 须 ≥ 64，"
                         f"收到 jobs={jobs!r}, timeout={timeout!r}, mem_mb={mem_mb!r}")
    out = Path(out)
    found, skipped = find_submissions(submissions, exclude=[out])
    source_dir = Path(source_dir or _default_sources()).resolve()
    a = find_assignment(source_dir, assignment)
    expected = expected_values(a)
    subs = [p for _, p in found]
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    protect = sorted({str(source_dir), str(Path(submissions).resolve()), str(out.resolve())})
    qspecs = [{"id": q.id, "function": q.function, "tests": q.test_sources(True)}
              for q in a.questions.values()]
    results: dict[str, dict] = {}
    queue = list(enumerate(subs))
    lock = threading.Lock()

    own_pool = pool is None
    pool = pool or WorkerPool(jobs)

    def work():
        worker = pool.acquire()
        while True:
            with lock:
                if not queue:
                    break
                _, path = queue.pop(0)
            t0 = time.monotonic()
            try:
                stmts, notes = submission_statements(path)
            except Exception as exc:  # noqa: BLE001 - never lose the batch for one file
                stmts, notes = [], [f"无法处理该文件（{type(exc).__name__}），未评分"]
            reply = None
            if stmts or not notes:
                job = {"statements": stmts, "questions": qspecs, "timeout": float(timeout),
                       "mem_mb": int(mem_mb), "protect": protect, "namespaces": namespaces}
                reply = worker.run(job, len(qspecs) * (timeout + 10) + 60)
                if reply is None:  # the worker itself died: restart it for the next submission
                    notes.append("评分进程异常终止，本提交记 0 分（请检查日志）")
                    worker.close()
                    worker = pool.acquire()
            with lock:
                results[path.name] = {"reply": reply or {}, "notes": notes,
                                      "seconds": time.monotonic() - t0}
        pool.release(worker)

    threads = [threading.Thread(target=work) for _ in range(max(1, min(int(jobs), len(subs) or 1)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if own_pool:
        pool.close()
    rows = _write_outputs(a, expected, subs, results, out)
    _write_log(a, subs, results, rows, out, time.monotonic() - t_start, jobs, timeout, mem_mb)
    echo(f"作业 {a.id}：已评分 {len(rows)} 份提交，用时 {time.monotonic() - t_start:.1f} 秒；"
         f"结果在 {out}")
    return rows


def _write_outputs(a, expected, subs, results, out):
    rows = []
    qids = list(a.questions)
    for path in subs:
        res = results[path.name]
        row = {"submission": path.name}
        lines = [f"# 评分反馈：{a.title}", "", f"提交文件：`{path.name}`", ""]
        body = []
        for qid in qids:
            q = a.questions[qid]
            reply = res["reply"].get(qid)
            pts, fb = _score(q, expected[qid], reply)
            row[qid] = pts
            body += [f"## {qid} · `{q.function}`：{pts:g} / {q.points:g} 分", ""] + fb
            status = (reply or {}).get("status", "未运行")
            if status != "完成":
                body.append(f"- ⚠️ 评分进程：{status}")
            body += [f"- ⚠️ {n}" for n in (reply or {}).get("notes", [])[:5]] + [""]
        row["total"] = round(sum(row[q] for q in qids), 2)
        row["max"] = a.max_points
        row["status"] = "；".join(res["notes"]) or "正常"
        lines += [f"**总分：{row['total']:g} / {a.max_points:g}**", ""]
        lines += [f"> 注意：{n}" for n in res["notes"]] + ([""] if res["notes"] else [])
        lines += body
        lines.append("说明：公开测试即笔记本中 check() 运行的测试；隐藏测试只给出说明，不公开代码。")
        (out / "feedback" / (path.stem + ".md")).write_text("\n".join(lines) + "\n", encoding="utf-8")
        rows.append(row)
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["submission", *qids, "total", "max", "status"])
        w.writeheader()
        for row in rows:
            w.writerow({k: (f"{v:g}" if isinstance(v, float) else v) for k, v in row.items()})
    return rows


def _write_log(a, subs, results, rows, out, seconds, jobs, timeout, mem_mb):
    lines = [f"作业 {a.id}（{a.path.name}）：{len(subs)} 份提交，jobs={jobs}，"
             f"每题超时 {timeout:g} s，内存上限 {mem_mb} MB，总用时 {seconds:.1f} s"]
    for path, row in zip(subs, rows):
        res = results[path.name]
        lines.append(f"== {path.name}：{row['total']:g} / {row['max']:g}（{res['seconds']:.1f} s）")
        lines += [f"   注意：{n}" for n in res["notes"]]
        for qid, reply in sorted(res["reply"].items()):
            lines.append(f"   {qid}: {reply.get('status')}（{reply.get('seconds', 0):.2f} s）；隔离：{'、'.join(reply.get('sandbox', []))}")
            tail = (reply.get("tail") or "").strip()
            if tail:
                lines.append("   输出末尾：" + tail[-400:].replace("\n", "\n   | "))
    (out / "grading.log").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _default_sources() -> Path:
    from ..env import repo_root

    root = repo_root()
    return (root / "assignments") if root else Path("assignments")
