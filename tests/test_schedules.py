"""Tests for course_utils.schedules: closed forms, torch equivalence, validation, plotting."""

import warnings

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as S

from course_utils import schedules as sch


@pytest.fixture
def cjk_font():
    from course_utils import fonts

    fonts.setup_cjk_font()


def keras_cosine_decay_with_warmup(global_step, learning_rate_base, total_steps,
                                   warmup_learning_rate=0.0, warmup_steps=0,
                                   hold_base_rate_steps=0):
    """The Keras recipe, transcribed (reference implementation)."""
    learning_rate = 0.5 * learning_rate_base * (1 + np.cos(
        np.pi * (global_step - warmup_steps - hold_base_rate_steps)
        / float(total_steps - warmup_steps - hold_base_rate_steps)))
    if hold_base_rate_steps > 0:
        learning_rate = np.where(global_step > warmup_steps + hold_base_rate_steps,
                                 learning_rate, learning_rate_base)
    if warmup_steps > 0:
        slope = (learning_rate_base - warmup_learning_rate) / warmup_steps
        warmup_rate = slope * global_step + warmup_learning_rate
        learning_rate = np.where(global_step < warmup_steps, warmup_rate, learning_rate)
    return np.where(global_step > total_steps, 0.0, learning_rate)


@pytest.mark.parametrize("w,h,wlr", [(0, 0, 0.0), (10, 0, 0.0), (10, 20, 0.01), (0, 15, 0.0),
                                     (37, 5, 0.05)])
def test_cosine_with_warmup_matches_keras(w, h, wlr):
    steps = np.arange(0, 130)
    got = sch.cosine_with_warmup(steps, base_lr=0.1, total_steps=120, warmup_lr=wlr,
                                 warmup_steps=w, hold_steps=h)
    want = keras_cosine_decay_with_warmup(steps, 0.1, 120, wlr, w, h)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    for s in (0, w, w + h, 119, 120, 121):  # scalar steps give floats
        v = sch.cosine_with_warmup(s, base_lr=0.1, total_steps=120, warmup_lr=wlr,
                                   warmup_steps=w, hold_steps=h)
        assert isinstance(v, float) and v == pytest.approx(float(want[s]), abs=1e-15)


def test_cosine_with_warmup_key_points():
    f = lambda s: sch.cosine_with_warmup(s, base_lr=1.0, total_steps=100, warmup_lr=0.1,  # noqa
                                         warmup_steps=10, hold_steps=10)
    assert f(0) == pytest.approx(0.1)
    assert f(5) == pytest.approx(0.55)
    assert f(10) == f(20) == 1.0
    assert f(60) == pytest.approx(0.5)
    assert f(100) == pytest.approx(0.0, abs=1e-15)
    assert f(101) == 0.0 and f(10**6) == 0.0


def test_cosine_with_warmup_degenerate_no_decay_phase():
    # total == warmup + hold: Keras divides by zero, but the cosine branch is never used.
    steps = np.arange(0, 25)
    got = sch.cosine_with_warmup(steps, base_lr=0.2, total_steps=20, warmup_steps=10, hold_steps=10)
    assert np.all(np.isfinite(got))
    assert got[20] == 0.2 and got[21] == 0.0


@pytest.mark.parametrize("kwargs,param", [
    (dict(total_steps=5, warmup_steps=10), "warmup_steps"),
    (dict(total_steps=100, warmup_lr=0.5), "warmup_lr"),
    (dict(total_steps=0), "total_steps"),
    (dict(total_steps=10, hold_steps=-1), "hold_steps"),
    (dict(total_steps=10.5), "total_steps"),
])
def test_cosine_with_warmup_validation(kwargs, param):
    with pytest.raises(ValueError, match=param):
        sch.cosine_with_warmup(0, base_lr=0.1, **kwargs)


def test_validation_message_is_chinese():
    with pytest.raises(ValueError, match="总步数 total_steps"):
        sch.cosine_with_warmup(0, base_lr=0.1, total_steps=5, warmup_steps=10)
    with pytest.raises(ValueError, match="基础学习率 base_lr"):
        sch.cosine_with_warmup(0, base_lr=0.1, total_steps=50, warmup_lr=0.2, warmup_steps=10)


def test_classic_closed_forms():
    t = np.arange(50)
    np.testing.assert_allclose(sch.inverse_time(t, base_lr=0.5, decay_rate=0.1), 0.5 / (1 + 0.1 * t))
    np.testing.assert_allclose(sch.exponential(t, base_lr=0.5, gamma=0.95), 0.95 ** t * 0.5)
    np.testing.assert_allclose(sch.inverse_sqrt(t, base_lr=0.5, k=2.0), 2.0 / np.sqrt(t + 1) * 0.5)
    np.testing.assert_allclose(sch.step_decay(t, base_lr=1.0, step_size=10, gamma=0.5),
                               0.5 ** (t // 10))
    np.testing.assert_allclose(sch.constant(t, base_lr=0.3), np.full(50, 0.3))
    np.testing.assert_allclose(sch.polynomial(t, base_lr=1.0, total_steps=40, power=2.0),
                               np.clip(1 - t / 40, 0, 1) ** 2)
    np.testing.assert_allclose(sch.cosine(t, base_lr=1.0, total_steps=49, min_lr=0.1),
                               0.1 + 0.45 * (1 + np.cos(np.pi * t / 49)))
    assert sch.inverse_time(3, base_lr=1.0, decay_rate=1.0) == 0.25


@pytest.mark.parametrize("bad", [
    lambda: sch.step_decay(0, base_lr=0.1, step_size=0),
    lambda: sch.exponential(0, base_lr=-1.0),
    lambda: sch.exponential(0, base_lr=0.1, gamma=float("nan")),
    lambda: sch.triangular(0, base_lr=0.1, max_lr=0.01, step_size_up=5),
    lambda: sch.one_cycle(0, max_lr=0.1, total_steps=100, pct_start=1.5),
    lambda: sch.one_cycle(0, max_lr=0.1, total_steps=100, anneal="exp"),
    lambda: sch.inverse_sqrt(-1, base_lr=0.1),
])
def test_bad_arguments_raise(bad):
    with pytest.raises(ValueError):
        bad()


def _torch(make, n, **kw):
    return sch.record_lrs(make, n, **kw)


def test_against_torch_schedulers():
    n, lr = 60, 0.1
    t = np.arange(n)
    cases = [
        (lambda o: S.StepLR(o, step_size=7, gamma=0.5),
         sch.step_decay(t, base_lr=lr, step_size=7, gamma=0.5)),
        (lambda o: S.MultiStepLR(o, milestones=[10, 25, 40], gamma=0.3),
         sch.multistep(t, base_lr=lr, milestones=[10, 25, 40], gamma=0.3)),
        (lambda o: S.ExponentialLR(o, gamma=0.9), sch.exponential(t, base_lr=lr, gamma=0.9)),
        (lambda o: S.CosineAnnealingLR(o, T_max=n - 1, eta_min=0.001),
         sch.cosine(t, base_lr=lr, total_steps=n - 1, min_lr=0.001)),
        (lambda o: S.PolynomialLR(o, total_iters=40, power=2.0),
         sch.polynomial(t, base_lr=lr, total_steps=40, power=2.0)),
        (lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=8, step_size_down=12),
         sch.triangular(t, base_lr=0.01, max_lr=0.1, step_size_up=8, step_size_down=12)),
        (lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=n),
         sch.one_cycle(t, max_lr=0.5, total_steps=n)),
        (lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=n, pct_start=0.25,
                                anneal_strategy="linear", div_factor=10, final_div_factor=100),
         sch.one_cycle(t, max_lr=0.5, total_steps=n, pct_start=0.25, anneal="linear",
                       div_factor=10, final_div_factor=100)),
    ]
    for make, want in cases:
        np.testing.assert_allclose(_torch(make, n, lr=lr), want, rtol=1e-6, atol=1e-12)


def test_one_cycle_endpoints():
    v = sch.one_cycle(np.arange(100), max_lr=1.0, total_steps=100)
    assert v[0] == pytest.approx(1 / 25)
    assert v.max() == pytest.approx(1.0) and int(np.argmax(v)) == 29
    assert v[99] == pytest.approx(1 / 25 / 1e4)
    assert sch.one_cycle(150, max_lr=1.0, total_steps=100) == pytest.approx(1 / 25 / 1e4)


def test_triangular_shape():
    v = sch.triangular(np.arange(21), base_lr=0.0, max_lr=1.0, step_size_up=5)
    np.testing.assert_allclose(v[:11], [0, .2, .4, .6, .8, 1, .8, .6, .4, .2, 0])
    np.testing.assert_allclose(v[10:21], v[:11])


@pytest.mark.parametrize("kw", [dict(warmup_steps=10, hold_steps=5, warmup_lr=0.001),
                                dict(warmup_steps=0)])
def test_lambda_lr_adapter_follows_schedule_per_batch(kw):
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = sch.lambda_lr(opt, sch.cosine_with_warmup, base_lr=0.1, total_steps=50, **kw)
    got = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(55):
            got.append(opt.param_groups[0]["lr"])
            p.grad = torch.ones_like(p)
            opt.step()
            sched.step()
    want = sch.cosine_with_warmup(np.arange(55), base_lr=0.1, total_steps=50, **kw)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_lambda_lr_adapter_validates():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.0)
    with pytest.raises(ValueError, match="lr"):
        sch.lambda_lr(opt, sch.constant, base_lr=0.1)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="warmup_steps"):
        sch.lambda_lr(opt, sch.cosine_with_warmup, base_lr=0.1, total_steps=5, warmup_steps=9)
    with pytest.raises(TypeError):
        sch.lambda_lr(opt, 0.1)


def test_record_lrs_no_warnings_and_plateau():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lrs = sch.record_lrs(lambda o: S.StepLR(o, step_size=2, gamma=0.5), 5, lr=1.0)
        np.testing.assert_allclose(lrs, [1, 1, .5, .5, .25])
        metrics = [1.0, 0.9] + [0.9] * 8
        lrs = sch.record_lrs(lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=2),
                             10, lr=1.0, metrics=metrics)
    # best 0.9 at step 1; steps 2, 3, 4 are bad epochs → reduce after step 4 (patience 2 exceeded)
    np.testing.assert_allclose(lrs[:6], [1, 1, 1, 1, 1, .5])
    with pytest.raises(ValueError, match="metrics"):
        sch.record_lrs(lambda o: S.ReduceLROnPlateau(o), 5)
    with pytest.raises(ValueError, match="num_steps"):
        sch.record_lrs(lambda o: S.StepLR(o, 1), 0)


def test_plot_lr_curves_returns_axes(cjk_font):
    ax = sch.plot_lr_curves({"a": [1, 2], "b": [2, 1]}, title="t")
    assert len(ax.lines) == 2
    ax = sch.plot_lr_curves({"a": [1, 2, 3]}, x=[0.0, 0.5, 1.0])
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match="x"):
        sch.plot_lr_curves({"a": [1, 2, 3]}, x=[0.0, 1.0])
