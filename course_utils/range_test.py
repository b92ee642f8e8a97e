"""The learning-rate range test (Smith 2015/2017).

``lr_range_test`` raises the LR exponentially from ``start_lr`` to ``end_lr`` over ``num_iter``
minibatches, records an exponentially smoothed loss, stops when the loss diverges, and restores
the model and optimizer state exactly. ``suggest_lr`` picks the LR of steepest descent,
``range_test_regions`` locates the three regions and ``plot_range_test`` draws them, with the
candidate LRs (steepest point, minimum / 10, the one chosen) marked.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn


def _check_positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value <= 0:
        raise ValueError(f"{name} 必须是有限正数，收到 {value!r}")


def _cycle(data_iter):
    while True:
        empty = True
        for batch in data_iter:
            empty = False
            yield batch
        if empty:
            raise ValueError("train_iter 为空：范围测试至少需要一个小批量")


def lr_range_test(model: nn.Module, loss_fn, optimizer, train_iter, *, start_lr: float = 1e-7,
                  end_lr: float = 10.0, num_iter: int = 100, smooth: float = 0.05,
                  diverge_factor: float = 5.0):
    """Exponential LR sweep; returns ``(lrs, losses)`` as NumPy arrays (smoothed losses).

    At iteration ``i`` the LR is ``start_lr · (end_lr/start_lr)^(i/(num_iter-1))``. The loss is
    smoothed with an exponential moving average (weight ``smooth`` on the new value, bias
    corrected). The sweep stops early when the loss is NaN/inf (that point is not recorded) or
    when the smoothed loss exceeds ``diverge_factor`` × the best smoothed loss (recorded).
    ``train_iter`` is re-iterated if it has fewer than ``num_iter`` batches. Afterwards the
    model's parameters and buffers, its train/eval mode, and the optimizer's state and
    hyper-parameters are exactly as before.
    """
    _check_positive("start_lr", start_lr)
    _check_positive("end_lr", end_lr)
    if end_lr <= start_lr:
        raise ValueError(f"end_lr（{end_lr:g}）必须大于 start_lr（{start_lr:g}）")
    if isinstance(num_iter, bool) or not isinstance(num_iter, int) or num_iter < 2:
        raise ValueError(f"num_iter 必须是 ≥ 2 的整数，收到 {num_iter!r}")
    if not 0 < smooth <= 1:
        raise ValueError(f"smooth 必须在 (0, 1] 内，收到 {smooth!r}")
    if not diverge_factor > 1:
        raise ValueError(f"diverge_factor 必须 > 1，收到 {diverge_factor!r}")
    model_state = copy.deepcopy(model.state_dict())
    opt_state = copy.deepcopy(optimizer.state_dict())
    was_training = model.training
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    ratio = end_lr / start_lr
    lrs, losses = [], []
    avg, best = 0.0, math.inf
    try:
        model.train()
        batches = _cycle(train_iter)
        for i in range(num_iter):
            lr = start_lr * ratio ** (i / (num_iter - 1))
            for g in optimizer.param_groups:
                g["lr"] = lr
            X, y = next(batches)
            X, y = X.to(device), y.to(device)
            loss = loss_fn(model(X), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            value = float(loss.detach())
            if not math.isfinite(value):
                break
            avg = smooth * value + (1 - smooth) * avg
            smoothed = avg / (1 - (1 - smooth) ** (i + 1))
            lrs.append(lr)
            losses.append(smoothed)
            best = min(best, smoothed)
            if smoothed > diverge_factor * best:
                break
    finally:
        model.load_state_dict(model_state)
        optimizer.load_state_dict(opt_state)
        model.train(was_training)
    return np.asarray(lrs), np.asarray(losses)


def _check_curve(lrs, losses, min_points: int):
    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)
    if lrs.shape != losses.shape or lrs.ndim != 1:
        raise ValueError(f"lrs 与 losses 必须是等长的一维序列，收到形状 {lrs.shape} 与 {losses.shape}")
    if len(lrs) < min_points:
        raise ValueError(f"曲线只有 {len(lrs)} 个点（lrs/losses），至少需要 {min_points} 个")
    if np.any(lrs <= 0):
        raise ValueError("lrs 中的学习率必须全部为正（对数坐标）")
    return lrs, losses


def suggest_lr(lrs, losses, *, skip_start: int = 5, skip_end: int = 2) -> float:
    """The LR where the smoothed loss falls fastest (most negative d loss / d log10 lr).

    ``skip_start``/``skip_end`` points at either end are ignored (noisy start, divergence).
    """
    lrs, losses = _check_curve(lrs, losses, skip_start + skip_end + 3)
    grad = np.gradient(losses, np.log10(lrs))
    idx = skip_start + int(np.argmin(grad[skip_start:len(grad) - skip_end]))
    return float(lrs[idx])


def range_test_regions(lrs, losses, *, frac: float = 0.1) -> tuple[float, float]:
    """Boundaries ``(lr_descent_starts, lr_minimum)`` of the three regions of a range test.

    The descent starts where the loss has fallen by ``frac`` of its total drop; the divergence
    region starts at the minimum of the smoothed loss.
    """
    lrs, losses = _check_curve(lrs, losses, 3)
    i_min = int(np.argmin(losses))
    drop = losses[0] - losses[i_min]
    below = np.nonzero(losses[:i_min + 1] <= losses[0] - frac * drop)[0]
    i_start = int(below[0]) if len(below) else 0
    return float(lrs[i_start]), float(lrs[i_min])


_MARK_STYLES = (("k", "--"), ("tab:purple", "-."), ("tab:orange", "-"), ("tab:brown", ":"))


def plot_range_test(lrs, losses, *, marks: dict | None = None, regions: bool = True,
                    title: str | None = "学习率范围测试", ax=None):
    """Smoothed loss vs LR (log axis) with the three regions shaded.

    ``marks`` is ``{label: lr}``: each LR is drawn as a labelled vertical line, e.g. the steepest
    point, the minimum / 10 and the LR actually chosen, so the figure names every candidate
    instead of one "suggested" value. Returns the axes.
    """
    import matplotlib.pyplot as plt

    lrs, losses = _check_curve(lrs, losses, 3)
    marks = dict(marks or {})
    if len(marks) > len(_MARK_STYLES):
        raise ValueError(f"marks 最多 {len(_MARK_STYLES)} 条竖线，收到 {len(marks)} 条")
    for label, lr in marks.items():
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) \
                or not math.isfinite(lr) or lr <= 0:
            raise ValueError(f"marks 中“{label}”的学习率必须是有限正数（对数坐标），收到 {lr!r}")
    if ax is None:
        _, ax = plt.subplots()
    ax.plot(lrs, losses, label="平滑后的损失")
    ax.set_xscale("log")
    if regions:
        a, b = range_test_regions(lrs, losses)
        spans = ((lrs[0], a, "tab:gray", "① 太小：几乎不降"), (a, b, "tab:green", "② 快速下降"),
                 (b, lrs[-1], "tab:red", "③ 停滞→发散"))
        for lo, hi, color, name in spans:
            if hi > lo:
                ax.axvspan(lo, hi, color=color, alpha=0.12, label=name)
    for (label, lr), (color, ls) in zip(marks.items(), _MARK_STYLES):
        ax.axvline(lr, color=color, ls=ls, lw=1.2, label=label)
    top = losses[0] * 1.5 if losses[0] > 0 else None
    ax.set_ylim(min(losses.min() * 0.9, losses[0]), top)
    ax.set(xlabel="学习率（对数坐标）", ylabel="损失")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=9)
    return ax
