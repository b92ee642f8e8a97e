"""Tests for course_utils.range_test: the LR range test restores state and stops on divergence."""

import numpy as np
import pytest
import torch
from torch import nn

from course_utils import range_test as rt
from course_utils.data import TensorLoader
from course_utils.models import small_bn_cnn


def _problem(n=512, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 1, 28, 28, generator=g)
    y = (X.mean(dim=(1, 2, 3)) > 0).long() + 2 * (X[:, 0, 0, 0] > 0).long()
    return TensorLoader(X, y, batch_size=64, shuffle=True, seed=seed)


def _snapshot(model, opt):
    ms = {k: v.clone() for k, v in model.state_dict().items()}
    st = opt.state_dict()
    os_ = {k: {kk: (vv.clone() if torch.is_tensor(vv) else vv) for kk, vv in v.items()}
           for k, v in st["state"].items()}
    groups = [dict(g) for g in st["param_groups"]]
    return ms, os_, groups


@pytest.mark.parametrize("make_opt,warm", [
    (lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-4), True),
    (lambda p: torch.optim.AdamW(p, lr=1e-3), True),
    (lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9), False),
])
def test_range_test_restores_model_and_optimizer_exactly(make_opt, warm):
    torch.manual_seed(0)
    model = small_bn_cnn(4, width=4)
    opt = make_opt(model.parameters())
    data = _problem()
    loss_fn = nn.CrossEntropyLoss()
    if warm:  # give the optimizer some state (momentum buffers, Adam moments, step counts)
        for X, y in list(data)[:3]:
            opt.zero_grad()
            loss_fn(model(X), y).backward()
            opt.step()
    model.eval()
    ms, os_, groups = _snapshot(model, opt)
    lrs, losses = rt.lr_range_test(model, loss_fn, opt, data, num_iter=30, end_lr=1.0)
    assert len(lrs) == len(losses) > 5
    assert not model.training  # mode restored
    for k, v in model.state_dict().items():
        assert torch.equal(v, ms[k]), k
    st = opt.state_dict()
    assert [dict(g) for g in st["param_groups"]] == groups
    assert st["state"].keys() == os_.keys()
    for k, v in st["state"].items():
        for kk, vv in v.items():
            assert (torch.equal(vv, os_[k][kk]) if torch.is_tensor(vv) else vv == os_[k][kk])
    # and training afterwards continues from the saved state (the state is live, not a copy)
    X, y = next(iter(data))
    opt.zero_grad()
    loss_fn(model(X), y).backward()
    opt.step()
    assert not torch.equal(model.state_dict()["0.weight"], ms["0.weight"])


def test_range_test_lr_sequence_is_exponential():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    lrs, _ = rt.lr_range_test(model, nn.CrossEntropyLoss(), opt, _problem(), start_lr=1e-6,
                              end_lr=1e-3, num_iter=10, diverge_factor=1e9)
    np.testing.assert_allclose(lrs, np.logspace(-6, -3, 10))  # re-iterates the 8-batch loader


def test_range_test_stops_on_divergence():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    lrs, losses = rt.lr_range_test(model, nn.CrossEntropyLoss(), opt, _problem(),
                                   start_lr=1e-4, end_lr=1e4, num_iter=200)
    assert len(lrs) < 200
    assert np.all(np.isfinite(losses))
    assert losses[-1] > 5.0 * losses.min() or lrs[-1] < 1e4


def test_range_test_stops_on_nan():
    class NaNAfter(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Sequential(nn.Flatten(), nn.Linear(784, 4))
            self.calls = 0

        def forward(self, x):
            self.calls += 1
            out = self.lin(x)
            return out * float("nan") if self.calls > 7 else out

    model = NaNAfter()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    lrs, losses = rt.lr_range_test(model, nn.CrossEntropyLoss(), opt, _problem(), num_iter=50)
    assert len(lrs) == 7 and np.all(np.isfinite(losses))


@pytest.mark.parametrize("kw,param", [
    (dict(start_lr=0.0), "start_lr"), (dict(end_lr=1e-9), "end_lr"), (dict(num_iter=1), "num_iter"),
    (dict(smooth=0.0), "smooth"), (dict(diverge_factor=1.0), "diverge_factor"),
])
def test_range_test_validation(kw, param):
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=param):
        rt.lr_range_test(model, nn.MSELoss(), opt, [], **kw)


def test_suggest_lr_picks_steepest_descent():
    lrs = np.logspace(-5, 0, 51)
    x = np.log10(lrs)
    losses = 2.0 - np.tanh(3 * (x + 2.5))  # steepest at lr = 10^-2.5
    assert rt.suggest_lr(lrs, losses) == pytest.approx(10 ** -2.5)
    a, b = rt.range_test_regions(lrs, losses)
    assert a < 10 ** -2.5 < b
    with pytest.raises(ValueError, match="lrs"):
        rt.suggest_lr(lrs[:5], losses[:5])
    with pytest.raises(ValueError, match="lrs"):
        rt.suggest_lr(lrs, losses[:-1])


def test_plot_range_test():
    from course_utils import fonts

    fonts.setup_cjk_font()
    lrs = np.logspace(-5, 0, 51)
    losses = 2.0 - np.tanh(3 * (np.log10(lrs) + 2.5)) + 5 * (lrs > 0.3) * lrs
    steep = rt.suggest_lr(lrs, losses)
    _, lr_min = rt.range_test_regions(lrs, losses)
    marks = {f"最陡处 {steep:.2g}": steep, f"最低点/10 {lr_min / 10:.2g}": lr_min / 10,
             "选用 0.05": 0.05}
    ax = rt.plot_range_test(lrs, losses, marks=marks)
    assert ax.get_xscale() == "log"
    assert len(ax.patches) == 3
    vlines = {line.get_label(): line.get_xdata()[0] for line in ax.get_lines()[1:]}
    assert vlines == pytest.approx(marks)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert all(label in legend for label in marks) and not any("建议" in t for t in legend)
    assert len(rt.plot_range_test(lrs, losses).get_lines()) == 1   # no marks: the curve only


@pytest.mark.parametrize("marks", [{"零": 0.0}, {"负": -1.0}, {"NaN": float("nan")},
                                   {"文字": "0.1"}, {str(i): 0.1 * (i + 1) for i in range(5)}])
def test_plot_range_test_rejects_bad_marks(marks):
    lrs = np.logspace(-5, 0, 20)
    with pytest.raises(ValueError, match="marks"):
        rt.plot_range_test(lrs, np.linspace(2, 1, 20), marks=marks)
