"""Shared helpers of the benchmark harness: machine facts, load averages, worker subprocesses,
and an offline copy of Fashion-MNIST laid out the way torchvision (and so d2l) expects it.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COURSE_PY = ROOT / ".venv" / "bin" / "python"
FMNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def loadavg() -> float:
    """The 1-minute load average (NaN where the OS does not have one)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (OSError, AttributeError):
        return float("nan")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def course_python() -> str:
    """The course venv's interpreter (what ``make bench`` runs), else the current one."""
    return str(COURSE_PY) if COURSE_PY.exists() else sys.executable


def data_source_dir() -> Path:
    """The directory holding ``fashion-mnist/`` and ``airfoil/`` (the course's data layout)."""
    env_dir = os.environ.get("COURSE_DATA_DIR")
    candidates = [Path(env_dir)] if env_dir else []
    candidates += [ROOT.parent / "shared" / "data", Path("/work/shared/data"), ROOT / "data"]
    for c in candidates:
        if (c / "fashion-mnist" / FMNIST_FILES[0]).exists():
            return c.resolve()
    raise SystemExit("找不到 Fashion-MNIST 数据：请设置 COURSE_DATA_DIR 指向含 fashion-mnist/ 的目录"
                     f"（已查找 {', '.join(str(c) for c in candidates)}）")


def prepare_d2l_workdir(base: Path) -> Path:
    """Lay out ``base/data/FashionMNIST/raw`` (the .gz files and their extracted copies) so that
    ``torchvision.datasets.FashionMNIST(root='../data', download=True)`` finds everything and never
    touches the network; return ``base/work``, the directory to run d2l from (its ``../data``)."""
    raw = base / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    src = data_source_dir() / "fashion-mnist"
    for name in FMNIST_FILES:
        gz = raw / name
        if not gz.exists():
            shutil.copyfile(src / name, gz)
        out = raw / name[:-3]
        if not out.exists():
            with gzip.open(gz, "rb") as f_in, open(out, "wb") as f_out:
                shutil.copyfileobj(f_in, f_out)
    work = base / "work"
    work.mkdir(exist_ok=True)
    return work


class WorkerError(RuntimeError):
    pass


def run_worker(python: str, args: list[str], *, cwd: Path | None = None, env: dict | None = None,
               timeout: float = 3600, script: str = "worker.py") -> dict:
    """Run ``benchmarks/<script>`` with ``python``; return its ``RESULT`` JSON plus the wall time
    of the whole subprocess and the 1-minute load average before and after."""
    full_env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1",
                "COURSE_DATA_DIR": str(data_source_dir()), **(env or {})}
    cmd = [python, str(HERE / script), *args]
    load0, t0 = loadavg(), time.perf_counter()
    # Own session, so a timeout can stop the whole tree (e.g. a notebook's kernel) by its group.
    proc = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.communicate(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue
        raise WorkerError(f"{' '.join(args)} 超时（{timeout:.0f} s）") from None
    wall = time.perf_counter() - t0
    result = None
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
    if proc.returncode != 0 or result is None:
        raise WorkerError(f"{' '.join(args)} 失败（退出码 {proc.returncode}）：\n"
                          f"{stderr[-3000:]}\n{stdout[-1000:]}")
    result["process_wall_s"] = round(wall, 3)
    result["load_start"], result["load_end"] = load0, loadavg()
    return result


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    if n == 0:
        return float("nan")
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])
