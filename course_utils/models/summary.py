"""Model summaries: parameter counts and layer-by-layer output shapes."""

from __future__ import annotations

import torch
from torch import nn


def count_parameters(model: nn.Module, *, trainable_only: bool = False) -> int:
    """Number of parameters (elements) of ``model``; ``trainable_only`` skips frozen ones."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"参数 model 必须是 torch.nn.Module，收到 {type(model).__name__}")
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _check_shape(input_shape) -> tuple[int, ...]:
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = ()
    if not shape or any(isinstance(s, bool) or not isinstance(s, int) or s <= 0 for s in shape):
        raise ValueError(f"input_shape 必须是正整数组成的元组，例如 (1, 1, 28, 28)，收到 {input_shape!r}")
    return shape


@torch.no_grad()
def layer_shapes(model: nn.Module, input_shape, *, print_table: bool = True,
                 params: bool = True) -> list[tuple[str, tuple[int, ...], int]]:
    """Feed a zero tensor of ``input_shape`` through the top-level children of ``model``.

    Returns ``[(name, output_shape, num_params), ...]`` (one row per child, in order) and, when
    ``print_table``, prints them as a table. ``model`` must be an ``nn.Sequential`` (or any
    module whose children are applied one after another). The model's train/eval mode is kept;
    it runs in eval mode so batch-norm running statistics are not touched.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"参数 model 必须是 torch.nn.Module，收到 {type(model).__name__}")
    shape = _check_shape(input_shape)
    children = list(model.named_children())
    if not children:
        children = [(type(model).__name__, model)]
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    X = torch.zeros(shape, device=device)
    was_training = model.training
    model.eval()
    rows = []
    try:
        for name, layer in children:
            X = layer(X)
            label = f"{name}:{type(layer).__name__}"
            rows.append((label, tuple(X.shape), count_parameters(layer)))
    finally:
        model.train(was_training)
    if print_table:
        width = max(len(r[0]) for r in rows)
        # the Chinese characters of the header take two columns each in a monospace font
        head = f"{'层 layer'.ljust(width - 1)}  {'输出形状 output shape'.ljust(22 - 4)}"
        print((head + ("  参数 params" if params else "")).rstrip())
        print(f"{'input'.ljust(width)}  {shape}")
        for label, out, n in rows:
            line = f"{label.ljust(width)}  {str(out)}"
            print(f"{label.ljust(width)}  {str(out).ljust(22)}  {n:>11,}" if params else line)
        if params:
            print(f"{'total'.ljust(width)}  {''.ljust(22)}  {count_parameters(model):>11,}")
    return rows
