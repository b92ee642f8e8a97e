import math

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


def test_out_of_memory_gets_clear_advice():
    class Hungry(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(16, 2)

        def forward(self, x):
            raise RuntimeError("CUDA out of memory. Tried to allocate 20.00 GiB")

    tr, te = _toy_loaders()
    net = Hungry()
    with pytest.raises(train.OutOfMemoryHelp, match="batch_size"):
        train.fit(net, tr, te, num_epochs=1, optimizer=torch.optim.SGD(net.parameters(), lr=0.1),
                  progress=False)


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
