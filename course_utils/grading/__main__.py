"""Command line: ``python -m course_utils.grading release|grade``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _root() -> Path:
    from ..env import repo_root

    return repo_root() or Path.cwd()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m course_utils.grading",
                                description="作业发布与自动评分（release / grade）")
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("release", help="由教师源文件生成学生版笔记本和包内公开测试")
    r.add_argument("--source", default=None, help="教师源文件目录（默认 assignments/）")
    r.add_argument("--notebooks", default=None, help="学生版输出目录（默认 notebooks/assignments/）")
    r.add_argument("--only", nargs="*", default=None, help="只发布这些编号的作业，例如 01 03")
    g = sub.add_parser("grade", help="批量评分一个目录中的 .ipynb 提交")
    g.add_argument("--assignment", required=True, help="作业编号，例如 01")
    g.add_argument("--submissions", required=True, help="存放学生 .ipynb 的目录")
    g.add_argument("--out", required=True, help="输出目录（grades.csv、feedback/、grading.log）")
    g.add_argument("--source", default=None, help="教师源文件目录（默认 assignments/）")
    g.add_argument("--jobs", type=int, default=2, help="并行评分进程数（默认 2）")
    g.add_argument("--timeout", type=float, default=20.0, help="每道题的墙钟时间上限（秒）")
    g.add_argument("--memory-mb", type=int, default=1024, help="每道题额外可用内存（MB）")
    args = p.parse_args(argv)
    root = _root()
    if args.cmd == "release":
        from .build import release

        only = {f"{int(x):02d}" for x in args.only} if args.only else None
        files = release(args.source or root / "assignments",
                        args.notebooks or root / "notebooks" / "assignments", only=only)
        for f in files:
            print(f"已写入 {f}")
        return 0
    from .grader import grade

    if args.jobs < 1 or args.timeout <= 0 or args.memory_mb < 64:
        p.error("--jobs 必须 ≥ 1，--timeout 必须 > 0，--memory-mb 必须 ≥ 64")
    if not Path(args.submissions).is_dir():
        p.error(f"--submissions 目录不存在：{args.submissions}")
    grade(args.assignment, args.submissions, args.out, source_dir=args.source or root / "assignments",
          jobs=args.jobs, timeout=args.timeout, mem_mb=args.memory_mb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
