"""The output folder of ``grade`` and ``merge``: built beside ``out``, then swapped in whole.

Re-grading therefore leaves no stale file of an earlier run, and a half-written folder never
replaces a good one. ``out`` may be missing, empty or an earlier grading output; a file or a
folder holding anything else is refused, so a teacher's own files are never overwritten.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

MARKERS = ("grades.csv", "shard.json", "results.json")  # what makes a folder a grading output


def check_out(out, error=ValueError) -> Path:
    """``out`` as a Path; raises ``error`` (one Chinese line) when it must not be replaced."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise error(f"输出目录 --out 是一个已存在的文件：{out}（请指定一个目录）")
    if out.is_dir() and any(out.iterdir()) and not any((out / m).exists() for m in MARKERS):
        raise error(f"输出目录 --out 已存在且不是评分结果目录（没有 grades.csv）：{out}；"
                    "为避免覆盖其他文件，请指定新的目录")
    return out


def fresh(out: Path) -> Path:
    """An empty hidden sibling of ``out`` to build the outputs in."""
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    return tmp


def swap_in(tmp: Path, out: Path) -> None:
    """Replace ``out`` by ``tmp`` (the previous results disappear completely)."""
    out = Path(out).resolve()
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)
