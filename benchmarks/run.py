"""Speed and accuracy benchmarks of the course against the d2l reference (``make bench``).

Writes ``benchmarks/results.json`` and ``benchmarks/RESULTS.md``. Sections:

    throughput  1. data pipeline examples/sec: course_utils vs d2l (batch 256, 28×28 and 96×96)
    train       2. end-to-end BN-LeNet (lr 1.0, batch 256, 10 epochs): course_utils vs d2l
    imports     5. course_utils import time and setup_notebook time (fresh processes)
    notebooks   4. wall time of every lesson notebook in smoke and cpu mode
    accuracy    3. each chapter's main result next to d2l's published figures

Every section runs its measurements in fresh subprocesses and records the 1-minute load average
before and after each. The d2l side runs in ``benchmarks/.venv-d2l`` (created on first use, from
the local wheel index: torch 2.14.1, torchvision 0.29.1, d2l --no-deps); the course side runs
both there (same torch build as d2l: the ratio) and in the course's own ``.venv``.

    python benchmarks/run.py                  # everything (about 20-30 min on 2 idle cores)
    python benchmarks/run.py --quick          # a fast check of the harness (build/bench-quick/)
    python benchmarks/run.py --only train     # one section (merged into the existing results)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common  # sibling modules: the script's folder is first on sys.path
import d2l_env
import report
from common import ROOT, loadavg, median, now_iso, run_worker

SECTIONS = ("throughput", "train", "imports", "notebooks", "accuracy")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {loadavg():.2f}] {msg}", flush=True)


class Bench:
    def __init__(self, args):
        self.a = args
        self.quick = args.quick
        self.threads = args.threads
        # The course venv may cap OpenMP threads for development (a .pth setting
        # OMP_NUM_THREADS=1 unless COURSE_DEV_ALL_THREADS=1): every worker gets the same count.
        self.env = {"OMP_NUM_THREADS": str(self.threads), "MKL_NUM_THREADS": str(self.threads),
                    "COURSE_DEV_ALL_THREADS": "1"}
        self.course_py = common.course_python()
        self.tmp = Path(tempfile.mkdtemp(prefix="course-bench-"))
        self._d2l_work = None
        self.executed = {}  # (notebook, mode) -> path of the executed copy (this run)
        self.d2l_error = None

    # -- the two interpreters -------------------------------------------------------------
    def d2l_work(self) -> Path:
        if self._d2l_work is None:
            d2l_env.ensure(log)
            self._d2l_work = common.prepare_d2l_workdir(self.tmp)
        return self._d2l_work

    def variants(self):
        """(label, python, impl, extra env, cwd) of each implementation measured. Without the
        reference venv (it could not be created) only the course's own numbers are measured."""
        own = ("course_utils (.venv)", self.course_py, "course", {}, ROOT)
        if self.d2l_error is None:
            try:
                work = self.d2l_work()
            except Exception as exc:
                self.d2l_error = f"{type(exc).__name__}: {str(exc)[:800]}"
                log(f"参考环境不可用，只测课程自己的数字：{self.d2l_error}")
        if self.d2l_error is not None:
            return [own]
        ref = str(d2l_env.PY)
        return [
            ("d2l", ref, "d2l", {}, work),
            ("course_utils", ref, "course", {"PYTHONPATH": str(ROOT)}, ROOT),
            own,
        ]

    def worker(self, python, args, env=None, cwd=None, **kw):
        return run_worker(python, args, env={**self.env, **(env or {})}, cwd=cwd or ROOT, **kw)

    # -- sections ------------------------------------------------------------------------
    def throughput(self) -> dict:
        epochs = 1 if self.quick else 2
        extra = ["--max-batches", "20"] if self.quick else []
        rows = []
        for resize in (28, 96):
            for label, py, impl, env, cwd in self.variants():
                log(f"吞吐量 {label} resize={resize}")
                r = self.worker(py, ["throughput", "--impl", impl, "--resize", str(resize),
                                     "--epochs", str(epochs), *extra], env, cwd)
                r.update(label=label, size=resize,
                         median_examples_per_sec=median(r["examples_per_sec"]))
                rows.append(r)
        ratios = {}
        for resize in (28, 96):
            by = {r["label"]: r for r in rows if r["size"] == resize}
            if "d2l" in by:
                ref = by["d2l"]["median_examples_per_sec"]
                ratios[str(resize)] = {k: round(v["median_examples_per_sec"] / ref, 2)
                                       for k, v in by.items() if k != "d2l"}
        return {"rows": rows, "ratios": ratios, "epochs": epochs, "d2l_error": self.d2l_error,
                "note": "每轮遍历一次训练集（60000 张）；d2l 每轮重新启动 4 个 DataLoader 工作进程，"
                        "这部分开销计入其每轮时间。" + ("（--quick：每轮只取 20 批）" if self.quick
                                                       else "")}

    def train(self) -> dict:
        args = ["train", "--epochs", "1", "--subset", "2560"] if self.quick else \
            ["train", "--epochs", "10"]
        rows = []
        for label, py, impl, env, cwd in self.variants():
            log(f"端到端训练 BN-LeNet：{label}")
            r = self.worker(py, args + ["--impl", impl], env, cwd)
            r["label"] = label
            rows.append(r)
        by = {r["label"]: r for r in rows}
        speedup = {k: round(by["d2l"]["wall_s"] / v["wall_s"], 2) for k, v in by.items()
                   if k != "d2l"} if "d2l" in by else {}
        return {"rows": rows, "speedup": speedup, "d2l_error": self.d2l_error}

    def imports(self) -> dict:
        n = 2 if self.quick else 5
        runs = [self.worker(self.course_py, ["imports"]) for _ in range(n)]
        keys = ("import_torch_s", "import_course_utils_s", "setup_notebook_s", "total_s",
                "process_wall_s")
        return {"runs": runs, "median": {k: round(median([r[k] for r in runs]), 3)
                                         for k in keys}, "n": n}

    def lesson_sources(self):
        return sorted((ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py"))

    def _selected(self, stem: str, sel: str) -> bool:
        items = [x for x in sel.split(",") if x]
        return sel == "all" or stem[:2] in items or stem in items

    def _cpu_order(self, srcs):
        """cpu-mode runs in the order ``--cpu-notebooks`` lists them (so that, under a time
        budget, the ones listed first are measured), unlisted ones after."""
        items = [x for x in self.a.cpu_notebooks.split(",") if x]

        def key(src):
            for i, x in enumerate(items):
                if src.stem == x or src.stem[:2] == x:
                    return i
            return len(items)
        return sorted(srcs, key=key)

    def notebooks(self) -> dict:
        """Every lesson notebook in smoke mode, then in cpu mode within ``--cpu-budget``."""
        out_dir = ROOT / "build" / "bench-notebooks"  # git-ignored; section 3 reads these
        srcs = [s for s in self.lesson_sources() if self._selected(s.stem, self.a.notebooks)]
        rows = []
        cpu_started, budget = None, self.a.cpu_budget
        for mode in ("smoke", "cpu"):
            for src in (srcs if mode == "smoke" else self._cpu_order(srcs)):
                row = {"notebook": src.stem, "mode": mode}
                timeout = 3600.0
                if mode == "cpu":
                    cpu_started = cpu_started or time.perf_counter()
                    left = budget - (time.perf_counter() - cpu_started) if budget else None
                    if not self._selected(src.stem, self.a.cpu_notebooks):
                        rows.append({**row, "skipped": "not selected"})
                        continue
                    if left is not None and left < 60:
                        rows.append({**row, "skipped": "budget"})
                        continue
                    timeout = left if left is not None else timeout
                log(f"执行笔记本 {src.stem}（{mode}）")
                save = out_dir / f"{src.stem}.{mode}.ipynb"
                save.unlink(missing_ok=True)
                r = None
                for attempt in (1, 2):  # one retry: a kernel that stopped answering (seen once
                    t_try = time.perf_counter()  # while other kernels started) is not the notebook
                    try:
                        r = self.worker(self.course_py, [str(src), "--mode", mode, "--save",
                                                         str(save)],
                                        script="notebook_times.py", timeout=timeout)
                    except common.WorkerError as exc:
                        r = {**row, "error": str(exc)[:300]}
                    r["attempt"] = attempt
                    timeout -= time.perf_counter() - t_try
                    if not r.get("error") or "Timeout" not in str(r["error"]) or timeout < 60:
                        break
                    log(f"{src.stem}（{mode}）超时，重试一次")
                if not r.get("error") and save.exists():
                    self.executed[(src.stem, mode)] = save
                rows.append(r)
        return {"rows": rows, "cpu_notebooks": self.a.cpu_notebooks, "cpu_budget_s": budget}

    def accuracy(self, results: dict) -> dict:
        import accuracy  # reads notebook outputs (imports nbformat)

        log("airfoil：按 d2l 的四组小批量 SGD 设置直接训练")
        air = self.worker(self.course_py, ["airfoil"])
        train = results.get("sections", {}).get("train")
        rows = accuracy.table(ROOT, self.executed, train, air)
        return {"rows": rows, "airfoil": air}


def torch_version(py) -> str | None:
    """``torch.__version__`` as the interpreter ``py`` sees it (None when it cannot import torch)."""
    try:
        out = subprocess.run([str(py), "-c", "import torch; print(torch.__version__)"],
                             capture_output=True, text=True, timeout=120).stdout.strip()
    except Exception:
        return None
    return out or None


def machine_facts(threads: int) -> dict:
    ver = torch_version
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                         text=True).stdout.strip()
    return {"cpu": common.cpu_model(), "cores": len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity") else os.cpu_count(), "threads": threads,
            "os": platform.platform(), "python": platform.python_version(),
            "torch_course_venv": ver(common.course_python()),
            "torch_reference_venv": ver(str(d2l_env.PY)) if d2l_env.PY.exists() else None,
            "git_commit": git}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="tiny sizes: check that the harness works")
    p.add_argument("--only", action="append", default=None, metavar="SECTION",
                   help=f"run only these sections (repeatable or comma-separated): "
                        f"{', '.join(SECTIONS)}")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default benchmarks/, with --quick build/bench-quick/)")
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0))
                   if hasattr(os, "sched_getaffinity") else os.cpu_count(),
                   help="torch/OpenMP threads of every measured process (default: all cores)")
    p.add_argument("--notebooks", default=None,
                   help="lesson notebooks to time: 'all' or a list like 00,04 "
                        "(default all; with --quick 00)")
    p.add_argument("--cpu-notebooks", default=None,
                   help="of those, the ones also timed in cpu mode, in this order: 'all', 'none' "
                        "or a list like 04,05,02 (default all; with --quick none)")
    p.add_argument("--cpu-budget", type=float, default=None, metavar="SECONDS",
                   help="stop starting cpu-mode notebook runs after this many seconds in total "
                        "(a run in progress is stopped when the budget runs out)")
    a = p.parse_args(argv)
    only = [s for item in (a.only or []) for s in item.split(",") if s]
    bad = [s for s in only if s not in SECTIONS]
    if bad:
        p.error(f"未知的 SECTION {bad}；可选 {', '.join(SECTIONS)}")
    todo = [s for s in SECTIONS if not only or s in only]
    a.notebooks = a.notebooks or ("00" if a.quick else "all")
    a.cpu_notebooks = a.cpu_notebooks or ("none" if a.quick else "all")
    a.out = (a.out or (ROOT / "build" / "bench-quick" if a.quick else ROOT / "benchmarks"))
    a.out = a.out.resolve()
    a.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MPLBACKEND", "Agg")
    json_path = a.out / "results.json"

    results = {"sections": {}}
    if only and json_path.exists():  # a partial run updates the sections it measured
        results = json.loads(json_path.read_text())
    run_id = now_iso()
    results["meta"] = {"run": run_id, "quick": a.quick, "command": " ".join(sys.argv),
                       **machine_facts(a.threads)}
    bench = Bench(a)
    log(f"基准测试开始：{', '.join(todo)}（输出 {a.out}）")
    try:
        for name in todo:
            t0, load0 = time.perf_counter(), loadavg()
            started = now_iso()
            try:
                sec = bench.accuracy(results) if name == "accuracy" else getattr(bench, name)()
            except Exception as exc:  # record and go on: one failure must not lose the rest
                log(f"{name} 失败：{exc}")
                sec = {"error": f"{type(exc).__name__}: {str(exc)[:1500]}"}
            sec.update(run=run_id, started=started, seconds=round(time.perf_counter() - t0, 1),
                       load_start=load0, load_end=loadavg(), quick=a.quick)
            results["sections"][name] = sec
            if results["meta"].get("torch_reference_venv") is None and d2l_env.PY.exists():
                # the reference venv is built lazily by the first section that needs it
                results["meta"]["torch_reference_venv"] = torch_version(d2l_env.PY)
            json_path.write_text(json.dumps(results, ensure_ascii=False, indent=1))
            (a.out / "RESULTS.md").write_text(report.render(results))
            log(f"{name} 完成（{sec['seconds']:.0f} s）")
    finally:
        shutil.rmtree(bench.tmp, ignore_errors=True)  # the d2l data copy
    log(f"写入 {json_path} 和 {a.out / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
