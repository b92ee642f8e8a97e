"""A small, fast training loop: ``fit`` and ``evaluate``.

Metrics are accumulated on the device and read back once per epoch (no per-batch ``.item()``);
a NaN/inf loss stops the run with a clear message and ``History.diverged = True``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
from torch import nn


class OutOfMemoryHelp(RuntimeError):
    """Raised instead of a bare out-of-memory error, with advice in Chinese."""


@dataclass
class History:
    """Per-epoch metrics of one ``fit`` run."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    examples_per_sec: list[float] = field(default_factory=list)
    diverged: bool = False
    message: str = ""
    num_epochs: int = 0

    @property
    def epochs_done(self) -> int:
        return len(self.train_loss)

    def final(self) -> dict:
        """The last epoch's metrics as a dict (empty when no epoch finished)."""
        if not self.train_loss:
            return {"diverged": self.diverged}
        return {
            "train_loss": self.train_loss[-1],
            "train_acc": self.train_acc[-1],
            "test_acc": self.test_acc[-1] if self.test_acc else float("nan"),
            "sec_per_epoch": sum(self.seconds) / len(self.seconds),
            "examples_per_sec": sum(self.examples_per_sec) / len(self.examples_per_sec),
            "diverged": self.diverged,
        }

    def first_epoch_reaching(self, test_acc: float) -> int | None:
        """1-based epoch at which test accuracy first reaches ``test_acc`` (None if never)."""
        for i, a in enumerate(self.test_acc):
            if a >= test_acc:
                return i + 1
        return None

    def summary(self) -> str:
        f = self.final()
        if self.diverged and not self.train_loss:
            return f"发散：{self.message}"
        text = (f"loss {f['train_loss']:.3f}, train acc {f['train_acc']:.3f}, "
                f"test acc {f['test_acc']:.3f}, {f['examples_per_sec']:.0f} examples/sec")
        return text + (f"（发散：{self.message}）" if self.diverged else "")


def _is_integer(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _current_lr(optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])


def _model_device(model: nn.Module) -> torch.device:
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def _oom_help(exc: BaseException) -> OutOfMemoryHelp:
    return OutOfMemoryHelp(
        "内存（或显存）不足：请减小 batch_size 或 resize（图像边长），或换用更窄的模型（width/growth_rate），"
        f"然后重新运行。原始错误：{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    )


@torch.no_grad()
def evaluate(model: nn.Module, data_iter, device=None) -> float:
    """Classification accuracy of ``model`` on ``data_iter`` (eval mode; restores the mode)."""
    device = torch.device(device) if device is not None else _model_device(model)
    was_training = model.training
    model.eval()
    correct = torch.zeros((), dtype=torch.int64, device=device)
    total = 0
    try:
        for X, y in data_iter:
            X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
            correct += (model(X).argmax(dim=1) == y).sum()
            total += y.numel()
    finally:
        model.train(was_training)
    return float(correct) / max(total, 1)


def fit(model: nn.Module, train_iter, test_iter=None, *, num_epochs: int, optimizer,
        loss_fn=None, scheduler=None, scheduler_interval: str = "epoch", device=None,
        callbacks=(), progress: bool = True) -> History:
    """Train ``model`` and return a :class:`History`.

    Parameters
    ----------
    model, train_iter, test_iter: the network and minibatch iterators of ``(X, y)``;
        ``test_iter`` may be None (then ``test_acc`` stays empty).
    num_epochs: number of passes over ``train_iter`` (positive int).
    optimizer: a ``torch.optim`` optimizer over the model's parameters.
    loss_fn: defaults to ``nn.CrossEntropyLoss()`` (mean over the batch).
    scheduler: an optional ``torch.optim.lr_scheduler``; ``ReduceLROnPlateau`` receives the
        epoch's mean training loss.
    scheduler_interval: ``'epoch'`` (step after each epoch) or ``'batch'`` (after each batch).
    device: defaults to the device of the model's parameters.
    callbacks: callables ``cb(history)`` called after every epoch (e.g. ``LivePlot``).
    progress: show a tqdm progress bar per epoch.
    """
    from tqdm.auto import tqdm

    if not _is_integer(num_epochs) or num_epochs <= 0:
        raise ValueError(f"训练轮数 num_epochs 必须是正整数，收到 {num_epochs!r}")
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(f"scheduler_interval 只能是 'epoch' 或 'batch'，收到 {scheduler_interval!r}")
    if optimizer is None or not hasattr(optimizer, "param_groups"):
        raise ValueError("optimizer 必须是 torch.optim 优化器（需要 param_groups）")
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    device = torch.device(device) if device is not None else _model_device(model)
    model.to(device)
    plateau = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
    if plateau and scheduler_interval == "batch":
        raise ValueError("ReduceLROnPlateau 需要按轮（scheduler_interval='epoch'）调用并传入指标")
    hist = History(num_epochs=num_epochs)
    for epoch in range(num_epochs):
        model.train()
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), dtype=torch.int64, device=device)
        finite = torch.ones((), dtype=torch.bool, device=device)
        n = 0
        lr_at_start = _current_lr(optimizer)
        start = time.perf_counter()
        bar = tqdm(train_iter, desc=f"第 {epoch + 1}/{num_epochs} 轮", leave=False,
                   disable=not progress, total=len(train_iter) if hasattr(train_iter, "__len__")
                   else None)
        try:
            for i, (X, y) in enumerate(bar):
                X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
                out = model(X)
                loss = loss_fn(out, y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if scheduler is not None and scheduler_interval == "batch":
                    scheduler.step()
                with torch.no_grad():
                    ld = loss.detach()
                    finite &= torch.isfinite(ld)
                    loss_sum += ld * y.numel()
                    correct += (out.argmax(dim=1) == y).sum()
                n += y.numel()
                # One cheap check every 50 batches so a diverged run stops early.
                if i % 50 == 49 and not bool(finite):
                    break
        except RuntimeError as exc:
            if "out of memory" in str(exc).lower() or isinstance(exc, torch.OutOfMemoryError):
                raise _oom_help(exc) from exc
            raise
        finally:
            bar.close()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        elapsed = time.perf_counter() - start
        if not bool(finite):
            hist.diverged = True
            hist.message = (f"第 {epoch + 1} 轮出现 NaN/inf 损失，训练已停止："
                            f"学习率（当前 {lr_at_start:g}）可能太大，或输入数据有问题。")
            print("⚠️ " + hist.message)
            break
        train_loss = float(loss_sum) / max(n, 1)
        hist.train_loss.append(train_loss)
        hist.train_acc.append(float(correct) / max(n, 1))
        hist.lr.append(lr_at_start)
        hist.seconds.append(elapsed)
        hist.examples_per_sec.append(n / elapsed if elapsed > 0 else math.inf)
        if test_iter is not None:
            hist.test_acc.append(evaluate(model, test_iter, device))
        if scheduler is not None and scheduler_interval == "epoch":
            scheduler.step(train_loss) if plateau else scheduler.step()
        for cb in callbacks:
            cb(hist)
    return hist
