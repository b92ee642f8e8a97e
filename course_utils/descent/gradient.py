"""Gradient descent and Newton's method on toy objectives (chapter 4).

Every optimiser returns a :class:`Trace`: a plain ``list`` of iterates (``x0`` first) that also
carries ``diverged`` / ``message``. When an iterate becomes NaN/inf, overflows, or exceeds
``max_abs`` in magnitude, the run stops, the trace is marked ``diverged=True`` and a
:class:`DivergenceWarning` with a Chinese explanation is issued — the optimiser never crashes.

Scalars and NumPy arrays both work: ``gd(lambda x: 2 * x, 10.0, 0.2, 10)`` or
``gd(lambda x: A @ x, np.ones(2), 0.1, 50)``.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

__all__ = ["DivergenceWarning", "Trace", "gd", "newton", "train_2d", "gd_2d",
           "preconditioned_gd", "backtracking_line_search", "gd_line_search",
           "convergence_table"]

DEFAULT_MAX_ABS = 1e12


class DivergenceWarning(RuntimeWarning):
    """Issued when an optimisation trace blows up (NaN, inf, overflow or |x| > max_abs)."""


class Trace(list):
    """A list of iterates with ``diverged`` (bool) and ``message`` (Chinese text, '' if fine)."""

    def __init__(self, items=(), *, diverged: bool = False, message: str = ""):
        super().__init__(items)
        self.diverged = diverged
        self.message = message

    @property
    def num_steps(self) -> int:
        """How many update steps were actually taken (``len(trace) - 1``)."""
        return len(self) - 1

    def __repr__(self) -> str:
        status = f", diverged=True: {self.message}" if self.diverged else ""
        return f"Trace({list.__repr__(self)}{status})"


def _check_positive_lr(lr, name="lr"):
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not lr > 0 or math.isinf(lr):
        raise ValueError(f"学习率 {name} 必须是有限的正数，收到 {lr!r}")


def _check_steps(num_steps, name="num_steps"):
    if isinstance(num_steps, bool) or not isinstance(num_steps, numbers.Integral) or num_steps < 0:
        raise ValueError(f"步数 {name} 必须是非负整数，收到 {num_steps!r}")


def _as_point(x0, name="x0"):
    """Return a float (scalar input) or a float64 copy (array input)."""
    if np.ndim(x0) == 0:
        try:
            x = float(x0)
        except (TypeError, ValueError):
            raise ValueError(f"起点 {name} 必须是数值，收到 {x0!r}") from None
    else:
        x = np.array(x0, dtype=float)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"起点 {name} 必须是有限数值，收到 {x0!r}")
    return x


def _bad(x, max_abs) -> bool:
    return not np.all(np.isfinite(x)) or np.max(np.abs(x)) > max_abs


def _run(update, x0, num_steps, *, what: str, hint: str, max_abs, warn: bool) -> Trace:
    """Iterate ``x <- update(x)`` and stop (with a flag, not an exception) on blow-up."""
    _check_steps(num_steps)
    x = _as_point(x0)
    trace = Trace([x])
    for t in range(1, num_steps + 1):
        try:
            with np.errstate(all="ignore"):
                x_new = update(x)
            if np.ndim(x) == 0:  # scalars stay Python floats, vectors float64 arrays
                x_new = float(x_new)
            else:
                x_new = np.array(x_new, dtype=float)
        except (OverflowError, ZeroDivisionError, FloatingPointError, np.linalg.LinAlgError) as e:
            x_new, reason = float("nan"), f"{type(e).__name__}: {e}"
        else:
            reason = None
        if reason is not None or _bad(x_new, max_abs):
            if reason is None:
                reason = "出现 NaN/inf" if not np.all(np.isfinite(x_new)) else \
                    f"|x| 超过 {max_abs:g}"
            trace.diverged = True
            trace.message = f"{what}在第 {t} 步发散（{reason}），已停止；{hint}"
            if warn:
                warnings.warn(trace.message, DivergenceWarning, stacklevel=3)
            break
        x = x_new
        trace.append(x)
    return trace


def gd(grad, x0, lr, num_steps, *, max_abs: float = DEFAULT_MAX_ABS, warn: bool = True) -> Trace:
    """Gradient descent ``x <- x - lr * grad(x)``; returns the iterates, ``x0`` first."""
    _check_positive_lr(lr)
    return _run(lambda x: x - lr * grad(x), x0, num_steps, what="梯度下降",
                hint=f"学习率 lr={lr:g} 可能太大。",
                max_abs=max_abs, warn=warn)


def newton(grad, hess, x0, *, lr: float = 1.0, num_steps: int = 10,
           max_abs: float = DEFAULT_MAX_ABS, warn: bool = True) -> Trace:
    """Newton's method ``x <- x - lr * H(x)^{-1} grad(x)`` (``lr < 1`` is the damped variant).

    For scalars ``hess(x)`` is a number; for vectors it is a matrix and the linear system is
    solved (never inverted). A zero/singular Hessian is reported as divergence.
    """
    _check_positive_lr(lr)

    def update(x):
        g, h = grad(x), hess(x)
        if np.ndim(x) == 0:
            return x - lr * g / h
        return x - lr * np.linalg.solve(np.atleast_2d(h), g)

    return _run(update, x0, num_steps, what="牛顿法",
                hint="黑塞矩阵可能接近奇异或不正定，可减小 lr（阻尼牛顿法）。", max_abs=max_abs, warn=warn)


def preconditioned_gd(grad, x0, lr, num_steps, precond, *, max_abs: float = DEFAULT_MAX_ABS,
                      warn: bool = True) -> Trace:
    """Preconditioned GD ``x <- x - lr * P * grad(x)`` with ``P`` a vector (diagonal) or matrix."""
    _check_positive_lr(lr)
    P = np.asarray(precond, dtype=float)
    step = (lambda g: P * g) if P.ndim <= 1 else (lambda g: P @ g)
    return _run(lambda x: x - lr * step(np.asarray(grad(x), dtype=float)), x0, num_steps,
                what="预条件梯度下降",
                hint=f"学习率 lr={lr:g} 或预条件矩阵可能太大。", max_abs=max_abs, warn=warn)


def backtracking_line_search(f, grad_x, x, *, lr0: float = 1.0, beta: float = 0.5,
                             c: float = 1e-4, max_halvings: int = 50) -> float:
    """Armijo backtracking: shrink ``lr`` by ``beta`` until f decreases enough; returns ``lr``."""
    _check_positive_lr(lr0, "lr0")
    if not 0 < beta < 1:
        raise ValueError(f"缩小因子 beta 必须在 (0, 1) 内，收到 {beta!r}")
    g = np.asarray(grad_x, dtype=float)
    fx, gg = f(x), float(np.sum(g * g))
    lr = lr0
    for _ in range(max_halvings):
        with np.errstate(all="ignore"):
            try:
                ok = f(x - lr * g) <= fx - c * lr * gg
            except OverflowError:
                ok = False
        if ok:
            return lr
        lr *= beta
    return lr


def gd_line_search(f, grad, x0, num_steps, *, lr0: float = 1.0, beta: float = 0.5,
                   c: float = 1e-4, warn: bool = True) -> Trace:
    """GD whose step size is chosen by backtracking line search at every step.

    The chosen step sizes are stored in ``trace.lrs``.
    """
    lrs = []

    def update(x):
        g = grad(x)
        lr = backtracking_line_search(f, g, x, lr0=lr0, beta=beta, c=c)
        lrs.append(lr)
        return x - lr * g

    trace = _run(update, x0, num_steps, what="线搜索梯度下降",
                 hint="目标函数可能无下界。", max_abs=DEFAULT_MAX_ABS, warn=warn)
    trace.lrs = lrs
    return trace


def train_2d(step_fn, x0=(-5.0, -2.0), num_steps: int = 20, *,
             max_abs: float = DEFAULT_MAX_ABS, warn: bool = True) -> Trace:
    """Run a 2-D optimiser: ``step_fn(x1, x2) -> (x1, x2)``; returns ``[(x1, x2), ...]``.

    Stateful optimisers (momentum, decaying LR, noise) keep their state in a closure.
    """
    if np.shape(x0) != (2,):
        raise ValueError(f"起点 x0 必须是两个数 (x1, x2)，收到 {x0!r}")
    trace = _run(lambda x: np.asarray(step_fn(float(x[0]), float(x[1])), dtype=float), x0,
                 num_steps, what="二维优化", hint="学习率可能太大。", max_abs=max_abs, warn=warn)
    out = Trace([(float(p[0]), float(p[1])) for p in trace], diverged=trace.diverged,
                message=trace.message)
    return out


def gd_2d(grad2d, lr):
    """Make a GD step function for :func:`train_2d`; ``grad2d(x1, x2) -> (g1, g2)``."""
    _check_positive_lr(lr)

    def step(x1, x2):
        g1, g2 = grad2d(x1, x2)
        return x1 - lr * g1, x2 - lr * g2

    return step


def convergence_table(trace, x_star, *, ratio_power: float = 2.0) -> list[tuple]:
    """Rows ``(k, x_k, e_k, e_k / e_{k-1}**p)`` with ``e_k = |x_k - x*|`` (p=2: quadratic).

    Stops after the error reaches 0 (the ratio would be undefined).
    """
    rows, prev = [], None
    for k, x in enumerate(trace):
        e = float(np.max(np.abs(np.asarray(x, dtype=float) - x_star)))
        ratio = e / prev ** ratio_power if prev else float("nan")
        rows.append((k, x, e, ratio))
        if e == 0:
            break
        prev = e
    return rows


def f_2d(x1, x2):
    """The 2-D objective of chapters 4 and 5: f(x1, x2) = x1² + 2·x2²."""
    return x1 ** 2 + 2 * x2 ** 2


def grad_2d(x1, x2):
    """Gradient of :func:`f_2d`: (2·x1, 4·x2)."""
    return 2 * x1, 4 * x2
