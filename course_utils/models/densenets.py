"""DenseNet (chapter 3): BN-ReLU-Conv blocks, dense blocks, transition layers, the full model."""

from __future__ import annotations

import torch
from torch import nn

from course_utils.models.resnets import _check_int


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """Batch norm, ReLU, then a 3×3 convolution (padding 1: the resolution is kept)."""
    _check_int(in_channels, "in_channels")
    _check_int(out_channels, "out_channels")
    return nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU(),
                         nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))


class DenseBlock(nn.Module):
    """``num_convs`` conv blocks; each one's output is concatenated to its input on channels.

    The output has ``in_channels + num_convs * growth_rate`` channels (``self.out_channels``).
    """

    def __init__(self, num_convs: int, in_channels: int, growth_rate: int):
        super().__init__()
        _check_int(num_convs, "num_convs")
        _check_int(in_channels, "in_channels")
        _check_int(growth_rate, "growth_rate")
        self.net = nn.Sequential(*[conv_block(in_channels + i * growth_rate, growth_rate)
                                   for i in range(num_convs)])
        self.out_channels = in_channels + num_convs * growth_rate

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        for blk in self.net:
            X = torch.cat((X, blk(X)), dim=1)
        return X


def transition_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """BN, ReLU, a 1×1 convolution to ``out_channels``, then 2×2 average pooling (stride 2)."""
    _check_int(in_channels, "in_channels")
    _check_int(out_channels, "out_channels")
    return nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU(),
                         nn.Conv2d(in_channels, out_channels, kernel_size=1),
                         nn.AvgPool2d(kernel_size=2, stride=2))


def densenet(num_classes: int = 10, in_channels: int = 1, growth_rate: int = 32,
             block_sizes=(4, 4, 4, 4), small_input: bool = False,
             stem_channels: int | None = None, stem_stride: int = 1) -> nn.Sequential:
    """DenseNet (d2l layout): stem, dense blocks separated by channel-halving transition layers,
    then BN-ReLU, global average pooling and a linear layer.

    ``stem_channels`` defaults to ``2 * growth_rate`` (64 for the d2l growth rate 32).
    ``small_input=True`` uses a 3×3 stem without max-pool (for 28×28 images); its stride is
    ``stem_stride`` (2 halves the resolution once, about 4× less computation).
    """
    _check_int(num_classes, "num_classes")
    _check_int(in_channels, "in_channels")
    _check_int(growth_rate, "growth_rate")
    block_sizes = tuple(block_sizes)
    if not block_sizes or any(isinstance(b, bool) or not isinstance(b, int) or b < 1
                              for b in block_sizes):
        raise ValueError(f"block_sizes 必须是正整数组成的非空序列，收到 {block_sizes!r}")
    if not small_input and stem_stride != 1:
        raise ValueError("stem_stride 只在 small_input=True（3×3 首层）时可用")
    c = 2 * growth_rate if stem_channels is None else _check_int(stem_channels, "stem_channels")
    if small_input:
        _check_int(stem_stride, "stem_stride")
        stem = nn.Sequential(nn.Conv2d(in_channels, c, kernel_size=3, padding=1, stride=stem_stride))
    else:
        stem = nn.Sequential(nn.Conv2d(in_channels, c, kernel_size=7, stride=2, padding=3),
                             nn.BatchNorm2d(c), nn.ReLU(),
                             nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    layers: list[nn.Module] = [stem]
    for i, num_convs in enumerate(block_sizes):
        blk = DenseBlock(num_convs, c, growth_rate)
        layers.append(blk)
        c = blk.out_channels
        if i != len(block_sizes) - 1:
            layers.append(transition_block(c, c // 2))
            c = c // 2
    layers += [nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
               nn.Linear(c, num_classes)]
    return nn.Sequential(*layers)
