"""Chapter 3 block diagrams: the residual block, the dense block and a network's stage layout.

Each function returns a matplotlib Figure drawn with boxes and arrows (Chinese labels). The stage
layout is not drawn from a hand-written list: it runs the model once on zeros (eval mode, no
gradients, the mode restored) and reads every stage's output shape and parameter count.
"""

from __future__ import annotations

import torch
from torch import nn

from course_utils.models.summary import count_parameters

_BLUE, _GREEN, _ORANGE, _GREY = "#cfe2f3", "#d9ead3", "#fce5cd", "#eeeeee"


def _box(ax, x, y, text, *, w=1.9, h=0.55, fc=_BLUE, fontsize=9):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02",
                                fc=fc, ec="black", lw=0.8, zorder=3))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=4)


def _arrow(ax, start, end, **kw):
    ax.annotate("", xy=end, xytext=start,
                arrowprops=dict(arrowstyle="-|>", color=kw.get("color", "black"), lw=1,
                                shrinkA=0, shrinkB=0))


def _residual_panel(ax, with_1x1: bool):
    from matplotlib.patches import Circle

    h = 0.55
    layers = [("3×3 卷积层", _BLUE), ("批量归一化层", _GREEN), ("ReLU", _ORANGE),
              ("3×3 卷积层", _BLUE), ("批量归一化层", _GREEN)]
    ax.text(0, 0, "输入 $\\mathbf{x}$", ha="center", va="center", fontsize=10)
    _arrow(ax, (0, 0.25), (0, 1 - h / 2))
    for i, (name, fc) in enumerate(layers, start=1):
        _box(ax, 0, i, name if i != 1 or not with_1x1 else "3×3 卷积层（步幅 s）", fc=fc)
        _arrow(ax, (0, i + h / 2), (0, i + 1 - (h / 2 if i < len(layers) else 0.22)))
    y_add = len(layers) + 1
    ax.add_patch(Circle((0, y_add), 0.22, fc="white", ec="black", lw=1))
    ax.text(0, y_add, "+", ha="center", va="center", fontsize=13)
    _arrow(ax, (0, y_add + 0.22), (0, y_add + 1 - h / 2))
    _box(ax, 0, y_add + 1, "ReLU", fc=_ORANGE)
    _arrow(ax, (0, y_add + 1 + h / 2), (0, y_add + 1.75))
    ax.text(0, y_add + 1.95, "输出 $f(\\mathbf{x})$", ha="center", va="center", fontsize=10)
    # the shortcut: right from the input, up, and back into the addition
    xs = 1.9
    ax.plot([0.35, xs, xs], [0.45, 0.45, 2.6 if with_1x1 else y_add], color="C3", lw=1.2)
    if with_1x1:
        _box(ax, xs, 3, "1×1 卷积层\n（步幅 s）", w=1.3, h=0.8, fc=_BLUE)
        ax.plot([xs, xs], [3 + 0.4, y_add], color="C3", lw=1.2)
    _arrow(ax, (xs, y_add), (0.22, y_add), color="C3")
    ax.text(xs + 0.1, 1.5, "捷径", color="C3", fontsize=9, ha="left")
    ax.annotate("", xy=(-1.15, 0.7), xytext=(-1.15, 5.3),
                arrowprops=dict(arrowstyle="-", color="gray", lw=1))
    ax.text(-1.25, 3, "残差分支\n$g(\\mathbf{x})$", ha="right", va="center", fontsize=9, color="gray")
    ax.set_xlim(-2.3, 3.0)
    ax.set_ylim(-0.4, y_add + 2.3)
    ax.set_aspect("equal")
    ax.axis("off")


def draw_residual_blocks():
    """The residual block with an identity shortcut (left) and with a 1×1 convolution (right)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 6.2))
    _residual_panel(axes[0], with_1x1=False)
    _residual_panel(axes[1], with_1x1=True)
    axes[0].set_title("(a) 恒等捷径：输入输出形状相同", fontsize=10)
    axes[1].set_title("(b) 1×1 卷积捷径：改变通道数或高宽", fontsize=10)
    fig.tight_layout()
    return fig


def draw_dense_block(num_convs: int = 3, in_channels: int = 64, growth_rate: int = 32):
    """A dense block as stacks of channels: every conv block adds ``growth_rate`` channels.

    Column j is the tensor after j conv blocks: the input's channels (grey) with the outputs of
    the conv blocks concatenated on top, labelled with the channel count.
    """
    import matplotlib.pyplot as plt

    for name, v in (("num_convs", num_convs), ("in_channels", in_channels),
                    ("growth_rate", growth_rate)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"参数 {name} 必须是正整数，收到 {v!r}")
    fig, ax = plt.subplots(figsize=(2.6 * (num_convs + 1), 4.2))
    total = in_channels + num_convs * growth_rate
    scale = 3.0 / total
    colors = [f"C{i}" for i in range(num_convs)]
    for j in range(num_convs + 1):
        x = 2.6 * j
        ax.add_patch(plt.Rectangle((x, 0), 0.8, in_channels * scale, fc=_GREY, ec="black", lw=0.8))
        ax.text(x + 0.4, in_channels * scale / 2, "$\\mathbf{x}$", ha="center", va="center")
        y = in_channels * scale
        for i in range(j):
            ax.add_patch(plt.Rectangle((x, y), 0.8, growth_rate * scale, fc=colors[i], alpha=0.6,
                                       ec="black", lw=0.8))
            ax.text(x + 0.4, y + growth_rate * scale / 2, f"$f_{i + 1}$", ha="center", va="center")
            y += growth_rate * scale
        ax.text(x + 0.4, y + 0.12, f"{in_channels + j * growth_rate} 通道", ha="center",
                va="bottom", fontsize=9)
        if j < num_convs:
            _arrow(ax, (x + 0.9, 1.0), (x + 2.5, 1.0))
            ax.text(x + 1.7, 1.1, f"卷积块 {j + 1}\nBN→ReLU→3×3 卷积", ha="center", va="bottom",
                    fontsize=8)
            ax.text(x + 1.7, 0.9, f"输出 k={growth_rate} 通道\n与输入拼接", ha="center", va="top",
                    fontsize=8)
    ax.set_xlim(-0.3, 2.6 * num_convs + 1.1)
    ax.set_ylim(-0.5, 3.7)
    ax.axis("off")
    ax.set_title(f"稠密块：{num_convs} 个卷积块，增长率 k={growth_rate}；输出通道 "
                 f"{in_channels} + {num_convs}×{growth_rate} = {total}", fontsize=10)
    fig.tight_layout()
    return fig


def _stage_name(layer: nn.Module, counts: dict) -> str | None:
    """Chinese name of a top-level child that starts a new box, or None for head layers."""
    kind = type(layer).__name__
    if kind == "DenseBlock":
        counts["dense"] = counts.get("dense", 0) + 1
        return f"稠密块 {counts['dense']}\n（{len(layer.net)} 个卷积块）"
    if isinstance(layer, nn.Sequential) and len(layer) and \
            all(type(m).__name__ == "Residual" for m in layer):
        counts["stage"] = counts.get("stage", 0) + 1
        return f"阶段 {counts['stage']}\n（{len(layer)} 个残差块）"
    if isinstance(layer, nn.Sequential) and len(layer) and isinstance(layer[-1], nn.AvgPool2d):
        return "过渡层"
    return None


_HEAD_NAMES = {"BatchNorm2d": "BN", "ReLU": "ReLU", "AdaptiveAvgPool2d": "全局平均汇聚",
               "Linear": "全连接层"}


@torch.no_grad()
def stage_rows(model: nn.Sequential, input_shape=(1, 1, 96, 96)) -> list[dict]:
    """One row per box of the stage layout: name, output shape (C, H, W) or (C,), parameters.

    The first child is the stem (首层); residual stages, dense blocks and transition layers get a
    box each; everything after the last of them is merged into one 输出部分 box.
    """
    if not isinstance(model, nn.Sequential) or len(model) < 2:
        raise ValueError("参数 model 必须是至少含两个子模块的 nn.Sequential（首层、各阶段、输出部分）")
    was_training = model.training
    model.eval()
    X = torch.zeros(input_shape, device=next(model.parameters()).device)
    rows, counts, head = [], {}, []
    try:
        for i, layer in enumerate(model):
            X = layer(X)
            name = "首层" if i == 0 else _stage_name(layer, counts)
            if name is None:
                head.append(_HEAD_NAMES.get(type(layer).__name__))
                if rows[-1]["name"].startswith("输出"):
                    rows[-1].update(shape=tuple(X.shape[1:]),
                                    params=rows[-1]["params"] + count_parameters(layer))
                    continue
                name = "输出"
            rows.append({"name": name, "shape": tuple(X.shape[1:]), "params": count_parameters(layer)})
    finally:
        model.train(was_training)
    if rows[-1]["name"] == "输出":
        rows[-1]["name"] = "输出部分\n" + "\n".join(h for h in head if h)
    return rows


def draw_stage_layout(model: nn.Sequential, input_shape=(1, 1, 96, 96), *, title: str = ""):
    """Boxes left to right, one per stage; the box height follows the feature map's side."""
    import matplotlib.pyplot as plt

    rows = stage_rows(model, input_shape)
    max_side = max(r["shape"][1] for r in rows if len(r["shape"]) == 3)
    fig, ax = plt.subplots(figsize=(1.25 * (len(rows) + 1), 3.6))
    fills = {"首": _ORANGE, "阶": _BLUE, "稠": _BLUE, "过": _GREEN, "输": _GREY}
    ax.text(0, 0, f"输入\n{'×'.join(map(str, input_shape[1:]))}", ha="center", va="center",
            fontsize=8)
    for j, r in enumerate(rows, start=1):
        x = 1.55 * j
        side = r["shape"][1] if len(r["shape"]) == 3 else 0
        h = 0.25 + 1.5 * side / max_side
        _box(ax, x, 0, "", w=1.2, h=h, fc=fills[r["name"][0]])
        _arrow(ax, (x - 1.55 + (0.5 if j == 1 else 0.62), 0), (x - 0.62, 0))
        ax.text(x, 1.0, r["name"], ha="center", va="bottom", fontsize=8)
        shape = "×".join(map(str, r["shape"]))
        ax.text(x, -1.0, f"{shape}\n{r['params']:,} 参数", ha="center", va="top", fontsize=8)
    ax.set_xlim(-0.7, 1.55 * len(rows) + 0.8)
    ax.set_ylim(-1.8, 2.1)
    ax.axis("off")
    total = count_parameters(model)
    ax.set_title(f"{title}：各阶段的输出形状（通道×高×宽）与参数量，框高随特征图边长变化；"
                 f"共 {total:,} 个参数", fontsize=9)
    fig.tight_layout()
    return fig
