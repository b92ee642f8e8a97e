"""Chapter 5: noisy SGD traces, minibatch SGD from scratch and with torch.optim, slider drawing."""

import math
import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from course_utils import descent
from course_utils.data import TensorLoader, synthetic_linear
from course_utils.demos.ch5_sgd import (
    fast_minibatch_sgd,
    least_squares_loss,
    make_minibatch_draw,
    minibatch_panel,
    noisy_trace_panel,
    plot_loss_curves,
    results_table,
)
from course_utils.descent.stochastic import (
    constant_lr,
    exponential_lr,
    f_2d,
    f_2d_grad,
    final_points_2d,
    gradient_noise,
    init_linreg,
    mean_distance_2d,
    polynomial_lr,
    sgd,
    sgd_trace_2d,
    squared_loss,
    train_concise,
    train_minibatch,
)


@pytest.fixture(scope="module", autouse=True)
def _cjk_font():
    from course_utils import fonts

    fonts.setup_cjk_font()


@pytest.fixture(scope="module")
def airfoil():
    d = os.environ.get("COURSE_DATA_DIR")
    if not d or not (Path(d) / "airfoil").is_dir():
        pytest.skip("没有离线 airfoil 数据（设置 COURSE_DATA_DIR 指向 shared/data）")
    from course_utils.data import airfoil_arrays

    return airfoil_arrays()


def _toy(n=300, seed=0):
    return synthetic_linear([2.0, -3.4, 1.0], 4.2, n, noise=0.1, seed=seed)


# --- 2-D noisy traces --------------------------------------------------------------------------
def test_objective_gradient_and_lr_factors_by_hand():
    assert f_2d(1.0, 2.0) == 9.0
    assert f_2d_grad(1.0, 2.0) == (2.0, 8.0)
    assert constant_lr(7) == 1.0
    assert exponential_lr(10) == pytest.approx(math.exp(-1.0))
    assert polynomial_lr(30) == pytest.approx(0.5)


@pytest.mark.parametrize("name,factor", [("constant", lambda t: 1.0),
                                         ("exponential", lambda t: math.exp(-0.1 * t)),
                                         ("polynomial", lambda t: (1 + 0.1 * t) ** -0.5)])
def test_trace_steps_match_hand_computation(name, factor):
    noise = gradient_noise(2, seed=3)
    x = np.array([-5.0, -2.0])
    expected = [x.copy()]
    for t in (1, 2):
        g = np.array([2 * x[0], 4 * x[1]]) + noise[t - 1]
        x = x - 0.1 * factor(t) * g
        expected.append(x.copy())
    trace = sgd_trace_2d(name, eta=0.1, steps=2, seed=3)
    np.testing.assert_allclose(trace, np.array(expected), rtol=1e-12)
    assert trace.shape == (3, 2)


def test_trace_is_seeded_and_noise_free_limit_is_gd():
    a = sgd_trace_2d("constant", steps=20, seed=1)
    np.testing.assert_array_equal(a, sgd_trace_2d(constant_lr, steps=20, seed=1))
    assert not np.array_equal(a, sgd_trace_2d("constant", steps=20, seed=2))
    clean = sgd_trace_2d("constant", steps=20, noise_std=0.0)
    np.testing.assert_allclose(clean[-1], [-5 * 0.8 ** 20, -2 * 0.6 ** 20])


def test_noise_is_zero_mean_but_the_bug_is_not():
    fixed = gradient_noise(200_000, seed=0)
    buggy = gradient_noise(200_000, mean=0.1, seed=0)  # what np.random.normal(0.1) draws
    np.testing.assert_allclose(fixed.mean(axis=0), 0.0, atol=0.01)
    np.testing.assert_allclose(fixed.std(axis=0), 1.0, atol=0.01)
    np.testing.assert_allclose(buggy.mean(axis=0), 0.1, atol=0.01)
    ref = np.random.default_rng(0).normal(0.1, size=(1000, 2))  # the bug, literally
    np.testing.assert_allclose(ref, gradient_noise(1000, mean=0.1, seed=0))


def test_biased_noise_drifts_to_the_shifted_minimum():
    kw = dict(num_runs=400, steps=100, x0=(0.0, 0.0))
    unbiased = final_points_2d("constant", **kw).mean(axis=0)
    biased = final_points_2d("constant", noise_mean=0.1, **kw).mean(axis=0)
    # E[g] = ∇f + 0.1 vanishes at (-0.05, -0.025) instead of at the true minimum (0, 0)
    np.testing.assert_allclose(unbiased, [0.0, 0.0], atol=0.03)
    np.testing.assert_allclose(biased, [-0.05, -0.025], atol=0.03)
    assert biased[0] < unbiased[0] - 0.02


def test_decayed_lr_settles_closer_than_constant():
    spread = {n: np.linalg.norm(final_points_2d(n, num_runs=100, steps=200), axis=1).mean()
              for n in ("constant", "polynomial")}
    assert spread["polynomial"] < spread["constant"]


def test_trace_bad_input():
    with pytest.raises(ValueError, match="lr_fn"):
        sgd_trace_2d("cosine")
    with pytest.raises(ValueError, match="eta"):
        sgd_trace_2d(eta=0)
    with pytest.raises(ValueError, match="steps"):
        sgd_trace_2d(steps=0)
    with pytest.raises(TypeError, match="lr_fn"):
        sgd_trace_2d(3)


# --- minibatch SGD -----------------------------------------------------------------------------
def test_sgd_update_by_hand_and_zeroes_gradients():
    p = torch.tensor([1.0, 2.0], requires_grad=True)
    q = torch.tensor([[3.0]], requires_grad=True)
    (0.5 * p[0] - p[1] + 2 * q.sum()).backward()  # grads (0.5, -1) and 2
    sgd([p, q], None, {"lr": 0.1})
    np.testing.assert_allclose(p.detach().numpy(), [0.95, 2.1], rtol=1e-6)
    np.testing.assert_allclose(q.detach().numpy(), [[2.8]], rtol=1e-6)
    assert p.grad.abs().sum() == 0 and q.grad.abs().sum() == 0
    assert p.requires_grad


def test_sgd_bad_hyperparams():
    p = torch.zeros(2, requires_grad=True)
    p.grad = torch.ones(2)
    for bad in ({}, {"lr": -1.0}, {"lr": 0}, None):
        with pytest.raises(ValueError, match="lr"):
            sgd([p], None, bad)


def test_squared_loss_and_init():
    y_hat, y = torch.tensor([[1.0], [3.0]]), torch.tensor([0.0, 1.0])
    np.testing.assert_allclose(squared_loss(y_hat, y).numpy().ravel(), [0.5, 2.0])
    w, b = init_linreg(5, seed=0)
    assert w.shape == (5, 1) and b.shape == (1,) and w.requires_grad
    assert torch.equal(w, init_linreg(5, seed=0)[0]) and float(w.detach().abs().max()) < 0.05
    with pytest.raises(ValueError, match="feature_dim"):
        init_linreg(0)


def test_one_training_step_matches_closed_form_gradient():
    X, y = _toy(4)
    it = TensorLoader(X, y, batch_size=4)  # one batch, no shuffling
    res = train_minibatch(sgd, None, {"lr": 0.1}, it, 3, num_epochs=1, every=4)
    w, b = init_linreg(3, seed=0)
    w, b = w.detach().double(), b.detach().double()
    Xd, yd = X.double(), y.double()
    r = Xd @ w[:, 0] + b - yd
    w1, b1 = w[:, 0] - 0.1 * (Xd.T @ r) / 4, b - 0.1 * r.mean()
    expected = float((0.5 * (Xd @ w1 + b1 - yd) ** 2).mean())
    assert res.curve.losses[-1] == pytest.approx(expected, rel=1e-5)
    assert list(res.curve.updates) == [0, 1]


def test_loss_is_sampled_every_100_examples():
    X, y = _toy(300)
    res = train_minibatch(sgd, None, {"lr": 0.01}, TensorLoader(X, y, batch_size=1, shuffle=True),
                          3, num_epochs=2)
    np.testing.assert_allclose(res.curve.epochs, np.arange(7) / 3)
    assert list(res.curve.updates) == [0, 100, 200, 300, 400, 500, 600]
    assert np.all(np.diff(res.curve.times) >= 0) and res.sec_per_epoch > 0
    curve, sec = res  # unpacks as (curve, seconds per epoch)
    assert sec == res.sec_per_epoch and res.updates_per_epoch == 300
    # a batch size that does not divide 100 still samples each time 100 more examples are seen
    res = train_minibatch(sgd, None, {"lr": 0.01}, TensorLoader(X, y, batch_size=32), 3,
                          num_epochs=1)
    assert list(res.curve.updates) == [0, 4, 7, 10]  # after 128, 224 and 300 examples
    assert res.curve.epochs[-1] == 1.0


@pytest.mark.parametrize("batch_size", [1, 7, 300])
def test_scratch_and_torch_optim_follow_the_same_trajectory(batch_size):
    X, y = _toy(300)
    hp = {"lr": 0.05}
    a = train_minibatch(sgd, None, hp, TensorLoader(X, y, batch_size=batch_size, shuffle=True,
                                                    seed=5), 3, num_epochs=2, seed=1)
    b = train_concise(torch.optim.SGD, hp, TensorLoader(X, y, batch_size=batch_size, shuffle=True,
                                                        seed=5), num_epochs=2, seed=1)
    np.testing.assert_allclose(a.curve.epochs, b.curve.epochs)
    np.testing.assert_allclose(a.curve.losses, b.curve.losses, rtol=1e-4, atol=1e-6)
    assert a.curve.losses[-1] < a.curve.losses[0]


def test_fast_numpy_path_matches_autograd_version():
    X, y = _toy(300)
    for bs, sched_lr in ((1, 0.01), (10, 0.05), (300, 0.5)):
        ref = train_minibatch(sgd, None, {"lr": sched_lr},
                              TensorLoader(X, y, batch_size=bs, shuffle=True, seed=2), 3,
                              num_epochs=2, seed=2)
        epochs, losses = fast_minibatch_sgd(X, y, batch_size=bs, lr=sched_lr, num_epochs=2, seed=2)
        np.testing.assert_allclose(epochs, ref.curve.epochs)
        np.testing.assert_allclose(losses, ref.curve.losses, rtol=1e-3, atol=1e-5)


def test_fast_path_schedules_and_bad_input():
    X, y = _toy(300)
    finals = {s: fast_minibatch_sgd(X, y, batch_size=10, lr=0.05, schedule=s)[1][-1]
              for s in ("constant", "exponential", "polynomial")}
    assert len(set(np.round(list(finals.values()), 8))) == 3
    _, diverged = fast_minibatch_sgd(X, y, batch_size=10, lr=50.0)
    assert not np.isfinite(diverged[-1])
    with pytest.raises(ValueError, match="schedule"):
        fast_minibatch_sgd(X, y, batch_size=10, lr=0.1, schedule="cosine")
    with pytest.raises(ValueError, match="batch_size"):
        fast_minibatch_sgd(X, y, batch_size=0, lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        fast_minibatch_sgd(X, y, batch_size=1, lr=0.0)


def test_training_bad_input_and_divergence():
    X, y = _toy(100)
    it = TensorLoader(X, y, batch_size=10)
    with pytest.raises(ValueError, match="num_epochs"):
        train_minibatch(sgd, None, {"lr": 0.1}, it, 3, num_epochs=0)
    with pytest.raises(FloatingPointError, match="lr"):
        train_minibatch(sgd, None, {"lr": 1e3}, it, 3, num_epochs=3)
    with pytest.raises(TypeError, match="trainer_cls"):
        train_concise(sgd, {"lr": 0.1}, it)


def test_airfoil_runs_reach_d2l_losses(airfoil):
    from course_utils.data import load_airfoil

    runs = {(1500, 1.0, 10), (100, 0.4, 2), (10, 0.05, 2)}
    for bs, lr, epochs in runs:
        it, dim = load_airfoil(bs)
        res = train_minibatch(sgd, None, {"lr": lr}, it, dim, epochs)
        assert 0.235 < res.final_loss < 0.255, (bs, res.final_loss)
    assert 0.2 < least_squares_loss(*airfoil) < 0.245


def test_package_exports():
    from course_utils.demos import ch4_convex_optimization as convex_demos

    assert descent.train_minibatch is train_minibatch
    assert descent.sgd_trace_2d is sgd_trace_2d
    assert "train_concise" in dir(descent)
    # the objective is chapter 4's, not a copy
    assert descent.f_2d is f_2d is convex_demos.f_2d
    assert descent.f_2d_grad is f_2d_grad is convex_demos.grad_2d


# --- figures and the slider panels ---------------------------------------------------------------
def _assert_each_control_redraws(panel, changes, max_seconds=None):
    """Move each control in turn; the figure must change every time (and redraw quickly)."""
    before = panel.png()
    for name, value in changes:
        t0 = time.perf_counter()
        panel.widgets[name].value = value
        if max_seconds is not None:
            assert time.perf_counter() - t0 < max_seconds, name
        after = panel.png()
        assert after != before, name
        before = after
    assert panel.num_draws == len(changes) + 1


def test_minibatch_slider_redraws_fast_and_changes(airfoil):
    draw = make_minibatch_draw(*airfoil)
    panel = minibatch_panel(draw)
    # well under a second on an idle machine; generous for a loaded one
    assert panel.widgets["batch_size"].options[-1] == ("1500", 1500)  # exactly the whole set
    _assert_each_control_redraws(panel, (("batch_size", 1), ("lr", 0.01),
                                         ("schedule", "exponential"), ("num_epochs", 5)),
                                 max_seconds=1.5)
    fig = draw(batch_size=1500, lr=1.0, num_epochs=10)
    assert "10 次更新" in fig.axes[0].get_title()
    assert "发散" in draw(batch_size=10, lr=50.0).axes[0].get_title()


def test_loss_curve_figure_and_table():
    X, y = _toy(200)
    results = {f"批量 {bs}": train_minibatch(sgd, None, {"lr": 0.05},
                                              TensorLoader(X, y, batch_size=bs, shuffle=True), 3)
               for bs in (1, 200)}
    fig = plot_loss_curves(results, ylim=None)
    assert len(fig.axes) == 2 and all(ax.get_xscale() == "log" for ax in fig.axes)
    assert len(fig.axes[0].lines) == 2
    assert len(plot_loss_curves(results, best=0.1).axes[0].lines) == 3  # + reference line
    table = results_table(results)
    assert table.headers == ["设置", "最终损失", "更新次数/轮", "毫秒/轮", "毫秒/次更新"]
    assert table.column("设置") == ["批量 1", "批量 200"]
    assert table.column("更新次数/轮") == ["200", "1"]
    assert table.align == ["left"] + ["right"] * 4
    assert table.column("最终损失")[0] == f"{results['批量 1'].final_loss:.3f}"
    per_epoch, per_update = (float(v) for v in (table.column("毫秒/轮")[0],
                                                 table.column("毫秒/次更新")[0]))
    assert per_update == pytest.approx(per_epoch / 200, rel=0.02)
    assert "<table>" in table._repr_html_() and str(table).startswith("| 设置 |")
    with pytest.raises(ValueError, match="results"):
        results_table({})


def test_table_numbers_have_three_significant_digits():
    from course_utils.demos.ch5_sgd import _sig3

    assert [_sig3(x) for x in (0.2149, 2.371, 23.18, 230.39, 1061.9)] == \
        ["0.215", "2.37", "23.2", "230", "1062"]


def test_noisy_trace_slider_changes_with_each_control():
    panel = noisy_trace_panel(schedule="constant")
    _assert_each_control_redraws(panel, (("schedule", "polynomial"), ("eta", 0.2),
                                         ("noise_mean", 0.5), ("steps", 200)))
    assert "200 步后" in panel.figure.axes[0].get_title()


def test_noisy_trace_marks_the_biased_zero_point():
    from course_utils.demos.ch5_sgd import draw_noisy_trace

    def marked(fig):
        return [tuple(np.ravel(line.get_xydata())) for line in fig.axes[0].lines
                if line.get_label() == "有偏梯度的零点"]

    assert marked(draw_noisy_trace(noise_mean=0.0)) == []
    assert marked(draw_noisy_trace(noise_mean=1.0)) == [(-0.5, -0.25)]


def test_mean_distance_matches_traces_and_shrinks_with_decay():
    # statistically the same process as sgd_trace_2d (other noise draws): compare means
    vec = mean_distance_2d("polynomial", [50], num_runs=2000)[0]
    loop = np.linalg.norm(final_points_2d("polynomial", num_runs=300, steps=50), axis=1).mean()
    assert vec == pytest.approx(loop, rel=0.1)
    # seeded, and the values come back in the order the checkpoints were given
    d = mean_distance_2d("constant", [30, 10], num_runs=50)
    np.testing.assert_array_equal(d, mean_distance_2d("constant", [10, 30], num_runs=50)[::-1])
    m = mean_distance_2d(lambda t: t ** -1.0, [100, 1000, 10000], eta=0.3, num_runs=400)
    assert m[0] > m[1] > m[2]
    slope = np.polyfit(np.log([100, 1000, 10000]), np.log(m), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.1)  # E‖x_T‖ ~ T^(-1/2) for η_t ∝ 1/t here
    with pytest.raises(ValueError, match="checkpoints"):
        mean_distance_2d("constant", [0])
    with pytest.raises(ValueError, match="eta"):
        mean_distance_2d("constant", [5], eta=-1.0)
