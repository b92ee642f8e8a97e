import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
MIRROR = ROOT.parent / "shared" / "data"
if "COURSE_DATA_DIR" not in os.environ and (MIRROR / "fashion-mnist").is_dir():
    os.environ["COURSE_DATA_DIR"] = str(MIRROR)
# Tests never reach the internet.
os.environ.setdefault("COURSE_OFFLINE", "1")


def _has_data() -> bool:
    d = os.environ.get("COURSE_DATA_DIR")
    return bool(d) and (Path(d) / "fashion-mnist" / "train-images-idx3-ubyte.gz").exists()


@pytest.fixture(scope="session")
def data_root() -> Path:
    if not _has_data():
        pytest.skip("没有离线数据镜像（设置 COURSE_DATA_DIR 指向 shared/data）")
    return Path(os.environ["COURSE_DATA_DIR"])


@pytest.fixture(autouse=True)
def _cjk_font_and_close_figures():
    """Every test draws with a CJK font (no missing-glyph warnings), in its own rcParams context,
    and leaves no figure open."""
    import matplotlib.pyplot as plt

    from course_utils.fonts import setup_cjk_font

    with matplotlib.rc_context():
        setup_cjk_font()
        yield
    plt.close("all")
