import math
import time

import pytest
import torch
from torch import nn

from course_utils import data, train


def _toy_loaders(n=512, batch=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 1, 4, 4, generator=g)
    y = (X.flatten(1).sum(1) > 0).long()
    tr = data.TensorLoader(X, y, batch_size=batch, shuffle=True, seed=seed)
    te = data.TensorLoader(X, y, batch_size=batch)
    return tr, te


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 2))


def test_fit_learns_and_records_history():
    tr, te = _toy_loaders()
    net = _net()
    h = train.fit(net, tr, te, num_epochs=5, optimizer=torch.optim.SGD(net.parameters(), lr=0.5),
                  progress=False)
    assert h.epochs_done == 5 and not h.diverged
    assert h.train_loss[-1] < h.train_loss[0]
    assert h.test_acc[-1] > 0.9
    assert len(h.lr) == len(h.seconds) == len(h.examples_per_sec) == 5
    assert all(v > 0 for v in h.examples_per_sec)
    assert h.first_epoch_reaching(0.9) is not None
    assert "test acc" in h.summary()


def test_nan_loss_stops_with_message(capsys):
    tr, te = _toy_loaders()
    net = _net()

    def nan_loss(out, y):
        return nn.functional.cross_entropy(out, y) * float("nan")

    h = train.fit(net, tr, te, num_epochs=3, optimizer=torch.optim.SGD(net.parameters(), lr=0.1),
                  loss_fn=nan_loss, progress=False)
    assert h.diverged and h.epochs_done == 0
    assert "NaN" in h.message and "学习率" in h.message
    assert "NaN" in capsys.readouterr().out


def test_huge_lr_diverges_instead_of_crashing():
    tr, _ = _toy_loaders()
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                        nn.Linear(64, 2))
    h = train.fit(net, tr, None, num_epochs=5, progress=False,
                  optimizer=torch.optim.SGD(net.parameters(), lr=1e6, momentum=0.9))
    assert h.diverged


def test_finite_but_exploding_loss_counts_as_diverged(capsys):
    """A linear model at lr=1e6: the cross-entropy stays finite (about 1e4-1e7) but explodes."""
    tr, te = _toy_loaders()
    net = _net()
    h = train.fit(net, tr, te, num_epochs=3, optimizer=torch.optim.SGD(net.parameters(), lr=1e6),
                  progress=False)
    assert h.diverged and h.epochs_done == 0
    assert "倍" in h.message and "lr" in h.message and "1e+06" in h.message
    assert "除以 10" in h.message
    assert "损失爆炸" in capsys.readouterr().out
    # The same run with the check switched off finishes with a huge but finite loss.
    net = _net()
    h = train.fit(net, tr, te, num_epochs=3, optimizer=torch.optim.SGD(net.parameters(), lr=1e6),
                  progress=False, divergence_factor=None)
    assert not h.diverged and h.epochs_done == 3
    assert all(math.isfinite(v) and v > 100 * math.log(2) for v in h.train_loss)


def test_explosion_stops_early_within_an_epoch():
    tr, _ = _toy_loaders(n=64 * 120, batch=64)  # 120 batches: the flag is read at batch 50
    seen = {"n": 0}

    def counting_loss(out, y):
        seen["n"] += 1
        return nn.functional.cross_entropy(out, y)

    net = _net()
    h = train.fit(net, tr, None, num_epochs=1, loss_fn=counting_loss, progress=False,
                  optimizer=torch.optim.SGD(net.parameters(), lr=1e6))
    assert h.diverged and seen["n"] == 50


def test_normal_training_is_not_flagged():
    tr, te = _toy_loaders()
    net = _net()
    h = train.fit(net, tr, te, num_epochs=5, optimizer=torch.optim.SGD(net.parameters(), lr=0.5),
                  progress=False, divergence_factor=2.0)
    assert not h.diverged and h.message == "" and h.epochs_done == 5


def test_zero_first_loss_does_not_trip_the_check():
    tr, _ = _toy_loaders(n=256)
    calls = {"n": 0}

    def loss_zero_then_one(out, y):
        calls["n"] += 1
        scale = 0.0 if calls["n"] == 1 else 1.0
        return nn.functional.cross_entropy(out, y) * scale

    net = _net()
    h = train.fit(net, tr, None, num_epochs=2, loss_fn=loss_zero_then_one, progress=False,
                  optimizer=torch.optim.SGD(net.parameters(), lr=0.1))
    assert not h.diverged


@pytest.mark.parametrize("bad", [1, 0.5, -3, float("nan"), float("inf"), "100", True])
def test_bad_divergence_factor(bad):
    tr, _ = _toy_loaders()
    net = _net()
    with pytest.raises(ValueError, match="divergence_factor"):
        train.fit(net, tr, None, num_epochs=1, divergence_factor=bad,
                  optimizer=torch.optim.SGD(net.parameters(), lr=0.1))


def test_empty_loader_is_an_error():
    net = _net()
    empty = data.TensorLoader(torch.zeros(0, 1, 4, 4), torch.zeros(0, dtype=torch.long),
                              batch_size=4)
    with pytest.raises(ValueError, match="train_iter"):
        train.fit(net, empty, None, num_epochs=1, progress=False,
                  optimizer=torch.optim.SGD(net.parameters(), lr=0.1))


@pytest.mark.parametrize("bad", [0, -1, 1.5, None])
def test_bad_num_epochs(bad):
    tr, te = _toy_loaders()
    net = _net()
    with pytest.raises(ValueError, match="num_epochs"):
        train.fit(net, tr, te, num_epochs=bad, optimizer=torch.optim.SGD(net.parameters(), lr=0.1))


def test_bad_arguments():
    tr, te = _toy_loaders()
    net = _net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="scheduler_interval"):
        train.fit(net, tr, te, num_epochs=1, optimizer=opt, scheduler_interval="step")
    with pytest.raises(ValueError, match="optimizer"):
        train.fit(net, tr, te, num_epochs=1, optimizer=None)


def test_scheduler_per_batch_and_per_epoch():
    tr, te = _toy_loaders(n=256, batch=64)  # 4 batches per epoch
    net = _net()
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    h = train.fit(net, tr, te, num_epochs=2, optimizer=opt, scheduler=sched,
                  scheduler_interval="batch", progress=False)
    assert h.lr == [1.0, 0.5**4]
    net = _net()
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    h = train.fit(net, tr, te, num_epochs=3, optimizer=opt, scheduler=sched, progress=False)
    assert h.lr == [1.0, 0.5, 0.25]


def test_reduce_on_plateau_gets_the_metric():
    tr, te = _toy_loaders()
    net = _net()
    opt = torch.optim.SGD(net.parameters(), lr=1e-7)  # (almost) no progress -> plateau
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    h = train.fit(net, tr, te, num_epochs=3, optimizer=opt, scheduler=sched, progress=False)
    assert h.lr[-1] < h.lr[0]
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        train.fit(net, tr, te, num_epochs=1, optimizer=opt, scheduler=sched,
                  scheduler_interval="batch")


class _FailsInForward(nn.Module):
    """A model whose forward pass raises ``make_error()`` (or calls it when it is a function)."""

    def __init__(self, make_error):
        super().__init__()
        self.lin = nn.Linear(16, 2)
        self.make_error = make_error

    def forward(self, x):
        raise self.make_error()


def _fit_once(net, tr, te=None):
    return train.fit(net, tr, te, num_epochs=1, progress=False,
                     optimizer=torch.optim.SGD(net.parameters(), lr=0.1))


def test_out_of_memory_gets_clear_advice():
    tr, te = _toy_loaders()
    net = _FailsInForward(lambda: RuntimeError("CUDA out of memory. Tried to allocate 20.00 GiB"))
    with pytest.raises(train.OutOfMemoryHelp, match="batch_size") as info:
        _fit_once(net, tr, te)
    assert "显存" in str(info.value) and "CUDA out of memory" in str(info.value)


@pytest.mark.parametrize("text", [
    "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
    "you tried to allocate 4611686018427387904 bytes. Error code 12 (Cannot allocate memory)",
    "[enforce fail at C:\\actions-runner\\alloc_cpu.cpp:72] data. DefaultCPUAllocator: "
    "not enough memory: you tried to allocate 1073741824 bytes.",
    "std::bad_alloc",
])
def test_cpu_allocator_failures_are_recognised(text):
    assert train.is_out_of_memory(RuntimeError(text))
    tr, _ = _toy_loaders()
    with pytest.raises(train.OutOfMemoryHelp, match="batch_size") as info:
        _fit_once(_FailsInForward(lambda: RuntimeError(text)), tr)
    message = str(info.value)
    assert "内存（CPU 内存）不足" in message and text.splitlines()[0][:40] in message
    assert "OOM killer" in message and "无法捕获" in message


def test_python_memory_error_is_recognised_but_other_errors_pass_through():
    assert train.is_out_of_memory(MemoryError())
    assert not train.is_out_of_memory(RuntimeError("mat1 and mat2 shapes cannot be multiplied"))
    assert not train.is_out_of_memory(ValueError("out of memory"))  # not an allocator error
    tr, _ = _toy_loaders()
    with pytest.raises(RuntimeError, match="shapes") as info:
        _fit_once(_FailsInForward(lambda: RuntimeError("shapes do not match")), tr)
    assert not isinstance(info.value, train.OutOfMemoryHelp)


def test_impossible_allocation_is_a_real_instant_cpu_failure():
    start = time.perf_counter()
    with pytest.raises(RuntimeError) as info:
        train.impossible_allocation()
    assert time.perf_counter() - start < 1.0
    assert train.is_out_of_memory(info.value)
    assert "DefaultCPUAllocator" in str(info.value)
    with pytest.raises(ValueError, match="nbytes"):
        train.impossible_allocation(0)


def test_fit_turns_a_real_allocation_failure_into_advice():
    class Greedy(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(16, 2)

        def forward(self, x):
            return self.lin(x.flatten(1)) + train.impossible_allocation().sum()

    tr, te = _toy_loaders()
    with pytest.raises(train.OutOfMemoryHelp, match="DefaultCPUAllocator") as info:
        _fit_once(Greedy(), tr, te)
    assert isinstance(info.value.__cause__, RuntimeError)


def test_evaluate_turns_out_of_memory_into_advice():
    _, te = _toy_loaders()
    with pytest.raises(train.OutOfMemoryHelp, match="resize"):
        train.evaluate(_FailsInForward(MemoryError), te)


def test_evaluate_restores_mode():
    _, te = _toy_loaders()
    net = _net()
    net.train()
    acc = train.evaluate(net, te)
    assert 0.0 <= acc <= 1.0 and net.training
    net.eval()
    train.evaluate(net, te)
    assert not net.training


def test_no_per_batch_host_sync(monkeypatch):
    """fit must not call .item() per batch: count Tensor.item calls over 16 batches."""
    tr, te = _toy_loaders(n=1024, batch=64)
    net = _net()
    calls = {"n": 0}
    original = torch.Tensor.item

    def counting_item(self):
        calls["n"] += 1
        return original(self)

    monkeypatch.setattr(torch.Tensor, "item", counting_item)
    train.fit(net, tr, None, num_epochs=1, optimizer=torch.optim.SGD(net.parameters(), lr=0.1),
              progress=False)
    assert calls["n"] <= 2


def test_history_final_handles_empty():
    h = train.History()
    assert h.final() == {"diverged": False}
    assert math.isnan(train.History(train_loss=[1.0], train_acc=[0.5], seconds=[1.0],
                                    examples_per_sec=[10.0]).final()["test_acc"])
