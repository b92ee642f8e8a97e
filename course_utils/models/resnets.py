"""Residual networks (chapter 3): the residual block, ResNet-18 and plain/residual stacks.

``resnet18`` follows d2l's layout (stem, four stages of two residual blocks, global average
pooling, one linear layer); ``width`` scales every stage and ``small_input=True`` swaps the
7×7/stride-2 stem and max-pool for one 3×3 convolution so 28×28 images keep their resolution.
``plain_cnn`` and ``small_resnet`` build CIFAR-style stacks of the same shape, without and with
shortcuts, for the degradation experiment.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def _check_int(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"参数 {name} 必须是不小于 {minimum} 的整数，收到 {value!r}")
    return value


class Residual(nn.Module):
    """Two 3×3 convolutions with batch norm; the input is added back before the last ReLU.

    ``use_1x1conv=True`` puts a 1×1 convolution (with the same stride) on the shortcut, needed
    whenever the channel count or the resolution changes.
    """

    def __init__(self, in_channels: int, out_channels: int, *, use_1x1conv: bool = False,
                 strides: int = 1):
        super().__init__()
        _check_int(in_channels, "in_channels")
        _check_int(out_channels, "out_channels")
        _check_int(strides, "strides")
        if not use_1x1conv and (in_channels != out_channels or strides != 1):
            why = (f"输入通道 in_channels={in_channels} ≠ 输出通道 out_channels={out_channels}"
                   if in_channels != out_channels else f"步幅 strides={strides} ≠ 1")
            raise ValueError(f"{why}，捷径上的 X 与分支输出形状对不上：请设 use_1x1conv=True")
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1)
        self.conv3 = (nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=strides)
                      if use_1x1conv else None)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3 is not None:
            X = self.conv3(X)
        return F.relu(Y + X)


class _Plain(nn.Module):
    """The residual block without its shortcut (same layers, same parameters)."""

    def __init__(self, in_channels: int, out_channels: int, *, strides: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(X))))))


def resnet_block(in_channels: int, out_channels: int, num_residuals: int, *,
                 first_block: bool = False) -> nn.Sequential:
    """One stage: ``num_residuals`` residual blocks; halves the resolution unless ``first_block``."""
    blk = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.append(Residual(in_channels, out_channels, use_1x1conv=True, strides=2))
        else:
            blk.append(Residual(out_channels, out_channels))
    return nn.Sequential(*blk)


def _stem(in_channels: int, width: int, small_input: bool, stem_stride: int = 1) -> nn.Sequential:
    if small_input:
        _check_int(stem_stride, "stem_stride")
        return nn.Sequential(nn.Conv2d(in_channels, width, kernel_size=3, padding=1,
                                       stride=stem_stride),
                             nn.BatchNorm2d(width), nn.ReLU())
    return nn.Sequential(nn.Conv2d(in_channels, width, kernel_size=7, stride=2, padding=3),
                         nn.BatchNorm2d(width), nn.ReLU(),
                         nn.MaxPool2d(kernel_size=3, stride=2, padding=1))


def _head(channels: int, num_classes: int) -> list[nn.Module]:
    return [nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(channels, num_classes)]


def resnet18(num_classes: int = 10, in_channels: int = 1, width: int = 64,
             small_input: bool = False, stem_stride: int = 1) -> nn.Sequential:
    """ResNet-18 (d2l layout). ``width=64`` gives the standard 64-128-256-512 stages.

    With ``num_classes=10, in_channels=1, width=64`` it has 11,178,378 parameters.
    ``stem_stride`` (only with ``small_input=True``) is the stride of the 3×3 stem; 2 halves
    the resolution once more, which cuts the computation about 4× (useful on a CPU).
    """
    _check_int(num_classes, "num_classes")
    _check_int(in_channels, "in_channels")
    _check_int(width, "width")
    if not small_input and stem_stride != 1:
        raise ValueError("stem_stride 只在 small_input=True（3×3 首层）时可用")
    w = width
    return nn.Sequential(
        _stem(in_channels, w, small_input, stem_stride),
        resnet_block(w, w, 2, first_block=True),
        resnet_block(w, 2 * w, 2),
        resnet_block(2 * w, 4 * w, 2),
        resnet_block(4 * w, 8 * w, 2),
        *_head(8 * w, num_classes))


def _stack(depth: int, residual: bool, num_classes: int, in_channels: int, width: int,
           stages: int, stem_stride: int) -> nn.Sequential:
    _check_int(depth, "depth", minimum=2 * stages + 2)
    _check_int(num_classes, "num_classes")
    _check_int(in_channels, "in_channels")
    _check_int(width, "width")
    _check_int(stages, "stages")
    if (depth - 2) % (2 * stages):
        raise ValueError(f"深度 depth 必须形如 {2 * stages}·n + 2（每个阶段 n 个两层的块，"
                         f"另加首层卷积和输出层），收到 depth={depth!r}")
    n = (depth - 2) // (2 * stages)
    layers: list[nn.Module] = [_stem(in_channels, width, True, stem_stride)]
    c = width
    for s in range(stages):
        out = width * 2 ** s
        for i in range(n):
            strides = 2 if (s > 0 and i == 0) else 1
            if residual:
                layers.append(Residual(c, out, use_1x1conv=(c != out or strides != 1),
                                       strides=strides))
            else:
                layers.append(_Plain(c, out, strides=strides))
            c = out
    return nn.Sequential(*layers, *_head(c, num_classes))


def plain_cnn(depth: int, num_classes: int = 10, in_channels: int = 1, width: int = 16,
              stages: int = 3, stem_stride: int = 1) -> nn.Sequential:
    """A plain CNN of ``depth`` weight layers (conv-BN-ReLU only, no shortcuts).

    Same shape as :func:`small_resnet`: a 3×3 stem, ``stages`` stages of ``n`` two-conv blocks
    (widths ``width · 2^s``, each later stage halving the resolution), global average pooling and
    a linear layer, so ``depth = 2·stages·n + 2``. The stem is a 3×3 convolution with stride
    ``stem_stride`` (1 keeps 28×28 inputs at full resolution).
    """
    return _stack(depth, False, num_classes, in_channels, width, stages, stem_stride)


def small_resnet(depth: int, num_classes: int = 10, in_channels: int = 1, width: int = 16,
                 stages: int = 3, stem_stride: int = 1) -> nn.Sequential:
    """The residual twin of :func:`plain_cnn` (same layers plus shortcuts)."""
    return _stack(depth, True, num_classes, in_channels, width, stages, stem_stride)
