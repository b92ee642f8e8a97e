"""Grading throughput: one machine with ``--jobs 2`` versus a simulated 4-shard run.

For each assignment a class of ``--learners`` notebooks is planted (half full solutions, a
quarter untouched student notebooks, a quarter solutions with one question left unanswered).
It is graded once whole (``grade --jobs 2``) and once as 4 shards, one after another, each with
``--jobs 2`` as it would run on its own 2-core machine; the simulated 4-machine wall time is the
slowest shard plus the merge. From the whole run a fixed start-up cost per run and a cost per
submission are derived (``T = F + n·c``; ``c`` from the per-submission worker times in
``results.json``), which gives the extrapolation to 800 learners × 5
assignments on N machines. The 1-minute load average is recorded before and after each run.

Writes ``benchmarks/grading_throughput.json`` and the section "评分吞吐量" of
``benchmarks/RESULTS.md`` (between the ``grading-throughput`` markers; re-run this script to
refresh it, ``benchmarks/run.py`` does not).

    .venv/bin/python benchmarks/grading_throughput.py [--learners 24] [--only 01 04]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
START, END = "<!-- grading-throughput:start -->", "<!-- grading-throughput:end -->"
SHARDS = 4


def load1() -> float:
    return round(os.getloadavg()[0], 2)


def plant(source: Path, released: Path, dest: Path, n: int) -> None:
    """``n`` learners: solutions, untouched notebooks, solutions with one answer removed."""
    sol = json.loads(source.read_text(encoding="utf-8"))
    stub = json.loads(released.read_text(encoding="utf-8"))
    funcs = re.findall(r"### QUESTION \w+ function=(\w+)", source.read_text(encoding="utf-8"))
    stub_cells = {f: c for c in stub["cells"] for f in funcs if c["cell_type"] == "code"
                  and re.search(rf"^def {f}\(", "".join(c["source"]), re.M)}
    dest.mkdir(parents=True)
    for k in range(n):
        if k % 4 in (0, 1):
            nb = sol
        elif k % 4 == 2:
            nb = stub
        else:  # the unanswered stub of one question pasted after the solution: last one wins
            nb = copy.deepcopy(sol)
            nb["cells"].append(stub_cells[funcs[k % len(funcs)]])
        (dest / f"2024{k:03d}.ipynb").write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")


def timed(args: list[str]) -> dict:
    """Wall time of one CLI run; for ``grade`` also the summed per-submission worker time."""
    before, t0 = load1(), time.monotonic()
    res = subprocess.run([sys.executable, "-m", "course_utils.grading", *args], cwd=ROOT,
                         capture_output=True, text=True)
    seconds = time.monotonic() - t0
    if res.returncode != 0:
        raise RuntimeError(res.stderr)
    out = {"seconds": round(seconds, 2), "load": [before, load1()]}
    results = Path(args[args.index("--out") + 1]) / "results.json"
    if args[0] == "grade" and results.exists():
        subs = json.loads(results.read_text(encoding="utf-8"))["submissions"]
        out["worker_s"] = round(sum(s["seconds"] for s in subs), 2)
    return out


def measure(number: str, source_dir: Path, work: Path, n: int) -> dict:
    source = next(source_dir.glob(f"{number}_*.ipynb"))
    subs = work / number / "submissions"
    plant(source, ROOT / "notebooks" / "assignments" / source.name, subs, n)
    common = ["--assignment", number, "--submissions", str(subs), "--source", str(source_dir),
              "--jobs", "2"]
    whole = timed(["grade", *common, "--out", str(work / number / "whole")])
    shards = [timed(["grade", *common, "--out", str(work / number / f"s{i}"), "--shard",
                     f"{i}/{SHARDS}"]) for i in range(1, SHARDS + 1)]
    merge = timed(["merge", *[str(work / number / f"s{i}") for i in range(1, SHARDS + 1)],
                   "--out", str(work / number / "merged")])
    same = ((work / number / "whole" / "grades.csv").read_bytes()
            == (work / number / "merged" / "grades.csv").read_bytes())
    c = whole["worker_s"] / (2 * n)  # two workers share the submissions
    return {"assignment": number, "learners": n, "whole": whole, "shards": shards,
            "merge": merge, "identical": same,
            "four_machines_s": round(max(s["seconds"] for s in shards) + merge["seconds"], 2),
            "per_submission_s": round(c, 3), "fixed_s": round(whole["seconds"] - n * c, 2)}


def extrapolate(rows: list[dict], learners=800, machines=(1, 4, 10, 40)) -> dict:
    """Hours for ``learners`` × these assignments on N machines (2 cores each, --jobs 2)."""
    merge = max(r["merge"]["seconds"] for r in rows)
    out = {}
    for m in machines:
        per = sum(r["fixed_s"] + learners / m * r["per_submission_s"] for r in rows)
        out[m] = round((per + (merge * len(rows) if m > 1 else 0)) / 60, 1)
    return out


def section(data: dict) -> str:
    rows, ext = data["rows"], data["extrapolation"]
    n = rows[0]["learners"]
    lines = [START, "## 6. 评分吞吐量（`benchmarks/grading_throughput.py`）", "",
             f"测于 {data['date']}；机器：{data['cpus']} 核（与其他任务共用），1 分钟负载 "
             f"{data['load'][0]} → {data['load'][1]}。每份作业 {n} 名学生：一半参考答案、四分之一未作答的学生版、"
             "四分之一缺一道题的答案；每题超时 20 秒（没有提交触发超时）。", "",
             "| 作业 | 整批 `--jobs 2` (s) | 份/分钟 | 4 个分片各自 (s) | 合并 (s) | 模拟 4 台机器 (s) "
             "| 固定开销 F (s) | 每份 c (s) | 稳态 份/分钟（60/c） | 合并结果与整批一致 | 负载 始→末 |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        w = r["whole"]
        lines.append(
            f"| {r['assignment']} | {w['seconds']:.1f} | {60 * n / w['seconds']:.0f} | "
            + "、".join(f"{s['seconds']:.1f}" for s in r["shards"])
            + f" | {r['merge']['seconds']:.1f} | {r['four_machines_s']:.1f} | {r['fixed_s']:.1f} | "
            f"{r['per_submission_s']:.2f} | {_rate(r['per_submission_s'])} | "
            f"{'是' if r['identical'] else '否'} | "
            f"{w['load'][0]} → {w['load'][1]} |")
    total_whole = sum(r["whole"]["seconds"] for r in rows)
    total_four = sum(r["four_machines_s"] for r in rows)
    lines += ["", f"全部 {len(rows)} 份作业：一台机器 {total_whole:.0f} s"
              f"（{60 * n * len(rows) / total_whole:.0f} 份/分钟），模拟 4 台机器 {total_four:.0f} s。", "",
              "4 个分片在这台机器上**依次**运行（每个都用 `--jobs 2`，相当于各自独占一台 2 核机器），"
              "“模拟 4 台机器”= 最慢的分片 + 合并。每次运行都有固定开销 F（主进程导入 PyTorch、"
              "在参考答案上计算隐藏测试的期望值、每个评分进程导入一次 PyTorch），与学生人数无关；"
              "每份提交的耗时 c = 整批运行中各提交在评分进程里的耗时之和 ÷ 2（两个评分进程并行），"
              "F = 整批墙钟时间 − n·c。", "",
              "**外推：800 名学生 × 5 份作业**（按上表的 F 与 c，每台机器 2 核、`--jobs 2`，"
              "不计排队、分发提交和收集结果的时间）：", "",
              "| 机器数 N | 总墙钟时间（分钟） |", "|---:|---:|"]
    lines += [f"| {m} | {v} |" for m, v in ext.items()]
    lines += ["", "说明：F 约占小分片耗时的大半，所以机器越多收益越小——每台机器每份作业至少要付一次 F；"
              "真正的课堂里若有死循环的提交，每道题最多再加 `--timeout` 秒（该进程被占用），"
              "应按超时提交的数量另加。本机负载高于核数时，数字偏慢。", END]
    return "\n".join(lines) + "\n"


def _rate(c: float) -> str:
    return f"{60 / c:.0f}" if c > 0 else "—"


def write_section(text: str, path: Path = HERE / "RESULTS.md") -> None:
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if START in old and END in old:
        new = old[: old.index(START)] + text + old[old.index(END) + len(END) + 1:]
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new, encoding="utf-8")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--learners", type=int, default=24)
    p.add_argument("--only", nargs="*", default=None, help="assignment numbers, e.g. 01 04")
    p.add_argument("--no-write", action="store_true", help="print the section only")
    args = p.parse_args(argv)
    numbers = args.only or ["01", "02", "03", "04", "05"]
    date = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
    start = load1()
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        src = Path(tmp) / "sources"  # frozen copy: every shard sees the same release
        src.mkdir()
        for f in (ROOT / "assignments").glob("[0-9][0-9]_*.ipynb"):
            shutil.copy(f, src / f.name)
        rows = []
        for number in numbers:
            rows.append(measure(number, src, Path(tmp), args.learners))
            print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    data = {"date": date, "cpus": os.cpu_count(), "load": [start, load1()], "rows": rows,
            "extrapolation": extrapolate(rows)}
    text = section(data)
    print(text)
    if not args.no_write:
        (HERE / "grading_throughput.json").write_text(json.dumps(data, ensure_ascii=False, indent=1)
                                                      + "\n", encoding="utf-8")
        write_section(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
