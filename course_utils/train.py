"""A small, fast training loop: ``fit`` and ``evaluate``.

Metrics are accumulated on the device and read back once per epoch (no per-batch ``.item()``).
A run that diverges stops with a clear Chinese message and ``History.diverged = True``: either the
loss became NaN/inf, or it stayed finite but exploded (the epoch's mean loss exceeds
``divergence_factor`` times the first batch's loss). Out-of-memory errors, on the GPU or the CPU,
become an :class:`OutOfMemoryHelp` with advice.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
from torch import nn

#: 2**62 bytes (4 EiB): more than any implemented 64-bit virtual address space holds (a process's address space on
#: x86-64 and arm64 is at most 2**57 bytes), so the allocator refuses at once — even when the OS
#: overcommits memory — and nothing is allocated (measured on Linux: about 0.1 ms per call).
IMPOSSIBLE_BYTES = 2**62

# Phrases of PyTorch's out-of-memory errors: CUDA/MPS ("out of memory"), the CPU allocator on
# Linux/macOS ("DefaultCPUAllocator: can't allocate memory") and Windows ("not enough memory"),
# errno 12 ("Cannot allocate memory") and a failed C++ ``new`` ("std::bad_alloc").
_OOM_PHRASES = ("out of memory", "can't allocate memory", "not enough memory",
                "cannot allocate memory", "std::bad_alloc")

_DIVERGED_HINT = ("请把学习率 lr 除以 10 后重试（或用学习率范围测试找一个合适的值）；"
                  "也可检查输入是否已归一化，或使用梯度裁剪。")


class OutOfMemoryHelp(RuntimeError):
    """Raised instead of a bare out-of-memory error, with advice in Chinese."""


def is_out_of_memory(exc: BaseException) -> bool:
    """True when ``exc`` is an out-of-memory error of the GPU or of the CPU allocator."""
    if isinstance(exc, OutOfMemoryHelp):
        return False
    if isinstance(exc, (torch.cuda.OutOfMemoryError, MemoryError)):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and any(p in text for p in _OOM_PHRASES)


def out_of_memory_help(exc: BaseException) -> OutOfMemoryHelp:
    """The :class:`OutOfMemoryHelp` (Chinese advice + the original first line) for ``exc``."""
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    gpu = isinstance(exc, torch.cuda.OutOfMemoryError) or any(
        k in first.lower() for k in ("cuda", "mps", "gpu"))
    what = "显存（GPU 内存）" if gpu else "内存（CPU 内存）"
    return OutOfMemoryHelp(
        f"{what}不足：请减小 batch_size 或 resize（图像边长），或换用更窄的模型"
        "（width/growth_rate），然后重新运行。注意：如果内存耗尽时操作系统直接结束了进程"
        "（Linux 的 OOM killer；Jupyter 显示内核重启，Colab 显示会话崩溃），Python 来不及抛出异常，"
        f"谁也无法捕获，只能重启内核后先调小这些参数。原始错误：{first}"
    )


def impossible_allocation(nbytes: int = IMPOSSIBLE_BYTES) -> torch.Tensor:
    """Ask the CPU allocator for ``nbytes`` bytes (default 4 EiB): a REAL allocation failure.

    With the default size the request exceeds every implemented virtual address space (at most 2**57 bytes), so PyTorch raises
    ``RuntimeError: ... DefaultCPUAllocator: can't allocate memory ...`` at once (Windows words it
    "not enough memory") without touching any memory — a safe way to show what ``fit`` does on
    an out-of-memory error. Smaller sizes may really allocate: do not lower ``nbytes`` in a demo.
    """
    if not isinstance(nbytes, int) or isinstance(nbytes, bool) or nbytes <= 0:
        raise ValueError(f"字节数 nbytes 必须是正整数，收到 {nbytes!r}")
    return torch.empty(nbytes, dtype=torch.uint8, device="cpu")


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


def _check_factor(factor) -> None:
    ok = factor is None or (isinstance(factor, (int, float)) and not isinstance(factor, bool)
                            and math.isfinite(factor) and factor > 1)
    if not ok:
        raise ValueError(f"发散阈值 divergence_factor 必须是大于 1 的数或 None（不检查），收到 {factor!r}")


def _diverged_message(epoch: int, batches: int, lr: float, mean_loss: float, first_loss: float,
                      factor) -> str:
    if not math.isfinite(mean_loss):
        what = "出现 NaN/inf 损失"
    else:
        ratio = mean_loss / first_loss if first_loss > 0 else math.inf
        what = (f"前 {batches} 个批量的平均训练损失 {mean_loss:.3g} 是第一个批量损失 {first_loss:.3g} "
                f"的 {ratio:.3g} 倍（超过 divergence_factor={factor:g}），损失爆炸")
    return f"第 {epoch} 轮{what}，训练已停止：学习率 lr（当前 {lr:g}）很可能太大。" + _DIVERGED_HINT


def _exploded(loss_sum: torch.Tensor, n: int, first_loss: torch.Tensor,
              factor: float) -> torch.Tensor:
    """Device flag: the mean loss so far exceeds ``factor`` × a positive first-batch loss."""
    if math.isinf(factor):
        return torch.zeros((), dtype=torch.bool, device=loss_sum.device)
    return (first_loss > 0) & (loss_sum > factor * first_loss * n)


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
    except (RuntimeError, MemoryError) as exc:
        if is_out_of_memory(exc):
            raise out_of_memory_help(exc) from exc
        raise
    finally:
        model.train(was_training)
    return float(correct) / max(total, 1)


def fit(model: nn.Module, train_iter, test_iter=None, *, num_epochs: int, optimizer,
        loss_fn=None, scheduler=None, scheduler_interval: str = "epoch", device=None,
        callbacks=(), progress: bool = True, divergence_factor: float | None = 100.0) -> History:
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
    divergence_factor: the run counts as diverged (like a NaN loss) when an epoch's mean loss
        exceeds this many times the loss of the very first batch (measured before any update).
        ``None`` turns the check off — e.g. for tiny batches whose first loss is close to 0.

    The check runs on the device: the loss is read back once per epoch, plus one cheap flag
    every 50 batches so that a diverged run stops early.
    """
    from tqdm.auto import tqdm

    if not _is_integer(num_epochs) or num_epochs <= 0:
        raise ValueError(f"训练轮数 num_epochs 必须是正整数，收到 {num_epochs!r}")
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(f"scheduler_interval 只能是 'epoch' 或 'batch'，收到 {scheduler_interval!r}")
    if optimizer is None or not hasattr(optimizer, "param_groups"):
        raise ValueError("optimizer 必须是 torch.optim 优化器（需要 param_groups）")
    _check_factor(divergence_factor)
    factor = math.inf if divergence_factor is None else float(divergence_factor)
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    device = torch.device(device) if device is not None else _model_device(model)
    model.to(device)
    plateau = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
    if plateau and scheduler_interval == "batch":
        raise ValueError("ReduceLROnPlateau 需要按轮（scheduler_interval='epoch'）调用并传入指标")
    hist = History(num_epochs=num_epochs)
    first_loss = None  # the first batch's loss, a device tensor (no host sync)
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
                    ld = loss.detach().float()
                    if first_loss is None:
                        first_loss = ld.clone()
                    finite &= torch.isfinite(ld)
                    loss_sum += ld * y.numel()
                    correct += (out.argmax(dim=1) == y).sum()
                n += y.numel()
                # One cheap flag every 50 batches so that a diverged run stops early.
                if i % 50 == 49 and not bool(finite & ~_exploded(loss_sum, n, first_loss, factor)):
                    break
        except (RuntimeError, MemoryError) as exc:
            if is_out_of_memory(exc):
                raise out_of_memory_help(exc) from exc
            raise
        finally:
            bar.close()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        elapsed = time.perf_counter() - start
        if n == 0:
            raise ValueError("训练数据 train_iter 没有产生任何批量（是空的）")
        # The one host sync of the epoch: every number at once.
        total, right, ok, exploded, first = torch.stack(
            [loss_sum, correct.float(), finite.float(),
             _exploded(loss_sum, n, first_loss, factor).float(),
             first_loss]).tolist()
        train_loss = total / n
        if not ok or exploded:
            hist.diverged = True
            hist.message = _diverged_message(epoch + 1, i + 1, lr_at_start,
                                             train_loss if ok else math.nan, first, factor)
            print("⚠️ " + hist.message)
            break
        hist.train_loss.append(train_loss)
        hist.train_acc.append(right / n)
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
