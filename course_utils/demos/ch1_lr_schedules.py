"""Chapter 1's figures: the slider panels around the LR schedules and the experiment plots.

Each ``draw_*`` function returns a matplotlib Figure (``draw(**params) -> Figure``); the
``*_panel`` builders wrap them in sliders (see ``course_utils.widgets``). ``plot_scheduler_grid``
draws one small LR curve per PyTorch scheduler; ``results_table`` and
``plot_schedule_comparison`` summarise the Fashion-MNIST schedule experiment.
"""

from __future__ import annotations

import numpy as np
import torch

from course_utils.schedules import cosine_with_warmup, plot_lr_curves, record_lrs, step_decay
from course_utils.tables import Table, table

PANEL_FIGSIZE = (5.6, 3.0)
# Notebook figures are rendered at the figure's dpi: 90 keeps the text readable and the committed
# notebook (each panel is stored twice: as a static figure and in the saved widget state) small.
DPI = 90


def _new_fig(figsize=PANEL_FIGSIZE):
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize, dpi=DPI)


# ---------------------------------------------------------------------------------------------
# Slider figures: draw(**params) -> Figure
# ---------------------------------------------------------------------------------------------
def draw_warmup_cosine(base_lr=0.1, warmup_steps=100, hold_steps=0, total_steps=1000,
                       warmup_lr=0.0):
    """Figure: the warmup → hold → cosine schedule (shows the error message on bad arguments)."""
    fig, ax = _new_fig()
    steps = np.arange(int(total_steps) + 51)
    try:
        lrs = cosine_with_warmup(steps, base_lr=base_lr, total_steps=int(total_steps),
                                 warmup_lr=min(warmup_lr, base_lr), warmup_steps=int(warmup_steps),
                                 hold_steps=int(hold_steps))
    except ValueError as exc:
        ax.text(0.5, 0.5, str(exc), ha="center", va="center", wrap=True, transform=ax.transAxes)
        ax.set_title("参数无效")
        return fig
    ax.plot(steps, lrs)
    for x, name in ((warmup_steps, "预热结束"), (warmup_steps + hold_steps, "保持结束"),
                    (total_steps, "total_steps")):
        if 0 < x <= total_steps and not (name == "保持结束" and hold_steps == 0):
            ax.axvline(x, color="gray", ls=":", lw=1)
            ax.text(x, base_lr * 1.02, name, fontsize=9, ha="center", va="bottom")
    ax.set_ylim(0, base_lr * 1.15)
    ax.set(xlabel="步（step）", ylabel="学习率",
           title=f"预热 + 保持 + 余弦衰减（base_lr={base_lr:.3g}）")
    return fig


def draw_step_lr(base_lr=0.1, gamma=0.5, step_size=10, epochs=60):
    """Figure: StepLR from a real optimizer, with the closed form as dots."""
    fig, ax = _new_fig()
    t = np.arange(epochs)
    lrs = record_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=int(step_size),
                                                               gamma=gamma), int(epochs), lr=base_lr)
    ax.step(t, lrs, where="post", label="StepLR（真实优化器）")
    ax.plot(t, step_decay(t, base_lr=base_lr, step_size=int(step_size), gamma=gamma),
            ".", ms=3, label=r"闭式 $\alpha_0\gamma^{\lfloor e/s\rfloor}$")
    ax.set(xlabel="轮", ylabel="学习率", title=f"StepLR：gamma={gamma:.2f}, step_size={step_size}")
    ax.legend()
    return fig


def draw_warm_restarts(base_lr=0.1, T_0=10, T_mult=2, epochs=70, eta_min=0.0):
    """Figure: CosineAnnealingWarmRestarts (SGDR) from a real optimizer, restarts marked."""
    fig, ax = _new_fig()
    lrs = record_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        o, T_0=int(T_0), T_mult=int(T_mult), eta_min=eta_min), int(epochs), lr=base_lr)
    ax.plot(np.arange(epochs), lrs)
    start, length = int(T_0), int(T_0)
    while start < epochs:  # restarts at T_0, T_0 + T_0·T_mult, ...
        ax.axvline(start, color="gray", ls=":", lw=1)
        length *= int(T_mult)
        start += length
    ax.set(xlabel="轮", ylabel="学习率",
           title=f"SGDR 热重启：T_0={T_0}, T_mult={T_mult}（虚线为重启）")
    return fig


# ---------------------------------------------------------------------------------------------
# Slider panels
# ---------------------------------------------------------------------------------------------
def warmup_cosine_panel(**initial):
    """Sliders (base LR on a log scale, warmup / hold / total steps) around ``draw_warmup_cosine``."""
    from course_utils import widgets as W

    v = {"base_lr": 0.1, "warmup_steps": 100, "hold_steps": 0, "total_steps": 1000, **initial}
    return W.interactive(
        draw_warmup_cosine,
        base_lr=W.log_slider(v["base_lr"], 1e-4, 1.0, description="基础学习率 base_lr"),
        warmup_steps=W.int_slider(v["warmup_steps"], 0, 500, 10, description="预热步数"),
        hold_steps=W.int_slider(v["hold_steps"], 0, 500, 10, description="保持步数"),
        total_steps=W.int_slider(v["total_steps"], 100, 2000, 50, description="总步数"))


def step_lr_panel(**initial):
    """Sliders (base LR, gamma, step_size) around ``draw_step_lr``."""
    from course_utils import widgets as W

    v = {"base_lr": 0.1, "gamma": 0.5, "step_size": 10, **initial}
    return W.interactive(
        draw_step_lr,
        base_lr=W.log_slider(v["base_lr"], 1e-4, 1.0, description="基础学习率 base_lr"),
        gamma=W.float_slider(v["gamma"], 0.05, 1.0, 0.05, description="gamma"),
        step_size=W.int_slider(v["step_size"], 1, 30, description="step_size"))


def warm_restarts_panel(**initial):
    """Sliders (base LR, T_0, T_mult) around ``draw_warm_restarts``."""
    from course_utils import widgets as W

    v = {"base_lr": 0.1, "T_0": 10, "T_mult": 2, **initial}
    return W.interactive(
        draw_warm_restarts,
        base_lr=W.log_slider(v["base_lr"], 1e-4, 1.0, description="基础学习率 base_lr"),
        T_0=W.int_slider(v["T_0"], 1, 40, description="T_0"),
        T_mult=W.int_slider(v["T_mult"], 1, 3, description="T_mult"))


# ---------------------------------------------------------------------------------------------
# Static figures and the experiment's table
# ---------------------------------------------------------------------------------------------
def plot_scheduler_grid(curves: dict, *, ncols: int = 3, title: str | None = None,
                        figsize=(10.5, 6.0)):
    """One small panel per ``{name: lrs}`` curve (x axis: number of ``scheduler.step()`` calls);
    returns the Figure."""
    import matplotlib.pyplot as plt

    if not curves:
        raise ValueError("curves 不能为空：需要 {名称: 学习率序列}")
    nrows = -(-len(curves) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, sharex=True, squeeze=False, dpi=DPI)
    for ax, (name, lrs) in zip(axes.flat, curves.items()):
        ax.plot(np.asarray(lrs, dtype=float))
        ax.set_title(name, fontsize=10)
    for ax in axes.flat[len(curves):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("scheduler.step() 次数")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def results_table(histories: dict, target_acc: float) -> Table:
    """Table of ``{name: History}``: final test accuracy, the first epoch reaching
    ``target_acc`` and the test accuracy of every epoch."""
    if not histories:
        raise ValueError("histories 不能为空：需要 {调度名称: History}")
    if not 0 < target_acc <= 1:
        raise ValueError(f"target_acc 必须在 (0, 1] 内，收到 {target_acc!r}")
    rows = []
    for name, h in histories.items():
        first = h.first_epoch_reaching(target_acc)
        rows.append({"name": name, "final": h.test_acc[-1] if h.test_acc else None,
                     "first": str(first) if first is not None else "未达到",
                     "all": " ".join(f"{a:.4f}" for a in h.test_acc)})
    return table(rows, [("name", "调度"), ("final", "最终测试准确率", ".4f"),
                        ("first", f"首次达到 {target_acc:.0%} 的轮"), ("all", "各轮测试准确率")])


def plot_schedule_comparison(lr_curves: dict, histories: dict, *, target_acc: float | None = None,
                             figsize=(12.0, 3.3)):
    """Three panels: the LR per batch, test accuracy and training loss per epoch (same colours,
    one legend on the left); returns the Figure."""
    import matplotlib.pyplot as plt

    fig, (ax0, ax1, ax2) = plt.subplots(1, 3, figsize=figsize, dpi=DPI)
    plot_lr_curves(lr_curves, ax=ax0, xlabel="步（批次）", title="学习率（按批次）")
    ax0.legend(fontsize=9)
    for name, h in histories.items():
        ep = np.arange(1, len(h.test_acc) + 1)
        ax1.plot(ep, h.test_acc, "o-", ms=4, label=name)
        ax2.plot(np.arange(1, len(h.train_loss) + 1), h.train_loss, "o-", ms=4, label=name)
    if target_acc is not None:
        ax1.axhline(target_acc, color="gray", ls=":", lw=1)
    num_epochs = max(len(h.train_loss) for h in histories.values())
    ax1.set(xlabel="轮", ylabel="测试准确率", title="测试准确率（颜色同左图）")
    ax2.set(xlabel="轮", ylabel="训练损失（该轮平均）", title="训练损失（颜色同左图）")
    for ax in (ax1, ax2):
        ax.set_xticks(np.arange(1, num_epochs + 1))
    fig.tight_layout()
    return fig
