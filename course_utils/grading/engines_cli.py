"""The ``merge`` and ``gradescope`` subcommands: refusals are one Chinese line, exit code 2."""

from __future__ import annotations

import sys
from pathlib import Path


def run(args, root: Path) -> int:
    from .shards import ShardError

    try:
        if args.cmd == "merge":
            from .shards import merge

            merge(args.shards, args.out)
        else:
            from .gradescope import build

            if args.timeout <= 0 or args.memory_mb < 64:
                raise ValueError("--timeout 必须 > 0，--memory-mb 必须 ≥ 64")
            path = build(args.assignment, args.out, source_dir=args.source or root / "assignments",
                         timeout=args.timeout, mem_mb=args.memory_mb)
            print(f"已写入 Gradescope 自动评分包：{path}")
    except (ShardError, ValueError, FileNotFoundError, FileExistsError, NotADirectoryError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    return 0
