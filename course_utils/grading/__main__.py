"""Command line: ``python -m course_utils.grading release|grade``."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path


def _root() -> Path:
    from ..env import repo_root

    return repo_root() or Path.cwd()


_ARGPARSE_ZH = (("the following arguments are required: ", "缺少必需的参数："),
                ("unrecognized arguments: ", "无法识别的参数："), ("invalid int value: ", "不是整数："),
                ("invalid float value: ", "不是数："), ("expected one argument", "需要一个值"),
                ("invalid choice: ", "无效的选项："), ("argument ", "参数 "))


class _Parser(argparse.ArgumentParser):
    """Usage errors are one Chinese line on stderr and exit code 2 (no usage dump)."""

    def error(self, message):
        message = re.sub(r" \(choose from (.*)\)$", r"（可选：\1）", message)
        for en, zh in _ARGPARSE_ZH:  # argparse's own messages are English
            message = message.replace(en, zh)
        self.exit(2, f"{self.prog}: 错误：{message}（--help 查看用法）\n")


GRADE_EXAMPLE = """示例：
  python -m course_utils.grading grade --assignment 01 --submissions 提交/作业1 --out 结果/作业1 \\
      --jobs 2 --timeout 20 --memory-mb 1024

--submissions 可以是一个目录（递归查找 .ipynb/.IPYNB；学生编号取提交目录下的第一级子目录名，
直接放在其中的笔记本取文件名）或单个笔记本。未评分的文件会逐个列出原因。--out 中原有的评分结果会被整体替换。"""

MERGE_EXAMPLE = """示例（4 台机器各评一份，再合并；见 assignments/README.md 第 5 节）：
  python -m course_utils.grading grade --assignment 01 --submissions 提交/01 --out 分片/shard-2 --shard 2/4
  python -m course_utils.grading merge 分片/shard-1 分片/shard-2 分片/shard-3 分片/shard-4 --out 结果/01

缺少分片、分片重复、分片来自其他作业或其他发布版本时拒绝合并（退出码 2）。"""


GRADESCOPE_EXAMPLE = """示例：
  python -m course_utils.grading gradescope --assignment 01 --out dist/ --timeout 20 --memory-mb 1024

写出 dist/gradescope_01.zip（setup.sh、run_autograder、课程包与教师源文件）；在 Gradescope 上新建
Programming Assignment，上传这个 zip。本机试运行的方法见 assignments/README.md 第 5.5 节。"""


def main(argv=None) -> int:
    p = _Parser(prog="python -m course_utils.grading",
                description="作业发布与自动评分（release / grade / merge / gradescope）")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser)
    r = sub.add_parser("release", help="由教师源文件生成学生版笔记本和包内公开测试")
    r.add_argument("--source", default=None, help="教师源文件目录（默认 assignments/）")
    r.add_argument("--notebooks", default=None, help="学生版输出目录（默认 notebooks/assignments/）")
    r.add_argument("--only", nargs="*", default=None, help="只发布这些编号的作业，例如 01 03")
    g = sub.add_parser("grade", help="批量评分一个目录中的 .ipynb 提交", epilog=GRADE_EXAMPLE,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("--assignment", required=True, help="作业编号，例如 01")
    g.add_argument("--submissions", required=True, help="存放学生 .ipynb 的目录（可含子目录）或单个笔记本")
    g.add_argument("--out", required=True,
                   help="输出目录（grades.csv、feedback/、results.json、grading.log）")
    g.add_argument("--source", default=None, help="教师源文件目录（默认 assignments/）")
    g.add_argument("--jobs", type=int, default=2, help="并行评分进程数（默认 2）")
    g.add_argument("--timeout", type=float, default=20.0, help="每道题的墙钟时间上限（秒，默认 20）")
    g.add_argument("--memory-mb", type=int, default=1024, help="每道题额外可用内存（MB，默认 1024）")
    g.add_argument("--shard", default=None, metavar="i/N",
                   help="只评按学生编号排序后的第 i 份（共 N 份），例如 2/4；各份输出再用 merge 合并")
    m = sub.add_parser("merge", help="把 grade --shard i/N 的各分片输出合并成一份（含 report.html）",
                       epilog=MERGE_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    m.add_argument("shards", nargs="+", metavar="OUT_i", help="各分片的输出目录（全部 N 个）")
    m.add_argument("--out", required=True, help="合并后的输出目录")
    s = sub.add_parser("gradescope", help="生成 Gradescope 的自动评分包（gradescope_NN.zip）",
                       epilog=GRADESCOPE_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--assignment", required=True, help="作业编号，例如 01")
    s.add_argument("--out", required=True, help="写入 zip 的目录")
    s.add_argument("--source", default=None, help="教师源文件目录（默认 assignments/）")
    s.add_argument("--timeout", type=float, default=20.0, help="每道题的墙钟时间上限（秒，默认 20）")
    s.add_argument("--memory-mb", type=int, default=1024, help="每道题额外可用内存（MB，默认 1024）")
    args = p.parse_args(argv)
    root = Path.cwd() if args.cmd == "merge" else _root()  # merge runs without PyTorch
    if args.cmd == "release":
        from .build import release
        from .source import MarkerError

        try:
            files = release(args.source or root / "assignments",
                            args.notebooks or root / "notebooks" / "assignments", only=args.only)
        except (MarkerError, FileNotFoundError, ValueError) as exc:
            p.error(str(exc))
        for f in files:
            print(f"已写入 {f}")
        return 0
    if args.cmd in ("merge", "gradescope"):
        from .engines_cli import run

        return run(args, root)
    from .grader import UsageError, grade

    if args.jobs < 1 or args.timeout <= 0 or args.memory_mb < 64:
        p.error("--jobs 必须 ≥ 1，--timeout 必须 > 0，--memory-mb 必须 ≥ 64")
    from .shards import ShardError, parse_shard

    try:
        shard = parse_shard(args.shard) if args.shard else None
    except ShardError as exc:
        p.error(str(exc))
    try:
        grade(args.assignment, args.submissions, args.out,
              source_dir=args.source or root / "assignments", jobs=args.jobs,
              timeout=args.timeout, mem_mb=args.memory_mb, shard=shard)
    except UsageError as exc:
        p.error(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
