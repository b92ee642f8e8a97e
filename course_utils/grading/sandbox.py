"""Grading worker ("zygote") and the isolated child process that runs learner code.

The grader starts ``python -m course_utils.grading.sandbox`` once per parallel job. That worker is
trusted: it imports torch once, then for each question of each submission it ``fork()``s a child
which, before any learner code runs,

* starts a new session (the whole process group is killed at the wall-clock deadline),
* redirects stdin/stdout/stderr (output goes to a size-limited file, never parsed),
* as root: enters new network + mount namespaces (no network; the instructor sources, the
  submissions and the output directories are covered by empty read-only tmpfs mounts), then drops
  to user ``nobody``; otherwise tries an unprivileged user+network namespace,
* sets rlimits (address space, CPU seconds, file size, processes, open files, no core dumps),
* installs an audit hook (cannot be removed) that blocks sockets, subprocesses, ``fork``, signals,
  ``ctypes`` loading, and reads/writes of protected paths — the only network barrier when no
  namespace is available.

The child reports observed values (plain numbers) over a private pipe, one line per case, each
prefixed with a random per-run nonce. Expected values never enter the child: the grader compares.
"""

from __future__ import annotations

import json
import os
import secrets
import select
import shutil
import signal
import sys
import tempfile
import time

from .isolation import NETNS, USERNS, audit, isolate, limits

MAX_RESULT_BYTES = 32 << 20


def _child(wfd, nonce, workdir, job, question) -> None:
    from .harness import collect_cases, load_statements, run_case

    os.setsid()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    out = os.open(os.path.join(workdir, "output.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(null)
    os.close(out)

    def send(obj):
        data = (nonce + "\t" + json.dumps(obj, ensure_ascii=True) + "\n").encode()
        while data:
            data = data[os.write(wfd, data):]

    measures = isolate(job["protect"], workdir, job.get("namespaces", True))
    os.chdir(workdir)
    os.environ["HOME"] = workdir
    limits(job["mem_mb"], int(job["timeout"]) + 2)
    audit(job["protect"], workdir)
    if NETNS not in measures and USERNS not in measures:
        measures.append("网络由审计钩子屏蔽（无命名空间）")
    send({"sandbox": measures})
    cases = collect_cases([(src, hidden) for src, hidden in question["tests"]])
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    notes = load_statements(job["statements"], namespace)
    fn = namespace.get(question["function"])
    for i, case in enumerate(cases):
        if not callable(fn):
            rec = {"ok": False, "kind": "missing",
                   "error": f"没有找到函数 {question['function']}（请勿修改函数名）"}
        else:
            rec = run_case(case, fn)
        rec["case"] = i
        send(rec)
    send({"done": True, "notes": notes})


def _work_base(protect) -> str:
    """A temporary directory outside every protected directory (they get hidden)."""
    roots = tuple(os.path.realpath(p) + os.sep for p in protect)
    for base in (tempfile.gettempdir(), "/var/tmp", "/dev/shm", os.path.expanduser("~")):
        if os.path.isdir(base) and not (os.path.realpath(base) + os.sep).startswith(roots):
            return base
    return tempfile.gettempdir()


def run_question(job, question) -> dict:
    """Fork a sandboxed child for one question; return its case records and status."""
    t0 = time.monotonic()
    nonce = secrets.token_hex(16)
    workdir = tempfile.mkdtemp(prefix="course-grade-", dir=_work_base(job["protect"]))
    rfd, wfd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child: never returns into the worker loop
        code = 0
        try:
            os.close(rfd)
            os.close(PROTOCOL_FD[0])
            os.close(PROTOCOL_FD[1])
            _child(wfd, nonce, workdir, job, question)
        except BaseException:  # noqa: BLE001
            code = 70
        finally:
            os._exit(code)
    os.close(wfd)
    deadline = time.monotonic() + job["timeout"]
    buf, total, timed_out = b"", 0, False
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or total > MAX_RESULT_BYTES:
            timed_out = left <= 0
            break
        ready, _, _ = select.select([rfd], [], [], left)
        if not ready:
            continue
        chunk = os.read(rfd, 1 << 16)
        if not chunk:
            break
        buf += chunk
        total += len(chunk)
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
        except OSError:
            pass
    _, status = os.waitpid(pid, 0)
    os.close(rfd)
    result = _parse(buf, nonce)
    if timed_out:
        result["status"] = f"超时（超过 {job['timeout']:g} 秒被终止）"
    elif total > MAX_RESULT_BYTES:
        result["status"] = "输出结果过大，已终止"
    elif not result.get("done"):
        if not result["sandbox"] and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 70:
            result["status"] = "评分环境出错（隔离措施无法建立，不是学生代码的问题）"
        elif os.WIFSIGNALED(status):
            result["status"] = f"进程被信号 {os.WTERMSIG(status)} 终止（可能是内存超限或崩溃）"
        else:
            result["status"] = f"进程提前退出（退出码 {os.WEXITSTATUS(status)}）"
    else:
        result["status"] = "完成"
    try:
        with open(os.path.join(workdir, "output.txt"), "rb") as fh:
            fh.seek(max(0, os.fstat(fh.fileno()).st_size - 1500))
            result["tail"] = fh.read().decode("utf-8", "replace")
    except OSError:
        result["tail"] = ""
    shutil.rmtree(workdir, ignore_errors=True)
    result["seconds"] = round(time.monotonic() - t0, 2)
    return result


def _parse(buf: bytes, nonce: str) -> dict:
    result = {"cases": {}, "notes": [], "sandbox": [], "done": False}
    prefix = nonce.encode() + b"\t"
    for line in buf.split(b"\n"):
        if not line.startswith(prefix):
            continue
        try:
            msg = json.loads(line[len(prefix):])
        except ValueError:
            continue
        if not isinstance(msg, dict):
            continue
        if "case" in msg and isinstance(msg["case"], int):
            result["cases"].setdefault(str(msg["case"]), msg)
        elif msg.get("done") is True and not result["done"]:
            result["done"] = True
            result["notes"] = [str(n)[:300] for n in msg.get("notes", [])][:20]
        elif "sandbox" in msg and not result["sandbox"]:
            result["sandbox"] = [str(s) for s in msg["sandbox"]][:10]
    return result


PROTOCOL_FD = (0, 1)


def _warm_up(torch) -> None:
    """Load lazily-imported code paths once so that forked children start fast."""
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.BatchNorm2d(2),
                                torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.nn.functional.mse_loss(model(torch.randn(2, 1, 2, 2)), torch.zeros(2, 1)).backward()
    opt.step()
    torch.linalg.solve(torch.eye(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64))


def main() -> None:
    """Worker loop: one JSON job per stdin line → one JSON reply per stdout line."""
    global PROTOCOL_FD
    os.environ["COURSE_MODE"] = "smoke"
    import numpy  # noqa: F401 - imported once here, inherited by every forked child
    import torch
    import torch._dynamo  # noqa: F401 - optimizers import it lazily on first step()

    import course_utils.env  # noqa: F401 - learners may import these; the repo may get hidden
    import course_utils.grading  # noqa: F401

    torch.set_num_threads(1)
    _warm_up(torch)
    proto_in, proto_out = os.dup(0), os.dup(1)
    os.dup2(2, 1)  # stray prints of the worker must not corrupt the protocol
    PROTOCOL_FD = (proto_in, proto_out)
    reader = os.fdopen(proto_in, "r", encoding="utf-8")
    writer = os.fdopen(proto_out, "w", encoding="utf-8")
    for line in reader:
        job = json.loads(line)
        reply = {q["id"]: run_question(job, q) for q in job["questions"]}
        writer.write(json.dumps(reply, ensure_ascii=False) + "\n")
        writer.flush()


if __name__ == "__main__":
    main()
