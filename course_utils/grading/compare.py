"""Turn learner outputs into plain data and compare them with tolerances.

Everything a learner returns is converted to plain Python floats / nested lists *before* any
comparison, so an object whose ``__eq__`` always answers ``True`` cannot pass a test.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

MAX_ELEMENTS = 100_000  # larger outputs are rejected (keeps results small and fast to compare)


class ConversionError(TypeError):
    """Raised when a learner value cannot be turned into plain numbers."""


def to_plain(value, _depth: int = 0):
    """Convert ``value`` to ``float`` / ``str`` / ``None`` / nested ``list`` (no foreign objects).

    Accepts Python numbers and bools, NumPy scalars and arrays, PyTorch tensors (detached, moved to
    the CPU), lists and tuples of those. Anything else raises :class:`ConversionError`.
    """
    if _depth > 20:
        raise ConversionError("返回值嵌套过深（nesting too deep）")
    t = type(value)
    if value is None:
        return None
    if t is bool or t is int or t is float:
        return float(value)
    if t is str:
        return str.__str__(value)[:200]
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.array(value, dtype=np.float64, copy=True, subok=False)
        return _array_to_list(arr)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        torch = None
    if torch is not None and isinstance(value, torch.Tensor):
        arr = torch.Tensor.numpy(torch.Tensor.cpu(torch.Tensor.detach(value)).double())
        return _array_to_list(np.array(arr, dtype=np.float64, copy=True, subok=False))
    if t is list or t is tuple or isinstance(value, (list, tuple)):
        items = list.__iter__(value) if isinstance(value, list) else tuple.__iter__(value)
        out = [to_plain(v, _depth + 1) for v in items]
        if _count(out) > MAX_ELEMENTS:
            raise ConversionError(f"返回值元素过多（超过 {MAX_ELEMENTS} 个）")
        return out
    if isinstance(value, numbers.Real):  # e.g. fractions.Fraction, decimal-like reals
        f = float(value)
        if type(f) is not float:
            raise ConversionError("float() 没有返回真正的浮点数")
        return f
    raise ConversionError(
        f"无法把类型 {t.__name__} 的返回值转换成数字或数组"
        "（请返回 float、list、numpy 数组或 torch 张量）"
    )


def _array_to_list(arr: np.ndarray):
    if arr.size > MAX_ELEMENTS:
        raise ConversionError(f"返回的数组过大（{arr.size} 个元素，上限 {MAX_ELEMENTS}）")
    return arr.tolist() if arr.ndim else float(arr)


def _count(x) -> int:
    return sum(_count(v) for v in x) if isinstance(x, list) else 1


def shape_of(x):
    """Shape of a plain nested list (``()`` for a scalar); ragged lists give ``None``."""
    if not isinstance(x, list):
        return ()
    subs = {shape_of(v) for v in x}
    if len(subs) > 1 or None in subs:
        return None
    return (len(x),) + (subs.pop() if subs else ())


def describe_shape(shape) -> str:
    """Chinese text for a shape from :func:`shape_of` (never prints ``None``)."""
    if shape is None:
        return "不规则（各行长度不同）"
    return "标量" if shape == () else str(tuple(shape))


def fmt(x) -> str:
    """A number rounded for feedback (6 significant digits), anything else shortly."""
    return f"{x:.6g}" if isinstance(x, float) else short(x)


def shape_mismatch(observed, expected) -> str | None:
    """``None`` when both have the same structure, else a Chinese line with the two shapes only."""
    if not isinstance(expected, list) and not isinstance(observed, list):
        return None
    se, so = shape_of(expected), shape_of(observed)
    if observed is None:
        return f"应返回形状为 {describe_shape(se)} 的数组或列表，实际返回 None（是不是忘了写 return？）"
    if isinstance(expected, list) and isinstance(observed, list) and se is not None and se == so:
        return None
    if isinstance(expected, list) and isinstance(observed, list) and None in (se, so):
        if len(expected) != len(observed):  # ragged, e.g. [gradient vector, scalar]
            return f"长度不符：期望 {len(expected)} 个元素，实际 {len(observed)} 个"
        for i, (o, e) in enumerate(zip(observed, expected)):
            sub = shape_mismatch(o, e)
            if sub:
                return f"第 {i + 1} 个元素：{sub}"
        return None
    return f"形状不符：期望形状 {describe_shape(se)}，实际形状 {describe_shape(so)}"


def close(observed, expected, atol: float, rtol: float) -> tuple[bool, str]:
    """Compare plain values; return ``(ok, reason_in_chinese)``.

    Element positions in the reason count from 1 and are printed once, e.g. ``位置 (2, 1)``.
    """
    bad = shape_mismatch(observed, expected)
    if bad:
        return False, bad
    ok, why, where = _close(observed, expected, atol, rtol, ())
    if ok or not where:
        return ok, why
    if len(where) == 1:
        return False, f"第 {where[0]} 个元素：{why}"
    return False, f"位置 {tuple(where)}（从 1 开始计数）：{why}"


def _close(observed, expected, atol, rtol, where):
    if isinstance(expected, list):
        for i, (o, e) in enumerate(zip(observed, expected)):
            ok, why, at = _close(o, e, atol, rtol, where + (i + 1,))
            if not ok:
                return False, why, at
        return True, "", where
    ok, why = _close_scalar(observed, expected, atol, rtol)
    return ok, why, where


def _close_scalar(observed, expected, atol, rtol) -> tuple[bool, str]:
    if expected is None or isinstance(expected, str):
        return (observed == expected), f"期望 {expected!r}，实际 {fmt(observed)}"
    if observed is None:
        return False, f"期望数值 {expected:.6g}，实际返回 None（是不是忘了写 return？）"
    if not isinstance(observed, float):
        return False, f"期望数值 {expected:.6g}，实际得到 {fmt(observed)}"
    if math.isnan(expected):
        return math.isnan(observed), f"期望 NaN，实际 {observed:.6g}"
    if math.isnan(observed) or math.isinf(observed) != math.isinf(expected):
        return False, f"期望 {expected:.6g}，实际 {observed:.6g}"
    if math.isinf(expected):
        return observed == expected, f"期望 {expected}，实际 {observed}"
    diff = abs(observed - expected)
    if diff <= atol + rtol * abs(expected):
        return True, ""
    return False, f"期望 {expected:.6g}，实际 {observed:.6g}（差 {diff:.2g}）"


def describe_tolerance(atol: float, rtol: float) -> str:
    if atol == 0 and rtol == 0:
        return "必须完全相等"
    parts = []
    if atol:
        parts.append(f"{atol:g}")
    if rtol:
        parts.append(f"{rtol:g}·|期望值|")
    return "容差 |实际−期望| ≤ " + " + ".join(parts)


def short(value, limit: int = 80) -> str:
    """A short printable form of a plain value, for feedback lines."""
    if isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, list):
        flat = _flatten(value)
        head = ", ".join(f"{v:.4g}" if isinstance(v, float) else repr(v) for v in flat[:6])
        text = f"形状 {describe_shape(shape_of(value))} [{head}{', …' if len(flat) > 6 else ''}]"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _flatten(x) -> list:
    return [y for v in x for y in _flatten(v)] if isinstance(x, list) else [x]


def rel_error(a, b, eps: float = 1e-12) -> float:
    """Largest relative error ``max |a-b| / max(|a|+|b|, eps)`` between two arrays or numbers."""
    x = np.asarray(to_plain(a), dtype=np.float64)
    y = np.asarray(to_plain(b), dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"rel_error 的两个参数 a、b 形状不同：{x.shape} 与 {y.shape}")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(np.abs(x) + np.abs(y), eps)))


def numerical_grad(f, x, h: float = 1e-5):
    """Centred-difference gradient of a scalar function ``f`` at ``x`` (NumPy array or tensor).

    ``grad[i] ≈ (f(x + h e_i) - f(x - h e_i)) / (2h)``; returns an array of ``x``'s shape
    (a tensor when ``x`` is a tensor). Use float64 inputs for accurate results.
    """
    if not callable(f):
        raise TypeError("numerical_grad 的参数 f 必须是可调用的函数")
    if not h > 0:
        raise ValueError(f"numerical_grad 的步长 h 必须为正数，收到 {h!r}")
    is_tensor = type(x).__module__.startswith("torch")
    arr = np.array(x.detach().cpu().numpy() if is_tensor else x, dtype=np.float64)
    grad = np.zeros_like(arr)
    flat, gflat = arr.reshape(-1), grad.reshape(-1)

    def call(v):
        if is_tensor:
            import torch
            v = torch.tensor(v, dtype=x.dtype)
        return float(to_plain(f(v)))

    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        fp = call(arr.copy())
        flat[i] = old - h
        fm = call(arr.copy())
        flat[i] = old
        gflat[i] = (fp - fm) / (2 * h)
    if is_tensor:
        import torch
        return torch.tensor(grad, dtype=x.dtype)
    return grad
