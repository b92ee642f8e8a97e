"""The reference side's environment: a separate venv with d2l, torch and torchvision.

d2l is installed with ``--no-deps`` (its pinned requirements would downgrade everything); the few
modules ``from d2l import torch as d2l`` really imports are installed explicitly. torch 2.14.1 and
torchvision 0.29.1 come from the machine's local wheel index, so creating the venv works offline.

    python benchmarks/d2l_env.py          # create benchmarks/.venv-d2l if missing, then check it
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-d2l"
PY = VENV / "bin" / "python"
TORCH_PINS = ("torch==2.14.1", "torchvision==0.29.1")
# d2l imports these at module level (d2l/torch.py): IPython for display, matplotlib_inline for
# use_svg_display, pandas, requests (download helpers), numpy. tqdm is for course_utils, which the
# reference venv also runs (same torch for both sides of a comparison).
EXTRA = ("pandas", "scipy", "matplotlib", "numpy", "requests", "matplotlib-inline", "ipython",
         "tqdm")
CHECK = ("import warnings; warnings.simplefilter('ignore'); "
         "from d2l import torch as d2l; import torch, torchvision; "
         "print(torch.__version__, torchvision.__version__, d2l.__version__ "
         "if hasattr(d2l, '__version__') else '')")


def _run(cmd: list[str], log) -> None:
    log(f"$ {' '.join(cmd)}")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL if not os.environ.get("BENCH_VERBOSE")
                   else None)


def check() -> str | None:
    """Return the versions line when the venv imports d2l, else None."""
    if not PY.exists():
        return None
    r = subprocess.run([str(PY), "-c", CHECK], capture_output=True, text=True,
                       env={**os.environ, "MPLBACKEND": "Agg"})
    return r.stdout.strip() if r.returncode == 0 else None


def ensure(log=print) -> str:
    """Create (or repair) the reference venv; return ``torch torchvision`` versions."""
    ok = check()
    if ok:
        return ok
    t0 = time.time()
    log(f"创建参考环境 {VENV}（torch 2.14.1 + torchvision 0.29.1 + d2l，约 6 GB，需几分钟）……")
    if not PY.exists():
        if VENV.exists():
            shutil.rmtree(VENV)
        _run([sys.executable, "-m", "venv", str(VENV)], log)  # venv uses the base interpreter
    pip = [str(PY), "-m", "pip", "install", "-q"]
    _run(pip + list(TORCH_PINS) + list(EXTRA), log)
    _run(pip + ["--no-deps", "d2l"], log)
    ok = check()
    if not ok:
        r = subprocess.run([str(PY), "-c", CHECK], capture_output=True, text=True)
        raise RuntimeError(f"参考环境 {VENV} 无法导入 d2l：\n{r.stderr[-2000:]}")
    log(f"参考环境就绪（{time.time() - t0:.0f} s）：{ok}")
    return ok


if __name__ == "__main__":
    print(ensure())
