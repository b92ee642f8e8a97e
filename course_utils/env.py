"""Run modes, seeds, devices and the data directory.

``setup_notebook()`` is the one call every notebook makes first; everything else here is a plain
function without side effects.
"""

from __future__ import annotations

import os
import platform
import random
import warnings
from pathlib import Path

import numpy as np
import torch

MODES = ("smoke", "cpu", "full")
_SETUP_DONE = False


def _resolve_mode(value: str | None = None) -> str:
    """Return the run mode from ``value`` or the ``COURSE_MODE`` environment variable."""
    raw = os.environ.get("COURSE_MODE") if value is None else value
    if raw is None or raw.strip() == "":
        return "full" if torch.cuda.is_available() else "cpu"
    mode = raw.strip().lower()
    if mode not in MODES:
        raise ValueError(
            f"未知的运行模式 COURSE_MODE={raw!r}（参数 COURSE_MODE / mode）：只能取 "
            f"{', '.join(MODES)} 之一。smoke 用于测试，cpu 适合没有 GPU 的电脑，full 用于 GPU。"
        )
    return mode


MODE: str = _resolve_mode()


def get_mode() -> str:
    """Re-read ``COURSE_MODE`` (useful after changing it at run time) and return the mode."""
    return _resolve_mode()


def pick(*, smoke, cpu, full, mode: str | None = None):
    """Return the value for the current run mode.

    Parameters
    ----------
    smoke, cpu, full:
        The values to use in each mode.
    mode:
        Override the mode (default: ``COURSE_MODE`` as read now).
    """
    m = _resolve_mode(mode) if mode is not None else get_mode()
    return {"smoke": smoke, "cpu": cpu, "full": full}[m]


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (CPU and CUDA) random number generators."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"随机种子 seed 必须是非负整数，收到 {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % (2**32))
    torch.manual_seed(int(seed))
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(int(seed))


def get_device() -> torch.device:
    """The best available device: CUDA if present, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def repo_root() -> Path | None:
    """The repository root when the package runs from a checkout (editable install), else None."""
    here = Path(__file__).resolve().parent.parent
    if (here / "pyproject.toml").exists() and (here / "course_utils").is_dir():
        return here
    return None


def data_dir() -> Path:
    """Where data files live: ``COURSE_DATA_DIR``, else ``<repo>/data``, else a user cache dir."""
    env_dir = os.environ.get("COURSE_DATA_DIR")
    if env_dir:
        return Path(env_dir).expanduser().resolve()
    root = repo_root()
    if root is not None:
        return root / "data"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "course_utils" / "data"


def setup_notebook(seed: int = 0, *, quiet: bool = False) -> torch.device:
    """Prepare a notebook: seeds, matplotlib style, CJK font, version checks. Idempotent.

    Returns the device (``cuda`` if available, else ``cpu``).
    """
    global _SETUP_DONE, MODE
    import matplotlib as mpl

    from course_utils import fonts

    MODE = get_mode()
    set_seed(seed)
    if not _SETUP_DONE:
        _check_versions()
        font = fonts.setup_cjk_font()
        mpl.rcParams.update(
            {
                "figure.figsize": (6.0, 3.6),
                "figure.dpi": 100,
                "savefig.dpi": 100,
                "axes.grid": True,
                "grid.alpha": 0.3,
                "axes.spines.top": False,
                "axes.spines.right": False,
                "legend.frameon": False,
                "font.size": 11,
            }
        )
        _use_inline_backend()
        _SETUP_DONE = True
        if not quiet:
            print(
                f"运行模式 MODE={MODE} | 设备 {get_device()} | torch {torch.__version__} | "
                f"中文字体 {font} | 数据目录 {data_dir()}"
            )
    return get_device()


def _use_inline_backend() -> None:
    """In a Jupyter kernel, show figures inline as PNG (GitHub, Colab and Lab render the same),
    even when ``MPLBACKEND`` (e.g. ``Agg``) is set in the environment."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return
    ip = get_ipython()
    if ip is None or "IPKernelApp" not in getattr(ip, "config", {}):
        return
    import matplotlib as mpl

    if "inline" not in mpl.get_backend():
        ip.run_line_magic("matplotlib", "inline")
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("png")


def _check_versions() -> None:
    major, minor = (int(p) for p in torch.__version__.split(".")[:2])
    if (major, minor) < (2, 1):
        warnings.warn(f"本课程需要 torch>=2.1，当前为 {torch.__version__}", stacklevel=3)


def describe() -> dict:
    """A small dict of environment facts for the setup notebook and benchmarks."""
    import matplotlib

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "matplotlib": matplotlib.__version__,
        "mode": get_mode(),
        "device": str(get_device()),
        "threads": torch.get_num_threads(),
        "data_dir": str(data_dir()),
    }
