"""Learning-rate schedules as pure ``step -> lr`` functions, plus PyTorch glue.

Every schedule takes the step (an int or a NumPy array of ints) first and keyword-only
hyper-parameters, and returns the learning rate (a float for an int step, an array otherwise).
``lambda_lr`` turns any of them into a per-batch ``torch.optim.lr_scheduler.LambdaLR``;
``record_lrs`` records the LR curve of any real PyTorch scheduler and ``plot_lr_curves`` draws
several curves on one axes. The chapter's figures and slider panels live in
``course_utils.demos.ch1_lr_schedules``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn


# ---------------------------------------------------------------------------------------------
# Argument checks (Chinese message naming the parameter)
# ---------------------------------------------------------------------------------------------
def _int_arg(name: str, value, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} 必须是 ≥ {minimum} 的整数，收到 {value!r}")
    return int(value)


def _pos_arg(name: str, value, *, allow_zero: bool = False) -> float:
    ok = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        kind = "非负" if allow_zero else "正"
        raise ValueError(f"{name} 必须是有限的{kind}数，收到 {value!r}")
    return float(value)


def _steps(step):
    """Return (float array of steps, whether the input was a scalar)."""
    arr = np.asarray(step, dtype=float)
    return arr, arr.ndim == 0


def _out(values, scalar: bool):
    values = np.asarray(values, dtype=float)
    return float(values) if scalar else values


# ---------------------------------------------------------------------------------------------
# Classic decays
# ---------------------------------------------------------------------------------------------
def constant(step, *, base_lr: float):
    """The same learning rate at every step."""
    t, scalar = _steps(step)
    return _out(np.full_like(t, _pos_arg("base_lr", base_lr, allow_zero=True)), scalar)


def inverse_time(step, *, base_lr: float, decay_rate: float):
    """α = α0 / (1 + decay_rate · t)."""
    t, scalar = _steps(step)
    k = _pos_arg("decay_rate", decay_rate, allow_zero=True)
    return _out(_pos_arg("base_lr", base_lr, allow_zero=True) / (1.0 + k * t), scalar)


def exponential(step, *, base_lr: float, gamma: float = 0.95):
    """α = gamma^t · α0 (``torch.optim.lr_scheduler.ExponentialLR``)."""
    t, scalar = _steps(step)
    g = _pos_arg("gamma", gamma)
    return _out(_pos_arg("base_lr", base_lr, allow_zero=True) * g ** t, scalar)


def inverse_sqrt(step, *, base_lr: float, k: float = 1.0):
    """α = k / √t · α0 with a 1-based counter t = step + 1 (no division by zero at step 0)."""
    t, scalar = _steps(step)
    if np.any(t < 0):
        raise ValueError("inverse_sqrt 的 step 必须 ≥ 0")
    return _out(_pos_arg("k", k) * _pos_arg("base_lr", base_lr, allow_zero=True)
                / np.sqrt(t + 1.0), scalar)


def step_decay(step, *, base_lr: float, step_size: int, gamma: float = 0.1):
    """Staircase: α = α0 · gamma^⌊t / step_size⌋ (``StepLR``)."""
    t, scalar = _steps(step)
    size = _int_arg("step_size", step_size, minimum=1)
    g = _pos_arg("gamma", gamma)
    return _out(_pos_arg("base_lr", base_lr, allow_zero=True) * g ** np.floor(t / size), scalar)


def multistep(step, *, base_lr: float, milestones, gamma: float = 0.1):
    """α = α0 · gamma^(number of milestones ≤ t) (``MultiStepLR``)."""
    t, scalar = _steps(step)
    ms = sorted(_int_arg("milestones", m, minimum=0) for m in milestones)
    g = _pos_arg("gamma", gamma)
    passed = np.searchsorted(np.asarray(ms, dtype=float), t, side="right")
    return _out(_pos_arg("base_lr", base_lr, allow_zero=True) * g ** passed, scalar)


def polynomial(step, *, base_lr: float, total_steps: int, power: float = 1.0, end_lr: float = 0.0):
    """α = (α0 − end) · (1 − t/T)^power + end for t ≤ T, then ``end_lr``."""
    t, scalar = _steps(step)
    T = _int_arg("total_steps", total_steps, minimum=1)
    frac = 1.0 - np.clip(t, 0, T) / T
    base, end = _pos_arg("base_lr", base_lr, allow_zero=True), _pos_arg("end_lr", end_lr,
                                                                        allow_zero=True)
    return _out((base - end) * frac ** _pos_arg("power", power) + end, scalar)


def cosine(step, *, base_lr: float, total_steps: int, min_lr: float = 0.0):
    """η_t = η_min + ½(η_max − η_min)(1 + cos(π t / T)) for t ≤ T, then ``min_lr``.

    Equals ``CosineAnnealingLR(T_max=total_steps, eta_min=min_lr)`` for 0 ≤ t ≤ T.
    """
    t, scalar = _steps(step)
    T = _int_arg("total_steps", total_steps, minimum=1)
    base, lo = _pos_arg("base_lr", base_lr, allow_zero=True), _pos_arg("min_lr", min_lr,
                                                                      allow_zero=True)
    return _out(lo + 0.5 * (base - lo) * (1 + np.cos(np.pi * np.clip(t, 0, T) / T)), scalar)


def cosine_with_warmup(step, *, base_lr: float, total_steps: int, warmup_lr: float = 0.0,
                       warmup_steps: int = 0, hold_steps: int = 0):
    """Linear warmup, optional hold, cosine decay to 0; 0 after ``total_steps``.

    The semantics of the widely used Keras ``cosine_decay_with_warmup`` recipe:

    * ``step < warmup_steps``: ``warmup_lr + (base_lr - warmup_lr) * step / warmup_steps``;
    * ``warmup_steps <= step <= warmup_steps + hold_steps`` (when ``hold_steps > 0``): ``base_lr``;
    * otherwise ``0.5 * base_lr * (1 + cos(pi * (step - w - h) / (total_steps - w - h)))``;
    * ``step > total_steps``: 0.

    Raises ``ValueError`` when ``total_steps < warmup_steps`` or ``base_lr < warmup_lr``
    (the recipe checks the latter only with warmup; here it is always checked).
    """
    t, scalar = _steps(step)
    T = _int_arg("total_steps", total_steps, minimum=1)
    w = _int_arg("warmup_steps", warmup_steps)
    h = _int_arg("hold_steps", hold_steps)
    base = _pos_arg("base_lr", base_lr, allow_zero=True)
    w_lr = _pos_arg("warmup_lr", warmup_lr, allow_zero=True)
    if T < w:
        raise ValueError(f"总步数 total_steps（{T}）必须 ≥ 预热步数 warmup_steps（{w}）")
    if base < w_lr:
        raise ValueError(f"基础学习率 base_lr（{base:g}）必须 ≥ 预热起始学习率 warmup_lr（{w_lr:g}）")
    # When T <= w + h the cosine branch is never selected (those steps are > T), so a positive
    # denominator changes nothing but avoids a division by zero.
    decay = max(T - w - h, 1)
    lr = 0.5 * base * (1 + np.cos(np.pi * (t - w - h) / decay))
    if h > 0:
        lr = np.where(t > w + h, lr, base)
    if w > 0:
        lr = np.where(t < w, w_lr + (base - w_lr) / w * t, lr)
    return _out(np.where(t > T, 0.0, lr), scalar)


def triangular(step, *, base_lr: float, max_lr: float, step_size_up: int,
               step_size_down: int | None = None):
    """Triangular cyclical LR between ``base_lr`` and ``max_lr`` (``CyclicLR`` 'triangular')."""
    t, scalar = _steps(step)
    up = _int_arg("step_size_up", step_size_up, minimum=1)
    down = up if step_size_down is None else _int_arg("step_size_down", step_size_down, minimum=1)
    lo, hi = _pos_arg("base_lr", base_lr, allow_zero=True), _pos_arg("max_lr", max_lr)
    if hi < lo:
        raise ValueError(f"max_lr（{hi:g}）必须 ≥ base_lr（{lo:g}）")
    total, ratio = up + down, up / (up + down)
    cycle = np.floor(1 + t / total)
    x = 1.0 + t / total - cycle
    scale = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
    return _out(lo + (hi - lo) * scale, scalar)


def one_cycle(step, *, max_lr: float, total_steps: int, pct_start: float = 0.3,
              div_factor: float = 25.0, final_div_factor: float = 1e4, anneal: str = "cos"):
    """The 1-cycle policy (two phases, as ``OneCycleLR`` with ``three_phase=False``).

    Rises from ``max_lr / div_factor`` to ``max_lr`` over ``pct_start · total_steps`` steps, then
    anneals to ``max_lr / div_factor / final_div_factor`` at step ``total_steps - 1`` and stays.
    """
    t, scalar = _steps(step)
    T = _int_arg("total_steps", total_steps, minimum=2)
    hi = _pos_arg("max_lr", max_lr)
    if not 0 < pct_start < 1:
        raise ValueError(f"pct_start 必须在 (0, 1) 内，收到 {pct_start!r}")
    if anneal not in ("cos", "linear"):
        raise ValueError(f"anneal 只能是 'cos' 或 'linear'，收到 {anneal!r}")
    start = hi / _pos_arg("div_factor", div_factor)
    end = start / _pos_arg("final_div_factor", final_div_factor)
    t = np.clip(t, 0, T - 1)
    peak = float(pct_start * T) - 1  # the step at which max_lr is reached (as in OneCycleLR)

    def ann(a, b, pct):
        return b + (a - b) / 2.0 * (np.cos(np.pi * pct) + 1) if anneal == "cos" else (b - a) * pct + a

    with np.errstate(divide="ignore", invalid="ignore"):
        rise = ann(start, hi, t / peak) if peak > 0 else np.full_like(t, hi)
        fall = ann(hi, end, (t - peak) / (T - 1 - peak))
    return _out(np.where(t <= peak, rise, fall), scalar)


# ---------------------------------------------------------------------------------------------
# PyTorch glue
# ---------------------------------------------------------------------------------------------
def lambda_lr(optimizer, schedule, **kwargs):
    """A ``LambdaLR`` whose group LRs follow ``schedule(step, **kwargs)`` (absolute values).

    Step it once per batch. LambdaLR multiplies each group's initial LR by a factor, so the
    factor here is ``schedule(step) / initial_lr`` (the optimizer's LR must be positive).
    """
    if not callable(schedule):
        raise TypeError("schedule 必须是可调用对象：schedule(step, **kwargs) -> lr")
    schedule(0, **kwargs)  # validate the arguments now, with the schedule's own message
    factors = []
    for g in optimizer.param_groups:
        base = float(g.get("initial_lr", g["lr"]))
        if base <= 0:
            raise ValueError(f"lambda_lr 需要优化器的学习率 lr > 0（作为基准），收到 {base!r}")
        factors.append(lambda s, b=base: schedule(s, **kwargs) / b)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factors)


def record_lrs(make_scheduler, num_steps: int, *, lr: float = 0.1, momentum: float = 0.9,
               metrics=None) -> np.ndarray:
    """The LR that a real optimizer uses at each of ``num_steps`` steps under a scheduler.

    ``make_scheduler(optimizer)`` builds the scheduler for an ``SGD(lr, momentum)`` optimizer over
    one dummy parameter. Each step calls ``optimizer.step()`` before ``scheduler.step()`` (the
    order PyTorch expects); ``ReduceLROnPlateau`` receives ``metrics[i]`` at step ``i``.
    """
    n = _int_arg("num_steps", num_steps, minimum=1)
    param = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=lr, momentum=momentum)
    sched = make_scheduler(opt)
    plateau = isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau)
    if plateau and (metrics is None or len(metrics) < n):
        raise ValueError("ReduceLROnPlateau 需要指标：请传入长度 ≥ num_steps 的 metrics 序列")
    lrs = np.empty(n)
    for i in range(n):
        lrs[i] = opt.param_groups[0]["lr"]
        param.grad = torch.zeros_like(param)
        opt.step()
        sched.step(float(metrics[i])) if plateau else sched.step()
    return lrs


def plot_lr_curves(curves: dict, *, x=None, xlabel: str = "步（step）", ylabel: str = "学习率",
                   title: str | None = None, yscale: str = "linear", ax=None):
    """Plot several LR curves ``{label: lrs}`` on one axes; returns the axes.

    ``x`` gives the horizontal positions shared by all curves (default: the step index 0, 1, ...).
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    for label, lrs in curves.items():
        lrs = np.asarray(lrs, dtype=float)
        xs = np.arange(len(lrs)) if x is None else np.asarray(x, dtype=float)
        if xs.shape != lrs.shape:
            raise ValueError(f"x 的长度 {len(xs)} 与曲线 {label!r} 的长度 {len(lrs)} 不一致")
        ax.plot(xs, lrs, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_yscale(yscale)
    if title:
        ax.set_title(title)
    if len(curves) > 1 or title is None:
        ax.legend()
    return ax
