"""Build, execute and check lesson notebooks from their jupytext ``py:percent`` twins.

The twin ``notebooks/src/NN_name.py`` is the file you edit; ``notebooks/NN_name.ipynb`` is
generated from it and committed with outputs.

    python scripts/notebooks.py run notebooks/src/01_lr_schedules.py   # build + execute (COURSE_MODE)
    python scripts/notebooks.py build notebooks/src/01_lr_schedules.py # build without executing
    python scripts/notebooks.py check                                  # every pair in sync?
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
SRC_DIR = NB_DIR / "src"


def target_of(src: Path) -> Path:
    return NB_DIR / (src.stem + ".ipynb")


def to_notebook(src: Path) -> nbformat.NotebookNode:
    nb = jupytext.read(src, fmt="py:percent")
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "colab": {"provenance": []},
    }
    for i, cell in enumerate(nb.cells):
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in ("tags",)}
        cell["id"] = f"c{i:03d}"
    return nb


def execute(nb: nbformat.NotebookNode, timeout: int) -> None:
    from nbclient import NotebookClient

    os.environ.pop("MPLBACKEND", None)  # the kernel must use the inline backend

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(NB_DIR)}},
                            store_widget_state=True)
    client.execute()
    for cell in nb.cells:  # drop volatile timing metadata so diffs stay readable
        cell.metadata.pop("execution", None)


def cmd_build(srcs, run: bool, timeout: int) -> int:
    for s in srcs:
        src = Path(s).resolve()
        nb = to_notebook(src)
        if run:
            t0 = time.time()
            print(f"执行 {src.name}（COURSE_MODE={os.environ.get('COURSE_MODE', '默认')}）……",
                  flush=True)
            execute(nb, timeout)
            print(f"  完成，用时 {time.time() - t0:.0f} s", flush=True)
        nbformat.write(nb, target_of(src))
    return 0


def sources_match(src: Path, ipynb: Path) -> list[str]:
    """Return a list of problems (empty when ``ipynb``'s cells equal the twin's)."""
    want = to_notebook(src)
    have = nbformat.read(ipynb, as_version=4)
    problems = []
    if len(want.cells) != len(have.cells):
        problems.append(f"{ipynb.name}: {len(have.cells)} cells, twin has {len(want.cells)}")
    for i, (a, b) in enumerate(zip(want.cells, have.cells)):
        if a.cell_type != b.cell_type or a.source != b.source:
            problems.append(f"{ipynb.name}: cell {i} differs from {src.name}")
            break
    return problems


def cmd_check() -> int:
    problems = []
    srcs = sorted(SRC_DIR.glob("*.py"))
    for src in srcs:
        ipynb = target_of(src)
        if not ipynb.exists():
            problems.append(f"missing {ipynb.name} for {src.name}")
            continue
        problems += sources_match(src, ipynb)
    for ipynb in sorted(NB_DIR.glob("*.ipynb")):
        if not (SRC_DIR / (ipynb.stem + ".py")).exists():
            problems.append(f"{ipynb.name} has no twin in notebooks/src/")
    print("\n".join(problems) or f"{len(srcs)} notebooks in sync")
    return 1 if problems else 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("run", "build"):
        q = sub.add_parser(name)
        q.add_argument("srcs", nargs="*", default=None)
        q.add_argument("--timeout", type=int, default=1800, help="per-cell timeout (s)")
    sub.add_parser("check")
    a = p.parse_args(argv)
    if a.cmd == "check":
        return cmd_check()
    srcs = a.srcs or sorted(str(s) for s in SRC_DIR.glob("*.py"))
    return cmd_build(srcs, run=a.cmd == "run", timeout=a.timeout)


if __name__ == "__main__":
    sys.exit(main())
