"""Small CNNs for 28×28 Fashion-MNIST: LeNet-5 with optional batch normalization (chapter 2) and
the small BN-CNN of chapter 1 (``small_bn_cnn``, cheap enough for LR experiments on a CPU).

``lenet`` builds the same architecture with and without BN (padding 2 on the first convolution, average pooling),
so that an experiment changes only the normalisation: BN goes after each convolution / linear
layer and before the activation.
"""

from __future__ import annotations

from torch import nn

from course_utils.models.batchnorm import BatchNorm

__all__ = ["lenet", "small_bn_cnn"]

_ACTIVATIONS = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}
_BN_IMPLS = ("scratch", "torch")


def _bn(num_features: int, num_dims: int, impl: str) -> nn.Module:
    if impl == "scratch":
        return BatchNorm(num_features, num_dims=num_dims)
    return nn.BatchNorm2d(num_features) if num_dims == 4 else nn.BatchNorm1d(num_features)


def lenet(*, batch_norm: bool = False, activation: str = "sigmoid", bn_impl: str = "scratch",
          num_classes: int = 10, xavier: bool = True) -> nn.Sequential:
    """LeNet-5 for (N, 1, 28, 28) input.

    Parameters
    ----------
    batch_norm: insert batch normalization after every conv/linear layer except the last.
    activation: ``'sigmoid'`` (the classic LeNet) or ``'relu'``.
    bn_impl: ``'scratch'`` (``course_utils.models.BatchNorm``) or ``'torch'``
        (``nn.BatchNorm1d``/``nn.BatchNorm2d``); only used when ``batch_norm=True``.
    num_classes: size of the output layer.
    xavier: initialise conv/linear weights with Xavier-uniform (as d2l does), biases with zero.
    """
    if activation not in _ACTIVATIONS:
        raise ValueError(f"激活函数 activation 只能是 {sorted(_ACTIVATIONS)} 之一，收到 {activation!r}")
    if bn_impl not in _BN_IMPLS:
        raise ValueError(f"bn_impl 只能是 'scratch'（从零实现）或 'torch'（nn.BatchNorm），收到 {bn_impl!r}")
    if not isinstance(batch_norm, bool):
        raise ValueError(f"batch_norm 必须是 True 或 False，收到 {batch_norm!r}")
    act = _ACTIVATIONS[activation]

    def block(layer: nn.Module, num_features: int, num_dims: int) -> list[nn.Module]:
        bn = [_bn(num_features, num_dims, bn_impl)] if batch_norm else []
        return [layer, *bn, act()]

    net = nn.Sequential(
        *block(nn.Conv2d(1, 6, kernel_size=5, padding=2), 6, 4),
        nn.AvgPool2d(kernel_size=2, stride=2),
        *block(nn.Conv2d(6, 16, kernel_size=5), 16, 4),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        *block(nn.Linear(16 * 5 * 5, 120), 120, 2),
        *block(nn.Linear(120, 84), 84, 2),
        nn.Linear(84, num_classes),
    )
    if xavier:
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
    return net


def small_bn_cnn(num_classes: int = 10, *, width: int = 16) -> nn.Sequential:
    """A small CNN with batch norm for 1×28×28 inputs (two stride-2 convolutions, cheap on CPU)."""
    if isinstance(width, bool) or not isinstance(width, int) or width <= 0:
        raise ValueError(f"width 必须是正整数，收到 {width!r}")
    w = width
    return nn.Sequential(
        nn.Conv2d(1, w, 3, stride=2, padding=1), nn.BatchNorm2d(w), nn.ReLU(),       # 14×14
        nn.Conv2d(w, 2 * w, 3, stride=2, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(),  # 7×7
        nn.Flatten(), nn.Linear(2 * w * 7 * 7, num_classes))
