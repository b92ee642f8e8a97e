"""The widget helpers also work with Colab's widget stack: ipywidgets 7.7, IPython 7.34, ipykernel 5.5.

Colab pins ``ipywidgets==7.7.1``, ``ipython==7.34.0`` and ``ipykernel==5.5.6`` (``google-colab``
requires them). This test installs exactly those (``--no-deps``, small pure-Python wheels) into a
git-ignored overlay folder ``tests/_artifacts/.ipywidgets7/`` (created once, then reused) and puts
it in front of the main environment on ``PYTHONPATH``, so numpy/matplotlib/torch come from the
main environment and nothing heavy is installed. Then:

1. the headless widget tests (tests/test_widgets.py, tests/test_widgets_compat.py) run under it;
2. a real kernel of that stack (nbclient) builds a panel and moves a slider: the figure must land
   inside the panel's Output widget, change, and be saved in the notebook's widget state; in the
   same kernel ``fit(progress=True)`` must show tqdm's widget progress bar (not the text fallback
   that tqdm prints when ipywidgets is unusable) and still train;
3. the package's declared dependencies must accept Colab's versions, otherwise the Colab install
   cell would upgrade IPython/ipykernel inside the running Colab kernel and break it.
Skipped (with the reason) when pip cannot reach a package index, unless
``COURSE_REQUIRE_COLAB_STACK=1`` (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OVERLAY = ROOT / "tests" / "_artifacts" / ".ipywidgets7"  # dot: pytest never collects it
COLAB = {"ipywidgets": "7.7.1", "ipython": "7.34.0", "ipykernel": "5.5.6"}
# pure-Python dependencies of the pinned packages that the main environment may lack
EXTRA = ["ipython_genutils==0.2.0", "backcall", "pickleshare", "decorator"]
REQUIREMENTS = [f"{k}=={v}" for k, v in COLAB.items()] + EXTRA


def _skip(reason):
    """Skip, or fail where this check is required (CI sets COURSE_REQUIRE_COLAB_STACK=1)."""
    if os.environ.get("COURSE_REQUIRE_COLAB_STACK") == "1":
        pytest.fail(reason + "（COURSE_REQUIRE_COLAB_STACK=1：不能跳过）")
    pytest.skip(reason)


def _overlay() -> Path:
    marker = OVERLAY / "REQUIREMENTS.txt"
    want = "\n".join(REQUIREMENTS) + "\n"
    if marker.exists() and marker.read_text() == want:
        return OVERLAY
    tmp = OVERLAY.with_name(OVERLAY.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
           "--disable-pip-version-check", "--target", str(tmp), *REQUIREMENTS]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        _skip("pip 在 300 s 内没有装好 Colab 的控件环境（包索引不可达？）")
    if r.returncode != 0:
        lines = [x for x in (r.stderr or r.stdout).splitlines() if "is ignored" not in x]
        _skip("pip 无法安装 Colab 的控件环境（包索引不可达？）：" + " | ".join(lines[-3:]))
    (tmp / "REQUIREMENTS.txt").write_text(want)
    shutil.rmtree(OVERLAY, ignore_errors=True)
    tmp.rename(OVERLAY)
    return OVERLAY


@pytest.fixture(scope="module")
def colab_env():
    overlay = _overlay()
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    env["PYTHONPATH"] = os.pathsep.join([str(overlay), str(ROOT)])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    r = subprocess.run([sys.executable, "-c", "import ipywidgets, IPython, ipykernel; print("
                        "ipywidgets.__version__, IPython.__version__, ipykernel.__version__)"],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"Colab 控件环境无法导入：\n{r.stderr[-2000:]}"
    assert r.stdout.split() == list(COLAB.values()), f"版本不符：{r.stdout}"
    return env


def test_widget_tests_pass_with_ipywidgets7(colab_env):
    tests = [t for t in ("tests/test_widgets.py", "tests/test_widgets_compat.py")
             if (ROOT / t).exists()]
    env = dict(colab_env, MPLBACKEND="Agg")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "-W", "ignore::DeprecationWarning", *tests],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"ipywidgets 7.7 下控件测试失败：\n{r.stdout[-4000:]}{r.stderr[-2000:]}"
    assert " passed" in r.stdout


KERNEL_SCRIPT = r'''
import json, sys, nbformat
from nbclient import NotebookClient
nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_code_cell(s) for s in (
    "import ipywidgets, IPython, ipykernel\n"
    "print(ipywidgets.__version__, IPython.__version__, ipykernel.__version__)",
    "import matplotlib.pyplot as plt\n"
    "from course_utils import widgets\n"
    "def draw(lr=0.1):\n"
    "    fig, ax = plt.subplots(figsize=(3, 2))\n"
    "    ax.plot([0, 1], [0, lr])\n"
    "    ax.set_ylim(0, 1)\n"
    "    return fig\n"
    "panel = widgets.interactive(draw, lr=widgets.log_slider(0.1, 1e-3, 1.0))\n"
    "first = panel.png()\n"
    "panel",
    "panel.widgets['lr'].value = 0.5\n"
    "print(panel.num_draws, panel.png() != first)",
    "import torch\n"
    "from course_utils import data, train\n"
    "torch.manual_seed(0)\n"
    "X = torch.randn(64, 4)\n"
    "loader = data.TensorLoader(X, (X[:, 0] > 0).long(), batch_size=16, shuffle=True)\n"
    "net = torch.nn.Linear(4, 2)\n"
    "h = train.fit(net, loader, None, num_epochs=2, progress=True,\n"
    "              optimizer=torch.optim.SGD(net.parameters(), lr=0.1))\n"
    "print('epochs', len(h.train_loss), h.diverged)",
)]
NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True).execute()
state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
outputs = [m["state"].get("outputs", []) for m in state.get("state", {}).values()
           if m["model_name"] == "OutputModel"]
json.dump({"cells": [c.outputs for c in nb.cells], "output_widgets": outputs}, sys.stdout)
'''


def test_panel_in_a_colab_stack_kernel(colab_env, tmp_path):
    import json

    script = tmp_path / "run_kernel.py"
    script.write_text(KERNEL_SCRIPT)
    r = subprocess.run([sys.executable, str(script)], env=colab_env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"Colab 版本的内核执行失败：\n{r.stderr[-3000:]}"
    res = json.loads(r.stdout)
    versions, panel_out, moved, fitted = res["cells"]
    assert versions[0]["text"].split() == list(COLAB.values())
    kinds = [list(o.get("data", {})) for o in panel_out]
    assert any("application/vnd.jupyter.widget-view+json" in k for k in kinds), kinds
    assert not any("image/png" in k for k in kinds), "图像漏到了单元格输出里，没有进入面板"
    assert [o.get("text") for o in moved] == ["2 True\n"], moved
    assert not any("image/png" in o.get("data", {}) for o in moved), "移动滑块后的图像漏到了单元格里"
    widgets_out = res["output_widgets"]
    assert len(widgets_out) == 1 and "image/png" in widgets_out[0][-1]["data"], (
        "面板的 Output 控件里没有保存图像")
    # fit(progress=True): one tqdm widget bar per epoch, no "IProgress not found" text fallback
    bars = [o for o in fitted if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(bars) == 2, f"fit(progress=True) 没有显示 tqdm 的控件进度条：{fitted}"
    streams = "".join(o.get("text", "") for o in fitted if o.get("output_type") == "stream")
    assert "IProgress" not in streams and "epochs 2 False" in streams, streams


def test_declared_dependencies_accept_colab_versions():
    tomllib = pytest.importorskip("tomllib", reason="需要 Python 3.11+ 的 tomllib")
    from packaging.requirements import Requirement

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    bad = []
    for dep in deps:
        req = Requirement(dep)
        have = COLAB.get(req.name.lower())
        if have and not req.specifier.contains(have, prereleases=True):
            bad.append(f"{dep}（Colab 自带 {req.name}=={have}）")
    assert not bad, ("pyproject.toml 的依赖会让 Colab 安装单元格升级内核自带的包并破坏运行时："
                     + "；".join(bad))


NOTEBOOK_SCRIPT = r'''
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=300, kernel_name="python3",
               resources={"metadata": {"path": sys.argv[2]}}).execute()
'''
_LESSONS = sorted((ROOT / "notebooks").glob("0*.ipynb"))
if os.environ.get("COURSE_COLAB_ALL_NOTEBOOKS") != "1":  # default: the setup chapter only
    _LESSONS = [p for p in _LESSONS if p.name.startswith("00_")]


@pytest.mark.slow
@pytest.mark.skipif(not _LESSONS, reason="还没有 notebooks/00_*.ipynb")
@pytest.mark.parametrize("nb", _LESSONS, ids=[p.stem for p in _LESSONS])
def test_lesson_notebook_runs_in_a_colab_stack_kernel(colab_env, nb, tmp_path):
    """00_setup touches the display paths a lesson uses (setup_notebook, LivePlot, sliders;
    its fit calls pass progress=False, so tqdm's widget bar is checked in
    test_panel_in_a_colab_stack_kernel instead); COURSE_COLAB_ALL_NOTEBOOKS=1 runs every lesson
    notebook this way."""
    script = tmp_path / "run_notebook.py"
    script.write_text(NOTEBOOK_SCRIPT)
    env = dict(colab_env, COURSE_MODE="smoke", COURSE_OFFLINE="1")
    r = subprocess.run([sys.executable, str(script), str(nb), str(nb.parent)], env=env,
                       cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{nb.name} 在 Colab 版本的内核中运行失败：\n{r.stderr[-3000:]}"
