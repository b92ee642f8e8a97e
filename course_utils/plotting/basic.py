"""Basic figures: line plots with several curves and image grids."""

from __future__ import annotations

import numpy as np


def set_figsize(figsize=(6.0, 3.6)) -> None:
    """Set the default figure size (inches) for later figures."""
    import matplotlib as mpl

    w, h = figsize
    if w <= 0 or h <= 0:
        raise ValueError(f"figsize 的宽和高必须为正数，收到 {figsize!r}")
    mpl.rcParams["figure.figsize"] = (float(w), float(h))


def _as_array(v):
    if hasattr(v, "detach"):
        v = v.detach().cpu().numpy()
    return np.asarray(v, dtype=float)


def _has_one_axis(X) -> bool:
    return hasattr(X, "ndim") and X.ndim == 1 or (
        isinstance(X, list) and (len(X) == 0 or not hasattr(X[0], "__len__"))
    )


def plot(X, Y=None, *, xlabel=None, ylabel=None, legend=None, title=None, xlim=None, ylim=None,
         xscale="linear", yscale="linear", fmts=("-", "m--", "g-.", "r:", "c-", "y--", "k-."),
         figsize=None, ax=None):
    """Plot one or several curves (d2l-like signature); returns the axes.

    ``X`` and ``Y`` may be lists of arrays (one per curve); with ``Y=None`` the values in ``X`` are
    plotted against their index.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    if Y is None:
        X, Y = [[]] * (1 if _has_one_axis(X) else len(X)), X
    if _has_one_axis(X):
        X = [X]
    if _has_one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    if legend is not None and len(legend) != len(Y):
        raise ValueError(f"legend 的长度 {len(legend)} 与曲线数 {len(Y)} 不一致")
    for i, (x, y) in enumerate(zip(X, Y)):
        fmt = fmts[i % len(fmts)]
        y = _as_array(y)
        x = _as_array(x) if len(x) else np.arange(len(y))
        ax.plot(x, y, fmt, label=None if legend is None else legend[i])
    ax.set_xscale(xscale)
    ax.set_yscale(yscale)
    if xlim is not None:
        ax.set_xlim(xlim)
    if ylim is not None:
        ax.set_ylim(ylim)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if legend is not None:
        ax.legend()
    return ax


def show_images(imgs, num_rows: int, num_cols: int, titles=None, scale: float = 1.5):
    """Show a grid of images (tensors or arrays of shape (H, W) or (1, H, W)); returns the axes."""
    import matplotlib.pyplot as plt

    if num_rows <= 0 or num_cols <= 0:
        raise ValueError("num_rows 与 num_cols 必须为正整数")
    fig, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale * 1.15))
    axes = np.atleast_1d(axes).flatten()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i >= len(imgs):
            continue
        img = _as_array(imgs[i]).squeeze()
        ax.imshow(img, cmap="gray_r")
        if titles is not None and i < len(titles):
            ax.set_title(titles[i], fontsize=10)
    fig.tight_layout()
    return axes
