"""Optimisation traces: 1-D curve + iterates, 2-D contours + path, 3-D surfaces (chapter 4).

Each function takes ``ax=None`` (a new figure is made) and returns the axes it drew on.
"""

from __future__ import annotations

import numpy as np

__all__ = ["show_trace", "show_trace_2d", "plot_surface"]


def _finite_points(trace, dim):
    pts = np.asarray([np.asarray(p, dtype=float) for p in trace], dtype=float)
    if dim == 1:
        pts = pts.reshape(-1)
        return pts[np.isfinite(pts)]
    pts = pts.reshape(-1, 2)
    return pts[np.all(np.isfinite(pts), axis=1)]


def _check_trace(trace, name="trace"):
    if trace is None or len(trace) == 0:
        raise ValueError(f"轨迹 {name} 不能为空（至少包含起点）")


def show_trace(f, trace, ax=None, *, xlim=None, ylim=None, title=None, num_points=400,
               legend=False):
    """Plot ``f`` (vectorised over a NumPy array) and the iterates ``trace`` on it.

    The x-range covers the iterates symmetrically around 0 (like d2l) unless ``xlim`` is given;
    the y-range follows the curve over that x-range, so iterates that left the view (a diverging
    run) cannot squash the curve. A diverged trace (``trace.diverged``) is noted in the title.
    ``legend=True`` labels the curve, the iterates and the start point.
    """
    import matplotlib.pyplot as plt

    _check_trace(trace)
    pts = _finite_points(trace, 1)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 3.2))
    if xlim is None:
        n = max(float(np.max(np.abs(pts))) if pts.size else 1.0, 1e-3) * 1.05
        xlim = (-n, n)
    xs = np.linspace(xlim[0], xlim[1], num_points)
    ys = np.asarray(f(xs), dtype=float)
    ax.plot(xs, ys, "-", color="C0", lw=1.5, label="f(x)")
    with np.errstate(all="ignore"):
        ax.plot(pts, f(pts), "-o", color="C1", ms=4, lw=1, label="迭代点")
    if len(pts):
        ax.plot(pts[:1], f(pts[:1]), "s", color="C2", ms=7, label="起点")
    ax.set_xlim(xlim)
    if ylim is None and np.all(np.isfinite(ys)):
        lo, hi = float(ys.min()), float(ys.max())
        pad = 0.05 * (hi - lo) if hi > lo else 1.0
        ylim = (lo - pad, hi + pad)
    if ylim is not None:
        ax.set_ylim(ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    return _finish(ax, trace, legend, title)


def _finish(ax, trace, legend, title):
    """Legend and title shared by the trace plots; a diverged trace says so in the title."""
    if legend:
        ax.legend(fontsize=8)
    msg = title or ""
    if getattr(trace, "diverged", False):
        msg = (msg + "  " if msg else "") + "（已发散）"
    if msg:
        ax.set_title(msg)
    return ax


def _grid(xlim, ylim, num):
    x1, x2 = np.meshgrid(np.linspace(*xlim, num), np.linspace(*ylim, num))
    return x1, x2


def show_trace_2d(f, trace, ax=None, *, xlim=None, ylim=None, levels=20, title=None,
                  num_points=120, legend=False, aspect=None):
    """Contour lines of ``f(x1, x2)`` (vectorised) and the path ``trace = [(x1, x2), ...]``.

    Without ``xlim``/``ylim`` the view covers the path and the origin with a margin.
    ``aspect="equal"`` draws both axes to the same scale (so elliptic contours look elliptic);
    ``legend=True`` labels the iterates and the start point.
    """
    import matplotlib.pyplot as plt

    _check_trace(trace)
    pts = _finite_points(trace, 2)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.8, 3.6))
    if xlim is None or ylim is None:
        lo = np.minimum(pts.min(axis=0), 0) if len(pts) else np.array([-1.0, -1.0])
        hi = np.maximum(pts.max(axis=0), 0) if len(pts) else np.array([1.0, 1.0])
        pad = np.maximum((hi - lo) * 0.25, 1.0)
        xlim = xlim or (lo[0] - pad[0], hi[0] + pad[0])
        ylim = ylim or (lo[1] - pad[1], hi[1] + pad[1])
    x1, x2 = _grid(xlim, ylim, num_points)
    ax.contour(x1, x2, f(x1, x2), levels=levels, cmap="Blues_r", linewidths=0.8)
    ax.plot(pts[:, 0], pts[:, 1], "-o", color="C1", ms=3.5, lw=1, label="迭代点")
    if len(pts):
        ax.plot(pts[0, 0], pts[0, 1], "s", color="C2", ms=7, label="起点")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    if aspect is not None:
        ax.set_aspect(aspect)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return _finish(ax, trace, legend, title)


def plot_surface(f, xlim=(-1.0, 1.0), ylim=(-1.0, 1.0), ax=None, *, points=(), num_points=41,
                 title=None, elev=25, azim=-60):
    """A 3-D surface of ``f(x1, x2)`` with optional marked ``points`` (e.g. a saddle point).

    ``ax`` must be a 3-D axes if given (``fig.add_subplot(projection='3d')``).
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig = plt.figure(figsize=(5, 4))
        ax = fig.add_subplot(projection="3d")
    elif getattr(ax, "name", "") != "3d":
        raise ValueError("ax 必须是三维坐标轴：fig.add_subplot(projection='3d')")
    x1, x2 = _grid(xlim, ylim, num_points)
    z = f(x1, x2)
    ax.plot_wireframe(x1, x2, z, rstride=2, cstride=2, color="C0", lw=0.6, alpha=0.8)
    for p in points:
        ax.plot([p[0]], [p[1]], [f(np.asarray(p[0]), np.asarray(p[1]))], "rx", ms=10, mew=2)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.view_init(elev=elev, azim=azim)
    if title:
        ax.set_title(title)
    return ax
