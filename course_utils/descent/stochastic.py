"""Stochastic gradient descent (chapter 5): noisy-gradient traces on a 2-D quadratic and
minibatch SGD for linear regression, from scratch and with ``torch.optim``.

The 2-D part follows d2l §12.4 (Chinese edition §11.4): the objective ``f(x1, x2) = x1² + 2·x2²``
and a gradient with added Gaussian noise, stepped with a learning rate ``eta · lr_fn(t)`` where
``t = 1, 2, …`` is the update number. The minibatch part follows d2l §12.5 / §11.5 (``sgd``,
``train_ch11``, ``train_concise_ch11``) with two changes that make runs reproducible and
comparable: the weights are initialised from a seeded generator, and the loss curve is evaluated on
the full data tensors (evaluating by iterating a shuffling loader would consume its random state
and change the next epoch's batches).
"""

from __future__ import annotations

import math
import time
from typing import NamedTuple

import numpy as np
import torch

# The objective x1² + 2·x2² and its gradient are chapter 4's; re-exported here under the names
# this chapter uses.
from course_utils.descent.gradient import f_2d
from course_utils.descent.gradient import grad_2d as f_2d_grad

__all__ = ["f_2d", "f_2d_grad", "constant_lr", "exponential_lr", "polynomial_lr", "LR_FUNCTIONS",
           "gradient_noise", "sgd_trace_2d", "final_points_2d", "mean_distance_2d", "sgd", "squared_loss",
           "LossCurve", "TrainResult", "init_linreg", "train_minibatch", "train_concise"]

# ---------------------------------------------------------------------------------------------
# Noisy gradients on f(x1, x2) = x1² + 2·x2²
# ---------------------------------------------------------------------------------------------


def constant_lr(t):
    """Learning-rate factor 1 at every step."""
    return 1.0


def exponential_lr(t):
    """Learning-rate factor ``exp(-0.1·t)``."""
    return math.exp(-0.1 * t)


def polynomial_lr(t):
    """Learning-rate factor ``(1 + 0.1·t)^(-1/2)``."""
    return (1 + 0.1 * t) ** (-0.5)


LR_FUNCTIONS = {"constant": constant_lr, "exponential": exponential_lr,
                "polynomial": polynomial_lr}


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} 必须是正整数，收到 {value!r}")
    return int(value)


def _resolve_lr_fn(lr_fn):
    if isinstance(lr_fn, str):
        if lr_fn not in LR_FUNCTIONS:
            raise ValueError(f"未知的学习率函数 lr_fn={lr_fn!r}：可选 {sorted(LR_FUNCTIONS)} 或一个函数 t -> 系数")
        return LR_FUNCTIONS[lr_fn]
    if not callable(lr_fn):
        raise TypeError(f"lr_fn 必须是函数 t -> 系数 或名称字符串，收到 {lr_fn!r}")
    return lr_fn


def gradient_noise(steps: int, *, mean: float = 0.0, std: float = 1.0, seed: int = 0) -> np.ndarray:
    """The ``(steps, 2)`` Gaussian noise added to the gradient, drawn from a seeded generator.

    ``mean`` must be 0 for an unbiased gradient; ``np.random.normal(0.1)`` is the classic bug —
    its first positional argument is the *mean* (``loc``), not the standard deviation.
    """
    steps = _positive_int(steps, "steps")
    if not std >= 0:
        raise ValueError(f"噪声标准差 std 必须非负，收到 {std!r}")
    return np.random.default_rng(seed).normal(mean, std, size=(steps, 2))


def sgd_trace_2d(lr_fn="constant", *, eta: float = 0.1, steps: int = 50, x0=(-5.0, -2.0),
                 noise_mean: float = 0.0, noise_std: float = 1.0, seed: int = 0,
                 grad=f_2d_grad) -> np.ndarray:
    """Run SGD with noisy gradients on ``x1² + 2·x2²``; returns the ``(steps + 1, 2)`` trace.

    Step ``t`` (``t = 1, …, steps``) is ``x ← x − eta · lr_fn(t) · (∇f(x) + ε_t)`` with
    ``ε_t ~ N(noise_mean, noise_std²)`` per coordinate. ``lr_fn`` is a function of ``t`` or one of
    ``'constant'``, ``'exponential'``, ``'polynomial'``.
    """
    lr_fn = _resolve_lr_fn(lr_fn)
    if not eta > 0:
        raise ValueError(f"学习率 eta 必须为正数，收到 {eta!r}")
    noise = gradient_noise(steps, mean=noise_mean, std=noise_std, seed=seed)
    x1, x2 = float(x0[0]), float(x0[1])
    trace = [(x1, x2)]
    for t in range(1, len(noise) + 1):
        g1, g2 = grad(x1, x2)
        eta_t = eta * lr_fn(t)
        x1, x2 = x1 - eta_t * (g1 + noise[t - 1, 0]), x2 - eta_t * (g2 + noise[t - 1, 1])
        trace.append((x1, x2))
    return np.asarray(trace)


def final_points_2d(lr_fn="constant", *, num_runs: int = 200, seed: int = 0, **kwargs) -> np.ndarray:
    """Final points ``(num_runs, 2)`` of :func:`sgd_trace_2d` over seeds ``seed, seed+1, …``."""
    num_runs = _positive_int(num_runs, "num_runs")
    return np.stack([sgd_trace_2d(lr_fn, seed=seed + i, **kwargs)[-1] for i in range(num_runs)])


def mean_distance_2d(lr_fn, checkpoints, *, eta: float = 0.1, num_runs: int = 200,
                     x0=(-5.0, -2.0), seed: int = 0) -> np.ndarray:
    """Mean distance ``E‖x_T − x*‖`` to the minimum (the origin) after ``T`` noisy SGD steps, for
    each ``T`` in ``checkpoints``, over ``num_runs`` runs advanced together (vectorised).

    Same update as :func:`sgd_trace_2d` (``ε_t ~ N(0, I)``, step ``t`` uses ``eta · lr_fn(t)``);
    the noise of all runs comes from one seeded generator, so single runs differ from
    :func:`sgd_trace_2d`'s, not their statistics.
    """
    lr_fn = _resolve_lr_fn(lr_fn)
    num_runs = _positive_int(num_runs, "num_runs")
    marks = sorted({_positive_int(int(T), "checkpoints 中的步数") for T in checkpoints})
    if not eta > 0:
        raise ValueError(f"学习率 eta 必须为正数，收到 {eta!r}")
    rng = np.random.default_rng(seed)
    x = np.tile(np.asarray(x0, dtype=float), (num_runs, 1))
    curvature = np.array([2.0, 4.0])  # ∇f(x) = (2·x1, 4·x2)
    out, k = [], 0
    for t in range(1, marks[-1] + 1):
        x -= eta * lr_fn(t) * (curvature * x + rng.standard_normal(x.shape))
        if t == marks[k]:
            out.append(np.linalg.norm(x, axis=1).mean())
            k += 1
    means = dict(zip(marks, out, strict=True))
    return np.array([means[int(T)] for T in checkpoints])


# ---------------------------------------------------------------------------------------------
# Minibatch SGD for linear regression (airfoil)
# ---------------------------------------------------------------------------------------------


def _check_lr(hyperparams):
    if not isinstance(hyperparams, dict) or "lr" not in hyperparams:
        raise ValueError(f"超参数 hyperparams 必须是含 'lr' 的字典，收到 {hyperparams!r}")
    lr = hyperparams["lr"]
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0:
        raise ValueError(f"学习率 hyperparams['lr'] 必须为正数，收到 {lr!r}")
    return float(lr)


def sgd(params, states, hyperparams) -> None:
    """One minibatch SGD step in place: ``p ← p − lr · p.grad``, then zero the gradients.

    ``states`` is unused (plain SGD keeps no state); the signature is shared with the optimisers of
    later d2l chapters (momentum, Adam, …).
    """
    lr = _check_lr(hyperparams)
    with torch.no_grad():
        for p in params:
            p.sub_(lr * p.grad)
            p.grad.zero_()


def squared_loss(y_hat, y):
    """Per-example squared loss ``(ŷ − y)² / 2`` (as in d2l)."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


class LossCurve(NamedTuple):
    """Full-data loss sampled every ``every`` examples (plus at the start and the end): at
    ``epochs`` (fractional), after ``times`` seconds of training (evaluation time excluded) and
    ``updates`` parameter updates."""
    epochs: np.ndarray
    times: np.ndarray
    losses: np.ndarray
    updates: np.ndarray


class TrainResult(NamedTuple):
    curve: LossCurve
    sec_per_epoch: float

    @property
    def final_loss(self) -> float:
        return float(self.curve.losses[-1])

    @property
    def updates_per_epoch(self) -> float:
        return float(self.curve.updates[-1] / self.curve.epochs[-1])


def _full_data(data_iter):
    tensors = getattr(data_iter, "tensors", None)
    if tensors is not None:
        return tensors[0], tensors[1]
    Xs, ys = zip(*list(data_iter), strict=True)
    return torch.cat(Xs), torch.cat(ys)


def init_linreg(feature_dim: int, *, seed: int = 0, std: float = 0.01):
    """Parameters ``(w, b)`` of shapes ``(feature_dim, 1)`` and ``(1,)``: ``w ~ N(0, std²)`` from a
    seeded generator, ``b = 0``; both require gradients."""
    feature_dim = _positive_int(feature_dim, "feature_dim")
    g = torch.Generator().manual_seed(seed)
    w = (torch.randn(feature_dim, 1, generator=g) * std).requires_grad_(True)
    b = torch.zeros(1, requires_grad=True)
    return w, b


def _train_loop(net, step, data_iter, num_epochs, every):
    """Shared loop: ``step(X, y)`` does one update; returns a :class:`TrainResult`."""
    num_epochs = _positive_int(num_epochs, "num_epochs")
    every = _positive_int(every, "every")
    X_all, y_all = _full_data(data_iter)
    num_examples = len(X_all)

    def full_loss():
        with torch.no_grad():
            return squared_loss(net(X_all), y_all).mean().item()

    epochs, times, losses, updates = [0.0], [0.0], [full_loss()], [0]
    n, k, elapsed = 0, 0, 0.0

    def record():
        loss = full_loss()
        if not math.isfinite(loss):
            raise FloatingPointError(f"损失发散为 {loss}（学习率 lr 太大？）")
        epochs.append(n / num_examples)
        times.append(elapsed)
        losses.append(loss)
        updates.append(k)

    for _ in range(num_epochs):
        start = time.perf_counter()
        for X, y in data_iter:
            step(X, y)
            n_before, n, k = n, n + len(X), k + 1
            if n // every > n_before // every:  # crossed a multiple of `every` examples
                elapsed += time.perf_counter() - start
                record()
                start = time.perf_counter()
        elapsed += time.perf_counter() - start
    if updates[-1] != k:  # always end with a sample after the last update
        record()
    curve = LossCurve(*(np.asarray(v) for v in (epochs, times, losses, updates)))
    return TrainResult(curve, elapsed / num_epochs)


def train_minibatch(trainer_fn, states, hyperparams, data_iter, feature_dim: int,
                    num_epochs: int = 2, *, every: int = 100, seed: int = 0) -> TrainResult:
    """Linear regression trained with a from-scratch update ``trainer_fn(params, states,
    hyperparams)`` (e.g. :func:`sgd`).

    Returns ``(curve, sec_per_epoch)``: the full-data loss every ``every`` examples (and at the
    start) and the training seconds per epoch averaged over all epochs (evaluation excluded).
    """
    _check_lr(hyperparams)
    w, b = init_linreg(feature_dim, seed=seed)

    def net(X):
        return X @ w + b

    def step(X, y):
        squared_loss(net(X), y).mean().backward()
        trainer_fn([w, b], states, hyperparams)

    return _train_loop(net, step, data_iter, num_epochs, every)


def train_concise(trainer_cls, hyperparams, data_iter, num_epochs: int = 2, *,
                  feature_dim: int | None = None, every: int = 100, seed: int = 0) -> TrainResult:
    """The same experiment with ``nn.Linear`` and a ``torch.optim`` class, e.g.
    ``train_concise(torch.optim.SGD, {'lr': 0.01}, data_iter)``; same initialisation and loss as
    :func:`train_minibatch`, so plain SGD reproduces its trajectory."""
    if not (isinstance(trainer_cls, type) and issubclass(trainer_cls, torch.optim.Optimizer)):
        raise TypeError(f"trainer_cls 必须是 torch.optim 的优化器类（如 torch.optim.SGD），收到 {trainer_cls!r}")
    if not isinstance(hyperparams, dict):
        raise ValueError(f"超参数 hyperparams 必须是字典，收到 {hyperparams!r}")
    if feature_dim is None:
        feature_dim = _full_data(data_iter)[0].shape[1]
    w, b = init_linreg(feature_dim, seed=seed)
    net = torch.nn.Linear(feature_dim, 1)
    with torch.no_grad():
        net.weight.copy_(w.T)
        net.bias.zero_()
    optimizer = trainer_cls(net.parameters(), **hyperparams)

    def step(X, y):
        optimizer.zero_grad()
        squared_loss(net(X), y).mean().backward()
        optimizer.step()

    return _train_loop(net, step, data_iter, num_epochs, every)
