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
``benchmarks/RESULTS.md`` (between the ``grading-throughput`` markers). ``benchmarks/run.py``
(``make bench``) re-renders the same section from ``grading_throughput.json``; re-run this script
to measure again.

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
        per = sorted(s["seconds"] for s in subs)
        out["worker_s"] = round(sum(per), 2)
        out["worker_median_s"] = per[len(per) // 2] if per else 0.0
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
    return {"assignment": number, "learners": n, "whole": whole, "shards": shards,
            "merge": merge, "identical": same}


def derive(r: dict) -> dict:
    """Marginal cost per submission ``c`` as a range, and the simulated 4-machine time.

    ``c_fit`` = (whole − median shard) / (n − n/4): the extra wall time per extra learner;
    ``c_worker`` = median per-submission worker time / 2 workers (the median leaves out the
    first submission of each worker, which waits for the worker to import PyTorch). The load on
    this shared machine moves both."""
    n, whole = r["learners"], r["whole"]["seconds"]
    times = sorted(x["seconds"] for x in r["shards"])
    median = (times[1] + times[2]) / 2
    c_fit = max((whole - median) / (n - n / SHARDS), 0.0)
    c_worker = r["whole"]["worker_median_s"] / 2
    return {"c_lo": round(min(c_fit, c_worker), 3), "c_hi": round(max(c_fit, c_worker), 3),
            "four_machines_s": round(times[-1] + r["merge"]["seconds"], 2)}


def extrapolate(rows: list[dict], learners=800, machines=(1, 4, 10, 40)) -> dict:
    """Minutes (low, high) for ``learners`` × these assignments on N 2-core machines:
    per assignment T(m) = T_whole + (m − n)·c for m = learners/N per machine (never below the
    fastest measured shard), plus one merge per assignment when N > 1."""
    out = {}
    for k in machines:
        m = learners / k
        lo = hi = 0.0
        for r in rows:
            d, n = derive(r), r["learners"]
            floor = min(x["seconds"] for x in r["shards"])
            merge = r["merge"]["seconds"] if k > 1 else 0.0
            lo += max(r["whole"]["seconds"] + (m - n) * (d["c_lo"] if m > n else d["c_hi"]),
                      floor) + merge
            hi += max(r["whole"]["seconds"] + (m - n) * (d["c_hi"] if m > n else d["c_lo"]),
                      floor) + merge
        out[k] = [round(lo / 60, 1), round(hi / 60, 1)]
    return out


def section(data: dict) -> str:
    rows, ext = data["rows"], data["extrapolation"]
    n = rows[0]["learners"]
    lines = [START, "## 6. 评分吞吐量（`benchmarks/grading_throughput.py`）", "",
             "本节由 `benchmarks/grading_throughput.py` 测量，原始数据在 `grading_throughput.json`；"
             "`make bench` 重新生成本文件时从该文件读入本节，重新测量请运行 "
             "`python benchmarks/grading_throughput.py`。", "",
             f"测于 {data['date']}；机器：{data['cpus']} 核，与其他任务共用（测量期间 1 分钟负载 "
             f"{data['load'][0]} → {data['load'][1]}，高于核数，所以下面的时间都偏慢、波动也大）。"
             f"每份作业 {n} 名学生：一半参考答案、四分之一未作答的学生版、四分之一缺一道题的答案；"
             "每题超时 20 秒（没有提交触发超时）。", "",
             "| 作业 | 整批 `--jobs 2` (s) | 份/分钟（含启动） | 4 个分片各自 (s) | 合并 (s) | 模拟 4 台机器 (s) "
             "| 每多一份 c (s) | 合并结果与整批一致 | 负载 始→末 |",
             "|---|---:|---:|---|---:|---:|---:|---|---|"]
    for r in rows:
        w, d = r["whole"], derive(r)
        lines.append(
            f"| {r['assignment']} | {w['seconds']:.1f} | {60 * n / w['seconds']:.0f} | "
            + "、".join(f"{x['seconds']:.1f}" for x in r["shards"])
            + f" | {r['merge']['seconds']:.1f} | {d['four_machines_s']:.1f} | "
            f"{d['c_lo']:.2f}–{d['c_hi']:.2f} | {'是' if r['identical'] else '否'} | "
            f"{w['load'][0]} → {w['load'][1]} |")
    total_whole = sum(r["whole"]["seconds"] for r in rows)
    total_four = sum(derive(r)["four_machines_s"] for r in rows)
    lines += ["", f"全部 {len(rows)} 份作业、每份 {n} 人：一台机器共 {total_whole:.0f} s"
              f"（{60 * n * len(rows) / total_whole:.0f} 份/分钟），模拟 4 台机器共 {total_four:.0f} s。", "",
              "4 个分片在这台机器上**依次**运行，每个都用 `--jobs 2`，相当于各自独占一台 2 核机器；"
              "“模拟 4 台机器”= 最慢的分片 + 合并。每次运行都有一笔与人数无关的固定开销（主进程导入 PyTorch、"
              "在参考答案上计算隐藏测试的期望值、每个评分进程导入一次 PyTorch）："
              f"{n // SHARDS} 人的分片只比 {n} 人的整批快一点，就是这个原因。c 是每多评一份提交增加的墙钟时间，给出两种估计的范围："
              "整批与分片中位数之差 ÷ 人数之差，以及整批中单份提交在评分进程里耗时的中位数 ÷ 2（两个评分进程并行）。", "",
              "**外推：800 名学生 × 5 份作业**（每台机器 2 核、`--jobs 2`；每台机器每份作业评 800/N 人，"
              f"按 T(m) = 整批时间 + (m − {n})·c 估计，外加每份作业一次合并；不计排队、分发提交和收集结果）：", "",
              "| 机器数 N | 每台每份作业的人数 | 总墙钟时间（分钟） |", "|---:|---:|---|"]
    lines += [f"| {k} | {800 // int(k)} | {lo}–{hi} |" for k, (lo, hi) in ext.items()]
    c_all = [derive(r) for r in rows]
    steady = (60 / max(d["c_hi"] for d in c_all), 60 / max(min(d["c_lo"] for d in c_all), 1e-3))
    one = ext[next(iter(ext))]
    lines += ["", f"不计固定开销，稳态吞吐量约为每分钟 {steady[0]:.0f}–{steady[1]:.0f} 份（60 / c）。"
              f"从每份 {n} 人外推到 800 人是 {800 / n:.0f} 倍的外推，只能看数量级：一台 2 核机器评完全部 4000 份"
              f"约需 {one[0]}–{one[1]} 分钟；增加机器只减少“每多一份”的那部分，每台机器每份作业的固定开销省不掉，"
              "所以超过 10 台左右就几乎不再变快——对这个规模，分片的意义在于已有的集群或 CI 本来就按作业分配机器，"
              "而不是必须用它。以上都是正常提交：陷入死循环的题目要等满 `--timeout`（默认 20 秒）并占住一个评分进程，"
              "例如 800 人中有 2% 各有一道题死循环，一台机器每份作业约多 16 × 20 s ÷ 2 ≈ 2.7 分钟，需按实际情况另加。",
              END]
    return "\n".join(lines) + "\n"


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
    p.add_argument("--from-json", action="store_true",
                   help="re-render the section from grading_throughput.json without measuring")
    args = p.parse_args(argv)
    if args.from_json:
        data = json.loads((HERE / "grading_throughput.json").read_text(encoding="utf-8"))
        data["extrapolation"] = extrapolate(data["rows"])
        print(section(data))
        if not args.no_write:
            write_section(section(data))
        return 0
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
