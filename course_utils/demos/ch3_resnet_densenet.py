"""Notebook helpers for chapter 3: architecture panels, memory estimates, curve comparison.

Result tables are built in the notebook with ``course_utils.tables.table``; the block diagrams
live in :mod:`course_utils.demos.ch3_diagrams`.

Everything here is a plain function returning a matplotlib Figure (or numbers), so the
notebook can call it once for a static figure and wrap it in ``widgets.interactive``.
"""

from __future__ import annotations

import torch
from torch import nn

from course_utils.models.densenets import DenseBlock, densenet
from course_utils.models.resnets import Residual, _Plain, small_resnet
from course_utils.models.summary import count_parameters

RESNET_DEPTHS = (8, 14, 20, 32, 44, 56, 110)


def _fmt_params(n: int) -> str:
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.1f}K"


@torch.no_grad()
def block_trace(model: nn.Sequential, input_shape=(1, 1, 28, 28)) -> list[dict]:
    """Per top-level layer: kind, output shape and parameter count (dense blocks expanded).

    Inside a :class:`DenseBlock` one row per conv block is added, with the channel count after
    its concatenation, so the growth of the channels can be plotted.
    """
    X = torch.zeros(input_shape)
    rows = []
    model = model.eval()
    for layer in model:
        if isinstance(layer, DenseBlock):
            for blk in layer.net:
                X = torch.cat((X, blk(X)), dim=1)
                rows.append({"kind": "dense", "shape": tuple(X.shape[1:]),
                             "params": count_parameters(blk)})
            continue
        X = layer(X)
        kind = ("block" if isinstance(layer, (Residual, _Plain))
                else "transition" if isinstance(layer, nn.Sequential) and
                isinstance(layer[-1], nn.AvgPool2d) else "other")
        rows.append({"kind": kind, "shape": tuple(X.shape[1:]), "params": count_parameters(layer)})
    return rows


def draw_depth_growth(depth: int = 20, growth_rate: int = 12, num_convs: int = 4,
                      width: int = 16):
    """Two panels: a residual stack of ``depth`` layers and a DenseNet with ``growth_rate``.

    Left: parameters of every residual block (colour = stage, label = output shape).
    Right: number of channels after every conv block of a DenseNet with three dense blocks of
    ``num_convs`` convolutions: it climbs by ``growth_rate`` per conv and halves at transitions.
    """
    import matplotlib.pyplot as plt

    if depth not in RESNET_DEPTHS:
        raise ValueError(f"depth 必须是 {RESNET_DEPTHS} 之一（6n+2），收到 {depth!r}")
    res = small_resnet(depth, width=width)
    dn = densenet(growth_rate=growth_rate, block_sizes=(num_convs,) * 3, small_input=True)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))

    rows = [r for r in block_trace(res) if r["kind"] == "block"]
    stage_of = {c: i for i, c in enumerate(sorted({r["shape"][0] for r in rows}))}
    colors = [f"C{stage_of[r['shape'][0]]}" for r in rows]
    ax1.bar(range(1, len(rows) + 1), [r["params"] for r in rows], color=colors)
    seen = set()
    for i, r in enumerate(rows, start=1):
        if r["shape"] not in seen:
            seen.add(r["shape"])
            ax1.annotate("×".join(map(str, r["shape"])), (i, r["params"]), fontsize=8,
                         xytext=(0, 3), textcoords="offset points", ha="left", va="bottom")
    ax1.set_xlabel("残差块序号")
    ax1.set_ylabel("每块参数量")
    ax1.set_ylim(0, max(r["params"] for r in rows) * 1.25)
    ax1.set_title(f"残差网络 {depth} 层：{len(rows)} 个残差块，共 {_fmt_params(count_parameters(res))} 参数",
                  fontsize=10)

    rows = block_trace(dn)
    last_i = max(i for i, r in enumerate(rows) if r["kind"] == "dense")
    rows = rows[:last_i + 1]  # stop at the last dense layer (the head only pools and classifies)
    chans = [1] + [r["shape"][0] for r in rows]
    ax2.step(range(len(chans)), chans, where="post", color="C3", marker=".")
    for i, r in enumerate(rows, start=1):
        if r["kind"] == "transition":
            ax2.axvline(i, color="gray", ls=":", lw=1)
            ax2.annotate("过渡层 " + "×".join(map(str, r["shape"])), (i, r["shape"][0]), fontsize=8,
                         xytext=(2, -12), textcoords="offset points")
    ax2.annotate("×".join(map(str, rows[-1]["shape"])), (len(rows), rows[-1]["shape"][0]),
                 fontsize=8, xytext=(-4, 4), textcoords="offset points", ha="right")
    ax2.set_ylim(0, max(chans) * 1.15)
    ax2.set_xlabel("层序号（0 为输入，其后依次为首层、各卷积块、过渡层）")
    ax2.set_ylabel("输出通道数")
    ax2.set_title(f"稠密连接网络：增长率 k={growth_rate}，每块 {num_convs} 个卷积，共 "
                  f"{_fmt_params(count_parameters(dn))} 参数", fontsize=10)
    fig.tight_layout()
    return fig


def activation_bytes(model: nn.Module, input_shape) -> int:
    """Bytes of float32 outputs of every leaf module for one forward pass of ``input_shape``.

    A rough estimate of the activations training keeps for the backward pass. It misses the
    results of functional calls (``torch.cat``, ``F.relu``) and counts some temporaries autograd
    frees at once; for the chapter's ResNet-18 and DenseNet it comes out 10-15% above what
    autograd actually saves (measured with ``torch.autograd.graph.saved_tensors_hooks``). Parameters, gradients and optimizer state come on top.
    """
    total = 0

    def hook(_m, _inp, out):
        nonlocal total
        if isinstance(out, torch.Tensor):
            total += out.numel() * out.element_size()

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    _forward_once(model, input_shape, handles)
    return total


def conv_macs(model: nn.Module, input_shape) -> int:
    """Multiply-adds of the convolutions and linear layers in one forward pass of ``input_shape``.

    Batch norm, ReLU, pooling and concatenation are not counted (they cost memory traffic,
    not multiplications).
    """
    total = 0

    def hook(m, _inp, out):
        nonlocal total
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1] * m.in_channels // m.groups
            total += out.numel() * k
        elif isinstance(m, nn.Linear):
            total += out.numel() * m.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear))]
    _forward_once(model, input_shape, handles)
    return total


def plot_histories(histories: dict, *, title: str | None = None):
    """Training loss (left) and training accuracy (right) per epoch, one line per run.

    ``histories`` maps a label to a ``course_utils.train.History``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    styles = ["-", "--", "-.", ":"]
    used = {}
    for label, h in histories.items():
        color = "C0" if ("残差" in label or "ResNet" in label) else "C3"
        style = styles[used.get(color, 0) % len(styles)]
        used[color] = used.get(color, 0) + 1
        epochs = range(1, len(h.train_loss) + 1)
        ax1.plot(epochs, h.train_loss, style, color=color, marker="o", ms=3, label=label)
        ax2.plot(epochs, h.train_acc, style, color=color, marker="o", ms=3, label=label)
    for ax in (ax1, ax2):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax1.set_xlabel("轮")
    ax1.set_ylabel("训练损失")
    ax2.set_xlabel("轮")
    ax2.set_ylabel("训练准确率")
    ax1.legend(fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def _forward_once(model: nn.Module, input_shape, handles) -> None:
    """One eval-mode forward pass of zeros (BN statistics untouched); removes ``handles`` after."""
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(input_shape, device=next(model.parameters()).device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
