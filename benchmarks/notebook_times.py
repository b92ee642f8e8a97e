"""Execute one lesson notebook (built from its jupytext twin) and time it; never writes into
``notebooks/``. The executed copy goes to ``--save`` so the accuracy table can read its outputs.

    python benchmarks/notebook_times.py notebooks/src/02_batch_norm.py --mode smoke --save X.ipynb

Prints ``RESULT {json}``: total wall time (kernel start included), the slowest cells, errors.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _nb_tools():
    spec = importlib.util.spec_from_file_location("course_notebooks_script",
                                                  ROOT / "scripts" / "notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _cell_seconds(cell) -> float | None:
    ex = cell.get("metadata", {}).get("execution", {})
    a, b = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
    if not a or not b:
        return None
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(b) - parse(a)).total_seconds()


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("src")
    p.add_argument("--mode", choices=("smoke", "cpu", "full"), required=True)
    p.add_argument("--timeout", type=int, default=None,
                   help="per-cell timeout in seconds (default 180 in smoke mode, else 1800): "
                        "a kernel that stops answering must not hold the whole run")
    p.add_argument("--save", default=None, help="where to write the executed notebook")
    a = p.parse_args(argv)
    # Stopped by the harness (time budget): exit through nbclient's cleanup, which shuts the kernel.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.environ["COURSE_MODE"] = a.mode  # the kernel inherits this process's environment
    os.environ.setdefault("MPLBACKEND", "Agg")
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    tools = _nb_tools()
    src = Path(a.src).resolve()
    nb = tools.to_notebook(src)
    timeout = a.timeout or (180 if a.mode == "smoke" else 1800)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(tools.NB_DIR)}},
                            store_widget_state=True, record_timing=True)
    error = None
    t0 = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        error = str(exc).strip().splitlines()[-1][:300]
    except Exception as exc:  # kernel died, timeout, ...
        error = f"{type(exc).__name__}: {str(exc)[:300]}"
    wall = time.perf_counter() - t0
    cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            s = _cell_seconds(cell)
            if s is not None:
                cells.append((round(s, 2), i, cell.source.splitlines()[0][:60] if cell.source
                              else ""))
    cells.sort(reverse=True)
    if a.save:
        Path(a.save).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, a.save)
    print("RESULT " + json.dumps({
        "notebook": src.stem, "mode": a.mode, "wall_s": round(wall, 2), "error": error,
        "code_cells": sum(c.cell_type == "code" for c in nb.cells),
        "cells_s": round(sum(c[0] for c in cells), 2),
        "slowest_cells": [{"cell": i, "s": s, "first_line": line} for s, i, line in cells[:3]],
        "saved": a.save,
    }, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
