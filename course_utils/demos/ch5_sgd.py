"""Figures and slider draw functions for chapter 5 (SGD and minibatch SGD).

The slider panel needs a redraw well under a second, so :func:`fast_minibatch_sgd` runs minibatch
SGD for linear regression with the closed-form gradient in NumPy (no autograd). It uses the same
initialisation and the same shuffled batches as :func:`course_utils.descent.stochastic.train_minibatch`
for the same seed, so it follows the same trajectory (up to float32 vs float64 rounding).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from course_utils.descent.stochastic import _positive_int, f_2d, init_linreg, sgd_trace_2d
from course_utils.tables import Table, table

# Learning-rate factors for minibatch SGD as a function of τ = epochs completed (fractional).
EPOCH_SCHEDULES = {
    "constant": lambda tau: 1.0,
    "exponential": lambda tau: math.exp(-tau),
    "polynomial": lambda tau: (1.0 + tau) ** -0.5,
}
SCHEDULE_LABELS = {"constant": "常数学习率", "exponential": r"指数衰减 $\eta e^{-\tau}$",
                   "polynomial": r"多项式衰减 $\eta(1+\tau)^{-1/2}$"}
#: Batch sizes of the minibatch panel's slider: 1 … 1500 (= the whole training set, i.e. GD).
BATCH_SIZES = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1500]
#: (Chinese label, value) pairs for the schedule dropdowns of both panels.
SCHEDULE_CHOICES = [("常数", "constant"), ("指数衰减", "exponential"), ("多项式衰减", "polynomial")]


def _as_numpy(t):
    return t.detach().cpu().numpy().astype(np.float64) if hasattr(t, "detach") \
        else np.asarray(t, dtype=np.float64)


def fast_minibatch_sgd(X, y, *, batch_size: int, lr: float, num_epochs: int = 2,
                       schedule: str = "constant", every: int = 100, seed: int = 0):
    """Minibatch SGD on ``(ŷ − y)²/2`` with the closed-form gradient; returns ``(epochs, losses)``.

    The learning rate at an update is ``lr · factor(τ)`` with τ the epochs completed before it
    (see ``EPOCH_SCHEDULES``). The batches are the ones :class:`course_utils.data.TensorLoader`
    draws with ``shuffle=True, seed=seed``. A diverging run (loss above 10⁶ times the initial
    loss, or NaN) stops early and its last loss is ``inf``.
    """
    batch_size = _positive_int(batch_size, "批量大小 batch_size")
    num_epochs = _positive_int(num_epochs, "num_epochs")
    if not lr > 0:
        raise ValueError(f"学习率 lr 必须为正数，收到 {lr!r}")
    if schedule not in EPOCH_SCHEDULES:
        raise ValueError(f"未知的学习率调度 schedule={schedule!r}：可选 {sorted(EPOCH_SCHEDULES)}")
    X, y = _as_numpy(X), _as_numpy(y).reshape(-1)
    n, d = X.shape
    w0, _ = init_linreg(d, seed=seed)
    w, b = _as_numpy(w0).reshape(-1), 0.0
    factor = EPOCH_SCHEDULES[schedule]
    g = torch.Generator().manual_seed(seed)

    def loss():
        r = X @ w + b - y
        return 0.5 * float(r @ r) / n

    epochs, losses = [0.0], [loss()]
    seen = 0
    with np.errstate(all="ignore"):
        for _ in range(num_epochs):
            order = torch.randperm(n, generator=g).numpy()
            Xp, yp = X[order], y[order]  # shuffle once per epoch; batches are then cheap views
            for start in range(0, n, batch_size):
                Xb, yb = Xp[start:start + batch_size], yp[start:start + batch_size]
                r = Xb @ w + b - yb
                eta = lr * factor(seen / n) / len(yb)
                w = w - eta * (r @ Xb)
                b = b - eta * r.sum()
                before, seen = seen, seen + len(yb)
                if seen // every > before // every:
                    epochs.append(seen / n)
                    losses.append(loss())
                    if not losses[-1] < 1e6 * losses[0]:  # diverged (or NaN): stop here
                        losses[-1] = math.inf
                        return np.asarray(epochs), np.asarray(losses)
    return np.asarray(epochs), np.asarray(losses)


def least_squares_loss(X, y) -> float:
    """The smallest reachable loss ``min_{w,b} mean((Xw + b − y)²)/2`` (closed form)."""
    X, y = _as_numpy(X), _as_numpy(y).reshape(-1)
    A = np.hstack([X, np.ones((len(X), 1))])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    r = A @ coef - y
    return 0.5 * float(r @ r) / len(y)


def draw_noisy_trace(schedule="constant", eta=0.1, noise_mean=0.0, steps=50, seed=0):
    """Slider draw: one noisy SGD trace on ``x1² + 2·x2²`` with contours; returns the figure.

    ``schedule`` is ``'constant'``, ``'exponential'`` or ``'polynomial'`` (per-step factors of
    :mod:`course_utils.descent.stochastic`); ``noise_mean`` = μ ≠ 0 reproduces the biased-gradient bug,
    and the point (−μ/2, −μ/4) where the expected gradient vanishes is marked.
    """
    import matplotlib.pyplot as plt

    from course_utils.plotting import show_trace_2d

    trace = sgd_trace_2d(schedule, eta=eta, steps=int(steps), noise_mean=noise_mean, seed=seed)
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    x1, x2 = trace[-1]
    with np.errstate(all="ignore"):
        value = f_2d(x1, x2)
    show_trace_2d(f_2d, trace, ax=ax, xlim=(-5.5, 1.5), ylim=(-3.0, 1.5), aspect="equal",
                  levels=12, title=f"{int(steps)} 步后 x=({x1:.2f}, {x2:.2f})，f(x)={value:.3g}")
    ax.plot([0], [0], "k*", ms=10, label="最优点")
    if noise_mean != 0:
        ax.plot(-noise_mean / 2, -noise_mean / 4, "rx", ms=9, mew=2, label="有偏梯度的零点")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def noisy_trace_panel(schedule="polynomial", eta=0.1, noise_mean=0.0, steps=50):
    """Sliders for :func:`draw_noisy_trace`: schedule, η (log), noise mean μ, number of steps."""
    from course_utils.widgets import dropdown, float_slider, int_slider, interactive, log_slider

    return interactive(
        draw_noisy_trace,
        schedule=dropdown(SCHEDULE_CHOICES, schedule, description="学习率函数"),
        eta=log_slider(eta, 0.01, 0.4, description="学习率 η"),
        noise_mean=float_slider(noise_mean, -1.0, 1.0, 0.1, description="噪声均值 μ"),
        steps=int_slider(steps, 10, 500, 10, description="步数"))


def make_minibatch_draw(X, y, *, ylim=(0.22, 0.45)):
    """A ``draw(batch_size, lr, schedule, num_epochs) -> Figure`` for the slider panel.

    ``batch_size`` may be a float (from a log slider); it is rounded to an integer in [1, n].
    """
    import matplotlib.pyplot as plt

    X, y = _as_numpy(X), _as_numpy(y)
    best = least_squares_loss(X, y)

    def draw(batch_size=10, lr=0.05, schedule="constant", num_epochs=2):
        bs = int(min(max(round(batch_size), 1), len(X)))
        epochs, losses = fast_minibatch_sgd(X, y, batch_size=bs, lr=lr, num_epochs=int(num_epochs),
                                            schedule=schedule)
        fig, ax = plt.subplots(figsize=(6.0, 3.4))
        ax.plot(epochs, losses, "-", color="C0", lw=1.5, label=f"批量大小 {bs}")
        ax.axhline(best, color="k", ls=":", lw=1, label=f"最小二乘最优 {best:.3f}")
        ax.set_xlim(0, int(num_epochs))
        ax.set_ylim(*ylim)
        ax.set_xlabel("轮")
        ax.set_ylabel("训练损失")
        updates = int(num_epochs) * math.ceil(len(X) / bs)
        final = losses[-1]
        final_txt = f"{final:.3f}" if math.isfinite(final) else "发散"
        ax.set_title(f"{SCHEDULE_LABELS[schedule]}，η={lr:.3g}：{updates} 次更新，最终损失 {final_txt}",
                     fontsize=10)
        ax.legend(loc="upper right")
        fig.tight_layout()
        return fig

    return draw


def minibatch_panel(draw, *, batch_size=10, lr=0.05, schedule="constant", num_epochs=2):
    """Sliders for a :func:`make_minibatch_draw` function: batch size (one of ``BATCH_SIZES``,
    1 to 1500 exactly), η (log), schedule, number of epochs."""
    from course_utils.widgets import dropdown, int_slider, interactive, log_slider, selection_slider

    return interactive(
        draw,
        batch_size=selection_slider(BATCH_SIZES, batch_size, description="批量大小"),
        lr=log_slider(lr, 0.001, 2.0, description="学习率 η"),
        schedule=dropdown(SCHEDULE_CHOICES, schedule, description="学习率调度"),
        num_epochs=int_slider(num_epochs, 1, 10, description="轮数"))


def plot_loss_curves(results: dict, *, best=None, ylim=(0.22, 0.45), figsize=(10.0, 3.6)):
    """Loss vs epochs (left) and vs training seconds (right), both on log scales, for several runs.

    ``results`` maps a label to a :class:`course_utils.descent.stochastic.TrainResult`; ``best`` (e.g.
    :func:`least_squares_loss`) adds a dotted reference line. Returns the figure.
    """
    import matplotlib.pyplot as plt

    if not results:
        raise ValueError("results 不能为空：需要 {标签: TrainResult}")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=figsize)
    fmts = ("-", "--", "-.", ":", "-")
    for i, (label, res) in enumerate(results.items()):
        c = res.curve
        # both x axes are logarithmic: drop the starting point at epoch 0 / time 0
        ax1.plot(c.epochs[1:], c.losses[1:], fmts[i % len(fmts)], color=f"C{i}", label=label)
        ax2.plot(c.times[1:], c.losses[1:], fmts[i % len(fmts)], color=f"C{i}", label=label)
    ax1.set_xlabel("轮（对数刻度）")
    ax2.set_xlabel("训练时间（秒，对数刻度）")
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_ylabel("训练损失")
        if best is not None:
            ax.axhline(best, color="k", ls=":", lw=1, label=f"最小二乘最优 {best:.3f}")
        if ylim is not None:
            ax.set_ylim(*ylim)
        ax.grid(True, alpha=0.3)
    ax1.legend(fontsize=9)
    fig.tight_layout()
    return fig


def _sig3(x: float) -> str:
    """``x`` with three significant digits and no exponent (0.215, 2.37, 230, 1062)."""
    if not (math.isfinite(x) and x > 0):
        return f"{x:g}"
    return f"{x:.{max(0, 2 - math.floor(math.log10(x)))}f}"


def results_table(results: dict) -> Table:
    """A :func:`course_utils.tables.table` of each run: final loss, updates per epoch, training
    milliseconds per epoch and per update (three significant digits)."""
    if not results:
        raise ValueError("results 不能为空：需要 {标签: TrainResult}")
    rows = []
    for label, res in results.items():
        ms = res.sec_per_epoch * 1e3
        rows.append({"label": label, "loss": res.final_loss, "updates": res.updates_per_epoch,
                     "ms": _sig3(ms), "ms_update": _sig3(ms / res.updates_per_epoch)})
    out = table(rows, [("label", "设置"), ("loss", "最终损失", ".3f"),
                       ("updates", "更新次数/轮", ".0f"), ("ms", "毫秒/轮"),
                       ("ms_update", "毫秒/次更新")])
    out.align[3:] = ["right", "right"]  # numbers formatted by _sig3 (strings): align as numbers
    return out
