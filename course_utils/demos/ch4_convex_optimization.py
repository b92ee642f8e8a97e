"""Slider demos for chapter 4: gradient descent in 1-D and 2-D.

``draw_gd_1d`` / ``draw_gd_2d`` are plain ``draw(**params) -> Figure`` functions (call them once
for a static figure); ``gd_1d_panel()`` / ``gd_2d_panel()`` wrap them in sliders (learning rate on
a log scale, starting point, number of steps). One redraw costs a few milliseconds of arithmetic
plus one small matplotlib figure, so the sliders feel instant.
"""

from __future__ import annotations

import math

import numpy as np

from course_utils.descent.gradient import f_2d, gd, gd_2d, grad_2d, train_2d
from course_utils.plotting.traces import show_trace, show_trace_2d

__all__ = ["OBJECTIVES_1D", "f_2d", "grad_2d", "draw_gd_1d", "draw_gd_2d", "gd_1d_panel",
           "gd_2d_panel"]

_C = 0.15 * math.pi

#: name -> (f, f') for the 1-D demo; f is vectorised over NumPy arrays.
OBJECTIVES_1D = {
    "x²（凸）": (lambda x: x ** 2, lambda x: 2 * x),
    "x·cos(0.15πx)（非凸）": (lambda x: x * np.cos(_C * x),
                           lambda x: np.cos(_C * x) - _C * x * np.sin(_C * x)),
}


def _objective(func):
    if func not in OBJECTIVES_1D:
        raise ValueError(f"未知的目标函数 func={func!r}；可选 {list(OBJECTIVES_1D)}")
    return OBJECTIVES_1D[func]


def draw_gd_1d(lr=0.2, x0=10.0, steps=10, func="x²（凸）"):
    """GD on a 1-D objective from ``x0``; returns the Figure (title shows the final iterate)."""
    import matplotlib.pyplot as plt

    f, df = _objective(func)
    trace = gd(df, x0, lr, int(steps), max_abs=1e6, warn=False)
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    n = min(max(abs(p) for p in trace) * 1.05, 60.0)
    n = max(n, 12.0) if func.startswith("x·cos") else max(n, 1e-3)
    show_trace(f, trace, ax=ax, xlim=(-n, n))
    if trace.diverged:
        status = "，已发散"
    elif abs(trace[-1]) > n:
        status = "，正在发散（已离开画面）"
    else:
        status = ""
    ax.set_title(f"lr={lr:.3g}：{trace.num_steps} 步后 x={trace[-1]:.4g}, "
                 f"f(x)={float(f(trace[-1])):.4g}{status}", fontsize=10)
    ax.legend(loc="upper center", fontsize=8)
    fig.tight_layout()
    return fig


def draw_gd_2d(lr=0.1, x1=-5.0, x2=-2.0, steps=20):
    """GD on x1² + 2·x2² from (x1, x2) over fixed contour lines; returns the Figure."""
    import matplotlib.pyplot as plt

    trace = train_2d(gd_2d(grad_2d, lr), (x1, x2), int(steps), max_abs=1e6, warn=False)
    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    show_trace_2d(f_2d, trace, ax=ax, xlim=(-6.0, 6.0), ylim=(-4.0, 4.0), num_points=80,
                  aspect="equal")
    e1, e2 = trace[-1]
    if trace.diverged:
        status = "，已发散"
    elif abs(e1) > 6 or abs(e2) > 4:  # every start point is inside the view: it is growing
        status = "，正在发散（已离开画面）"
    else:
        status = ""
    ax.set_title(f"lr={lr:.3g}：{trace.num_steps} 步后 $(x_1, x_2)$=({e1:.3g}, {e2:.3g}){status}",
                 fontsize=10)
    fig.tight_layout()
    return fig


def gd_1d_panel(lr=0.2, x0=10.0, steps=10):
    """Sliders for :func:`draw_gd_1d`: lr (log), start point, steps, objective."""
    from course_utils.widgets import dropdown, float_slider, int_slider, interactive, log_slider

    return interactive(draw_gd_1d,
                       lr=log_slider(lr, 0.01, 3.0, description="学习率 lr"),
                       x0=float_slider(x0, -10.0, 10.0, 0.5, description="起点 x0"),
                       steps=int_slider(steps, 1, 50, description="步数"),
                       func=dropdown(list(OBJECTIVES_1D), description="目标函数"))


def gd_2d_panel(lr=0.1, x1=-5.0, x2=-2.0, steps=20):
    """Sliders for :func:`draw_gd_2d`: lr (log), start point (x1, x2), steps."""
    from course_utils.widgets import float_slider, int_slider, interactive, log_slider

    return interactive(draw_gd_2d,
                       lr=log_slider(lr, 0.01, 1.0, description="学习率 lr"),
                       x1=float_slider(x1, -5.5, 5.5, 0.5, description="起点 x1"),
                       x2=float_slider(x2, -3.5, 3.5, 0.5, description="起点 x2"),
                       steps=int_slider(steps, 1, 50, description="步数"))
