"""Figures and small simulations for chapter 2 (batch normalization).

Every ``plot_*``/``draw_*`` function returns a matplotlib Figure; the ``draw_*`` ones are the draw
functions of the notebook's sliders. Nothing here changes global state.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

__all__ = ["ACTIVATIONS", "plot_activations", "init_statistics", "plot_init_statistics",
           "simulate_running_stats", "draw_running_stats", "collect_preactivations",
           "plot_preactivation_histograms", "plot_affine_transforms", "INITS",
           "mark_coincident"]

ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "ReLU": torch.relu,
    "LeakyReLU(0.1)": lambda x: nn.functional.leaky_relu(x, 0.1),
    "GELU": nn.functional.gelu,
}
INITS = ("small", "large", "xavier", "he")
_INIT_LABELS = {"small": "小随机数 N(0, 0.01²)", "large": "过大 N(0, 1)",
                "xavier": "Xavier/Glorot", "he": "He/Kaiming"}


def _subplots(nrows=1, ncols=1, figsize=None):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    return fig, axes


def plot_activations(names=None, x_range=(-6.0, 6.0)):
    """Activation functions (left) and their derivatives computed with autograd (right)."""
    names = list(ACTIVATIONS) if names is None else list(names)
    unknown = [n for n in names if n not in ACTIVATIONS]
    if unknown:
        raise ValueError(f"未知的激活函数 names={unknown}；可选 {list(ACTIVATIONS)}")
    x = torch.linspace(*x_range, 601, requires_grad=True)
    fig, axes = _subplots(1, 2, figsize=(10, 3.6))
    for name in names:
        y = ACTIVATIONS[name](x)
        (g,) = torch.autograd.grad(y.sum(), x)
        axes[0, 0].plot(x.detach(), y.detach(), label=name)
        axes[0, 1].plot(x.detach(), g, label=name)
    axes[0, 0].set(title="激活函数 φ(x)", xlabel="x", ylim=(-1.2, 3))
    axes[0, 1].set(title="导数 φ'(x)", xlabel="x", ylim=(-0.15, 1.15))
    axes[0, 1].axhline(0.25, color="gray", ls=":", lw=1)
    axes[0, 1].annotate("sigmoid 导数最大只有 0.25", (0, 0.25), (1.5, 0.45),
                        arrowprops={"arrowstyle": "->", "color": "gray"})
    axes[0, 0].legend(fontsize=9)
    fig.tight_layout()
    return fig


def init_statistics(init: str, *, activation: str = "tanh", depth: int = 8, width: int = 256,
                    batch: int = 512, seed: int = 0) -> dict:
    """Push a standardised batch through ``depth`` fully connected layers and record, per layer,
    the mean, standard deviation and second moment E[h²] of the activations and the fraction of
    saturated units (|tanh| > 0.99 or sigmoid outside [0.01, 0.99]; for ReLU: exact zeros)."""
    if init not in INITS:
        raise ValueError(f"初始化方式 init 只能是 {INITS} 之一，收到 {init!r}")
    if activation not in ("tanh", "relu", "sigmoid"):
        raise ValueError(f"activation 只能是 'tanh'、'relu' 或 'sigmoid'，收到 {activation!r}")
    if not (isinstance(depth, int) and depth > 0):
        raise ValueError(f"层数 depth 必须是正整数，收到 {depth!r}")
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(batch, width, generator=g)
    std = {"small": 0.01, "large": 1.0, "xavier": math.sqrt(2.0 / (width + width)),
           "he": math.sqrt(2.0 / width)}[init]
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[activation]
    out = {"mean": [], "std": [], "second_moment": [], "saturated": []}
    for _ in range(depth):
        W = torch.randn(width, width, generator=g) * std
        h = act(h @ W)
        out["mean"].append(float(h.mean()))
        out["std"].append(float(h.std()))
        out["second_moment"].append(float((h ** 2).mean()))
        if activation == "tanh":
            sat = (h.abs() > 0.99).float().mean()
        elif activation == "sigmoid":
            sat = ((h < 0.01) | (h > 0.99)).float().mean()
        else:
            sat = (h == 0).float().mean()
        out["saturated"].append(float(sat))
    return out


def plot_init_statistics(activations=("tanh", "relu"), *, depth: int = 8, width: int = 256):
    """Per-layer activation std (log scale) for the four initialisations, one panel per
    activation function."""
    fig, axes = _subplots(1, len(activations), figsize=(5 * len(activations), 3.6))
    layers = np.arange(1, depth + 1)
    for ax, act in zip(axes[0], activations):
        for init, fmt in zip(INITS, ("o-", "s--", "^-.", "d:")):
            stats = init_statistics(init, activation=act, depth=depth, width=width)
            ax.plot(layers, np.maximum(stats["std"], 1e-30), fmt, label=_INIT_LABELS[init])
        ax.set(yscale="log", xlabel="层号", ylabel="激活值的标准差", title=f"{act} 网络")
    axes[0, 0].legend(fontsize=9)
    fig.tight_layout()
    return fig


def mark_coincident(labels, curves, *, atol: float = 5e-4) -> list[str]:
    """Legend labels where every curve that coincides with an earlier one (same length, all
    values within ``atol``) gets "（与 <label> 重合）", so that a reader does not look for a
    missing line."""
    labels, curves = list(labels), [np.asarray(c, dtype=float) for c in curves]
    if len(labels) != len(curves):
        raise ValueError(f"labels 与 curves 的长度不一致：{len(labels)} 对 {len(curves)}")
    out = list(labels)
    for j in range(len(curves)):
        for i in range(j):
            if curves[i].shape == curves[j].shape and np.allclose(curves[i], curves[j], atol=atol,
                                                                   rtol=0):
                out[j] = f"{labels[j]}（与 {labels[i]} 重合）"
                break
    return out


def simulate_running_stats(momentum: float = 0.1, eps: float = 1e-5, batch_size: int = 16, *,
                           steps: int = 100, mean: float = 3.0, std: float = 0.5,
                           seed: int = 0) -> dict:
    """Feed ``steps`` minibatches of N(mean, std²) data through a from-scratch ``BatchNorm``
    (train mode), then normalise a large fresh sample in eval mode with the running statistics."""
    from course_utils.models.batchnorm import BatchNorm

    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 2:
        raise ValueError(f"批量大小 batch_size 至少为 2（训练模式要估计方差），收到 {batch_size!r}")
    g = torch.Generator().manual_seed(seed)
    bn = BatchNorm(1, num_dims=2, eps=eps, momentum=momentum)
    rm, rv, bm = [], [], []
    with torch.no_grad():
        for _ in range(steps):
            X = torch.randn(batch_size, 1, generator=g) * std + mean
            bm.append(float(X.mean()))
            bn(X)
            rm.append(float(bn.running_mean[0]))
            rv.append(float(bn.running_var[0]))
        bn.eval()
        population = torch.randn(5000, 1, generator=g) * std + mean
        normalised = bn(population)[:, 0]
    return {"running_mean": rm, "running_var": rv, "batch_means": bm, "normalised": normalised,
            "true_mean": mean, "true_var": std ** 2}


def draw_running_stats(momentum: float = 0.1, eps: float = 1e-5, batch_size: int = 16):
    """Slider view: running mean / variance over the steps (left, middle) and the eval-mode
    normalised distribution against N(0, 1) (right)."""
    s = simulate_running_stats(momentum, eps, batch_size)
    fig, axes = _subplots(1, 3, figsize=(13, 3.4))
    steps = np.arange(1, len(s["running_mean"]) + 1)
    ax = axes[0, 0]
    ax.plot(steps, s["batch_means"], ".", color="lightgray", label="各批量均值")
    ax.plot(steps, s["running_mean"], label="running_mean")
    ax.axhline(s["true_mean"], color="k", ls="--", lw=1, label="真实均值")
    ax.set(title="运行均值 running_mean", xlabel="训练步数", ylim=(-0.2, s["true_mean"] + 1))
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    ax.plot(steps, s["running_var"], color="C1", label="running_var（初值 1）")
    ax.axhline(s["true_var"], color="k", ls="--", lw=1, label="真实方差")
    ax.set(title="运行方差 running_var", xlabel="训练步数", ylim=(0, 1.3))
    ax.legend(fontsize=8)
    ax = axes[0, 2]
    z = s["normalised"].numpy()
    ax.hist(z, bins=np.linspace(-6, 6, 61), density=True, alpha=0.6, label="评估模式下的归一化结果")
    t = np.linspace(-6, 6, 200)
    ax.plot(t, np.exp(-t ** 2 / 2) / math.sqrt(2 * math.pi), "k--", lw=1, label="N(0, 1)")
    ax.set(title=f"均值 {z.mean():.2f}，标准差 {z.std():.2f}", xlabel=r"$\hat{x}$", ylim=(0, 0.9))
    ax.legend(fontsize=8)
    fig.suptitle(f"momentum={momentum:.3g}, eps={eps:.1e}, batch_size={batch_size}", fontsize=10)
    fig.tight_layout()
    return fig


def collect_preactivations(model: nn.Module, X: torch.Tensor,
                           act_types=(nn.Sigmoid, nn.ReLU)) -> list[torch.Tensor]:
    """Inputs of every activation module of ``model`` for the batch ``X`` (eval mode, no grad),
    flattened, in the order the activations run."""
    found: list[torch.Tensor] = []
    hooks = [m.register_forward_pre_hook(lambda _m, inp: found.append(inp[0].detach().flatten()))
             for m in model.modules() if isinstance(m, act_types)]
    if not hooks:
        raise ValueError("模型 model 中没有找到激活函数层（act_types），无法收集预激活值")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(X)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return found


def plot_preactivation_histograms(models: dict, X: torch.Tensor, *, layer_names=None,
                                  clip: float = 12.0):
    """One panel per activation layer, a histogram per model (e.g. ``{'无 BN': net, '有 BN':
    bn_net}``); the grey band marks where the sigmoid's derivative is below 0.02 (|x| > 4)."""
    if not models:
        raise ValueError("models 不能为空：传入 {名称: 模型}")
    collected = {k: collect_preactivations(m, X) for k, m in models.items()}
    n = min(len(v) for v in collected.values())
    layer_names = layer_names or [f"第 {i + 1} 个激活层的输入" for i in range(n)]
    ncols = min(n, 2)
    nrows = math.ceil(n / ncols)
    fig, axes = _subplots(nrows, ncols, figsize=(5 * ncols, 3.0 * nrows))
    for ax in axes.flat[n:]:
        fig.delaxes(ax)
    bins = np.linspace(-clip, clip, 81)
    for i, ax in enumerate(axes.flat[:n]):
        for label, values in collected.items():
            v = values[i].clamp(-clip, clip).numpy()
            ax.hist(v, bins=bins, density=True, alpha=0.5, label=f"{label}（std {v.std():.2f}）")
        ax.axvspan(4, clip, color="gray", alpha=0.15)
        ax.axvspan(-clip, -4, color="gray", alpha=0.15)
        ax.set(title=layer_names[i], xlabel="预激活值")
        ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def _shape_points() -> np.ndarray:
    """An asymmetric 'F' outline (so that flips and rotations are visible)."""
    return np.array([[0, 0], [0, 3], [2, 3], [2, 2.5], [0.5, 2.5], [0.5, 1.7], [1.5, 1.7],
                     [1.5, 1.2], [0.5, 1.2], [0.5, 0], [0, 0]], dtype=float)


def plot_affine_transforms():
    """The same shape under translation, scaling, flip, rotation, shear and a composition
    x ↦ A x + b; three collinear points show that ratios along a line are preserved."""
    P = _shape_points()
    line = np.array([[0, 0], [1, 1.5], [2, 3.0]])  # collinear, ratio 1 : 1
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    cases = [("原图", np.eye(2), np.zeros(2)),
             ("平移 b=(1, 0.5)", np.eye(2), np.array([1.0, 0.5])),
             ("缩放 diag(1.5, 0.6)", np.diag([1.5, 0.6]), np.zeros(2)),
             ("翻转（关于 y 轴）", np.diag([-1.0, 1.0]), np.zeros(2)),
             ("旋转 30°", np.array([[c, -s], [s, c]]), np.zeros(2)),
             ("剪切 [[1, 0.6], [0, 1]]", np.array([[1, 0.6], [0, 1.0]]), np.zeros(2)),
             ("组合：旋转·缩放 + 平移", np.array([[c, -s], [s, c]]) @ np.diag([1.2, 0.7]),
              np.array([-1.0, 0.5]))]
    ncols = 4
    fig, axes = _subplots(math.ceil(len(cases) / ncols), ncols, figsize=(10, 5.4))
    for ax in axes.flat[len(cases):]:
        fig.delaxes(ax)
    for ax, (title, A, b) in zip(axes.flat, cases):
        ax.plot(P[:, 0], P[:, 1], color="lightgray", lw=1)
        Q, L = P @ A.T + b, line @ A.T + b
        ax.fill(Q[:, 0], Q[:, 1], alpha=0.35, color="C0")
        ax.plot(Q[:, 0], Q[:, 1], color="C0")
        ax.plot(L[:, 0], L[:, 1], "o-", color="C3", ms=3, lw=1)
        ax.set(title=title, xlim=(-3, 4.5), ylim=(-1.5, 4.5), aspect="equal")
        ax.title.set_fontsize(10)
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    return fig
