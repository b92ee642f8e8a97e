"""Batch normalization from scratch (chapter 2).

``batch_norm`` is the functional transform, ``BatchNorm`` the module around it. Both follow
PyTorch's conventions so that ``BatchNorm`` is a drop-in replacement for ``nn.BatchNorm1d`` (2-D
input) and ``nn.BatchNorm2d`` (4-D input):

* ``momentum`` is the weight of the NEW batch statistic:
  ``running = (1 - momentum) * running + momentum * batch`` (PyTorch's 0.1 is d2l's 0.9 of the old);
* normalisation uses the biased batch variance (divide by m), while the running variance is
  updated with the unbiased one (divide by m - 1), the m/(m-1) factor of Ioffe & Szegedy (2015);
* the running mean starts at zero and the running variance at ONE.

``batch_norm_backward`` is the hand-derived backward pass and ``BatchNormFunction`` wraps forward
and backward in a ``torch.autograd.Function`` so that ``torch.autograd.gradcheck`` can test it.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["batch_norm", "BatchNorm", "batch_norm_backward", "BatchNormFunction"]


def _check_input(X: torch.Tensor, num_dims: int | None = None) -> None:
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"输入 X 必须是 torch.Tensor，收到 {type(X).__name__}")
    allowed = (2, 4) if num_dims is None else (num_dims,)
    if X.ndim not in allowed:
        shape = "(N, C)" if allowed == (2,) else "(N, C, H, W)" if allowed == (4,) else \
            "(N, C) 或 (N, C, H, W)"
        want = "2 或 4" if num_dims is None else str(num_dims)
        raise ValueError(f"批量归一化的输入 X 应为 {want} 维 {shape}，收到 {X.ndim} 维输入，"
                         f"形状 {tuple(X.shape)}（参数 X / num_dims）")


def _stat_shape(X: torch.Tensor) -> tuple[int, ...]:
    """Shape that broadcasts a per-channel vector against X: (1, C) or (1, C, 1, 1)."""
    return (1, X.shape[1]) if X.ndim == 2 else (1, X.shape[1], 1, 1)


def batch_norm(X, gamma, beta, running_mean, running_var, *, eps=1e-5, momentum=0.1,
               training=True):
    """Batch-normalise ``X`` and return ``(Y, new_running_mean, new_running_var)``.

    Parameters
    ----------
    X: (N, C) for fully connected layers (statistics per feature over N) or (N, C, H, W) for
        convolutions (statistics per channel over N, H and W).
    gamma, beta: scale and shift, shape (C,).
    running_mean, running_var: population estimates, shape (C,); not modified in place.
    eps: added to the variance before the square root.
    momentum: weight of the current batch in the moving averages (PyTorch convention).
    training: True normalises with the batch statistics and updates the moving averages;
        False normalises with ``running_mean``/``running_var`` and returns them unchanged.
    """
    _check_input(X)
    shape = _stat_shape(X)
    if not training:
        X_hat = (X - running_mean.reshape(shape)) / torch.sqrt(running_var.reshape(shape) + eps)
        return gamma.reshape(shape) * X_hat + beta.reshape(shape), running_mean, running_var
    dims = (0,) if X.ndim == 2 else (0, 2, 3)
    m = X.numel() // X.shape[1]  # values per channel that share one mean/variance
    if m < 2:
        raise ValueError(f"训练模式下每个通道至少需要 2 个值才能估计方差，当前输入形状 {tuple(X.shape)} "
                         "只有 1 个（批量大小 batch_size=1 的全连接层）。请增大批量或改用 eval 模式。")
    mean = X.mean(dim=dims, keepdim=True)
    var = ((X - mean) ** 2).mean(dim=dims, keepdim=True)  # biased: divide by m
    X_hat = (X - mean) / torch.sqrt(var + eps)
    Y = gamma.reshape(shape) * X_hat + beta.reshape(shape)
    with torch.no_grad():
        unbiased = var.reshape(-1) * (m / (m - 1))
        new_mean = (1 - momentum) * running_mean + momentum * mean.reshape(-1)
        new_var = (1 - momentum) * running_var + momentum * unbiased
    return Y, new_mean, new_var


class BatchNorm(nn.Module):
    """Batch normalization for (N, C) input (``num_dims=2``) or (N, C, H, W) (``num_dims=4``).

    Parameters ``gamma`` (ones) and ``beta`` (zeros); buffers ``running_mean`` (zeros) and
    ``running_var`` (ones), so ``.to(device)`` and ``state_dict()`` carry them.
    """

    def __init__(self, num_features: int, num_dims: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features <= 0:
            raise ValueError(f"特征/通道数 num_features 必须是正整数，收到 {num_features!r}")
        if num_dims not in (2, 4):
            raise ValueError(f"num_dims 只能是 2（全连接层 (N, C)）或 4（卷积层 (N, C, H, W)），"
                             f"收到 {num_dims!r}")
        if not eps > 0:
            raise ValueError(f"eps 必须为正数，收到 {eps!r}")
        if not 0 <= momentum <= 1:
            raise ValueError(f"momentum 必须在 [0, 1] 内（PyTorch 约定：新批量统计量的权重），收到 {momentum!r}")
        self.num_features, self.num_dims = num_features, num_dims
        self.eps, self.momentum = float(eps), float(momentum)
        self.gamma = nn.Parameter(torch.ones(num_features))
        self.beta = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        _check_input(X, self.num_dims)
        if X.shape[1] != self.num_features:
            raise ValueError(f"输入的通道数 X.shape[1]={X.shape[1]} 与 num_features="
                             f"{self.num_features} 不一致")
        Y, new_mean, new_var = batch_norm(
            X, self.gamma, self.beta, self.running_mean, self.running_var,
            eps=self.eps, momentum=self.momentum, training=self.training)
        if self.training:
            self.running_mean.copy_(new_mean)
            self.running_var.copy_(new_var)
        return Y

    def reset_running_stats(self) -> None:
        self.running_mean.zero_()
        self.running_var.fill_(1.0)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, num_dims={self.num_dims}, eps={self.eps:g}, "
                f"momentum={self.momentum:g}")


def batch_norm_backward(dY, X, gamma, eps=1e-5):
    """Hand-derived gradients of training-mode batch norm: returns ``(dX, dgamma, dbeta)``.

    With x̂ = (x − μ)/σ, σ = sqrt(var + eps) and m values per channel:
    dβ = Σ dY, dγ = Σ dY·x̂, dX = γ/σ · (dY − mean(dY) − x̂ · mean(dY·x̂)).
    """
    _check_input(X)
    dims = (0,) if X.ndim == 2 else (0, 2, 3)
    shape = _stat_shape(X)
    mean = X.mean(dim=dims, keepdim=True)
    sigma = torch.sqrt(((X - mean) ** 2).mean(dim=dims, keepdim=True) + eps)
    X_hat = (X - mean) / sigma
    dbeta = dY.sum(dim=dims)
    dgamma = (dY * X_hat).sum(dim=dims)
    dX = gamma.reshape(shape) / sigma * (
        dY - dY.mean(dim=dims, keepdim=True) - X_hat * (dY * X_hat).mean(dim=dims, keepdim=True))
    return dX, dgamma, dbeta


class BatchNormFunction(torch.autograd.Function):
    """Training-mode batch norm with the hand-written backward (no running statistics)."""

    @staticmethod
    def forward(ctx, X, gamma, beta, eps=1e-5):
        ctx.save_for_backward(X, gamma)
        ctx.eps = eps
        ones = torch.ones_like(gamma)
        Y, _, _ = batch_norm(X, gamma, beta, torch.zeros_like(gamma), ones, eps=eps,
                             momentum=0.0, training=True)
        return Y

    @staticmethod
    def backward(ctx, dY):
        X, gamma = ctx.saved_tensors
        dX, dgamma, dbeta = batch_norm_backward(dY, X, gamma, ctx.eps)
        return dX, dgamma, dbeta, None
