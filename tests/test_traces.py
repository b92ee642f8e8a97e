"""Tests for course_utils.plotting.traces and the chapter-4 slider demos (headless)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.demos import ch4_convex_optimization as convex_demos  # noqa: E402
from course_utils.descent import Trace, gd, gd_2d, train_2d  # noqa: E402
from course_utils.plotting import plot_surface, show_trace, show_trace_2d  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _cjk_font():
    from course_utils import fonts

    fonts.setup_cjk_font()


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_show_trace_returns_axes_and_plots_points():
    trace = gd(lambda x: 2 * x, 10.0, 0.2, 10)
    ax = show_trace(lambda x: x ** 2, trace)
    assert ax.get_xlim()[1] >= 10
    lines = ax.get_lines()
    np.testing.assert_allclose(lines[1].get_xdata(), trace)
    fig, ax2 = plt.subplots()
    assert show_trace(lambda x: x ** 2, trace, ax=ax2) is ax2


def test_show_trace_diverged_title_and_nonfinite():
    t = Trace([1.0, 3.0, float("inf")], diverged=True, message="x")
    ax = show_trace(lambda x: x ** 2, t)
    assert "发散" in ax.get_title()
    with pytest.raises(ValueError, match="trace"):
        show_trace(lambda x: x ** 2, [])


def test_show_trace_ylim_follows_curve_not_escaped_iterates():
    # a diverging run: iterates far outside the view must not squash the curve
    trace = gd(lambda x: 2 * x, 10.0, 1.3, 30, warn=False)
    ax = show_trace(lambda x: x ** 2, trace, xlim=(-20, 20), legend=True)
    assert ax.get_ylim()[1] < 1000
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["f(x)", "迭代点", "起点"]


def test_show_trace_2d_aspect_and_legend():
    trace = train_2d(gd_2d(lambda a, b: (2 * a, 4 * b), 0.1))
    ax = show_trace_2d(lambda a, b: a ** 2 + 2 * b ** 2, trace, aspect="equal", legend=True)
    assert ax.get_aspect() == 1.0
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["迭代点", "起点"]


def test_show_trace_2d_contours_and_path():
    trace = train_2d(gd_2d(lambda a, b: (2 * a, 4 * b), 0.1))
    ax = show_trace_2d(lambda a, b: a ** 2 + 2 * b ** 2, trace)
    path = ax.get_lines()[0]
    np.testing.assert_allclose(path.get_xdata(), [p[0] for p in trace])
    assert ax.get_xlim()[0] < -5 and ax.get_ylim()[1] > 0
    assert len(ax.collections) > 0  # contour lines


def test_plot_surface_3d_and_bad_axes():
    ax = plot_surface(lambda x, y: x ** 2 - y ** 2, points=[(0, 0)])
    assert ax.name == "3d"
    _, flat = plt.subplots()
    with pytest.raises(ValueError, match="ax"):
        plot_surface(lambda x, y: x * y, ax=flat)


def test_draw_functions_return_figures():
    fig = convex_demos.draw_gd_1d(lr=0.2, x0=10.0, steps=10)
    assert "0.06047" in fig.axes[0].get_title()
    fig = convex_demos.draw_gd_1d(lr=1.5, x0=10.0, steps=50)
    assert "发散" in fig.axes[0].get_title()
    fig = convex_demos.draw_gd_1d(lr=2.0, x0=10.0, steps=10, func=list(convex_demos.OBJECTIVES_1D)[1])
    assert fig.axes
    fig = convex_demos.draw_gd_2d(lr=0.6, steps=50)
    assert "发散" in fig.axes[0].get_title()
    fig = convex_demos.draw_gd_2d(lr=0.55, steps=20)  # |x2| grows by 1.2 per step: off view
    assert "离开画面" in fig.axes[0].get_title()
    fig = convex_demos.draw_gd_1d(lr=1.26, x0=10.0, steps=10)  # |x| = 10 * 1.52^10 > 60
    assert "离开画面" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="func"):
        convex_demos.draw_gd_1d(func="nope")


def test_gd_1d_panel_redraws_on_slider_change():
    p = convex_demos.gd_1d_panel()
    before, n = p.png(), p.num_draws
    p.widgets["lr"].value = 0.5
    assert p.num_draws == n + 1 and p.png() != before
    before = p.png()
    p.widgets["x0"].value = -4.0
    assert p.png() != before
    before = p.png()
    p.set(steps=3, func=list(convex_demos.OBJECTIVES_1D)[1])
    assert p.png() != before


def test_gd_2d_panel_redraws_on_slider_change():
    p = convex_demos.gd_2d_panel()
    before = p.png()
    p.widgets["lr"].value = 0.3
    after = p.png()
    assert after != before
    p.set(x1=3.0, x2=2.0, steps=5)
    assert p.png() != after


def test_draw_is_fast():
    import time

    convex_demos.draw_gd_2d()
    t0 = time.perf_counter()
    for lr in (0.05, 0.1, 0.2):
        plt.close(convex_demos.draw_gd_2d(lr=lr))
        plt.close(convex_demos.draw_gd_1d(lr=lr))
    assert (time.perf_counter() - t0) / 6 < 1.0
