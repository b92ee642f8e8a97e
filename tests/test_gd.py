"""Tests for course_utils.descent (chapter 4: GD, Newton, line search, preconditioning)."""

import math
import warnings

import numpy as np
import pytest

from course_utils.descent import (
    DivergenceWarning,
    Trace,
    backtracking_line_search,
    convergence_table,
    gd,
    gd_2d,
    gd_line_search,
    newton,
    preconditioned_gd,
    train_2d,
)

C = 0.15 * math.pi


def test_package_exports_functions_not_modules():
    import course_utils.descent as descent

    assert callable(descent.gd) and descent.gd is gd
    assert not isinstance(descent.gd, type(math))


def test_gd_on_square_closed_form():
    trace = gd(lambda x: 2 * x, 10.0, 0.2, 10)
    assert isinstance(trace, Trace) and not trace.diverged and trace.message == ""
    assert len(trace) == 11 and trace[0] == 10.0
    for k, x in enumerate(trace):  # x_k = 10 * (1 - 2 lr)^k
        assert x == pytest.approx(10 * 0.6 ** k, rel=1e-12)
    assert trace[-1] == pytest.approx(0.0604662, abs=1e-7)


@pytest.mark.parametrize("lr", [0.05, 0.2, 0.45, 1.1])
def test_gd_linear_rate(lr):
    trace = gd(lambda x: 2 * x, 3.0, lr, 7)
    assert trace[-1] == pytest.approx(3.0 * (1 - 2 * lr) ** 7, rel=1e-12)


def test_gd_lr_1_1_grows_without_flag_for_10_steps():
    trace = gd(lambda x: 2 * x, 10.0, 1.1, 10)
    assert not trace.diverged
    mags = [abs(x) for x in trace]
    assert all(b > a for a, b in zip(mags, mags[1:], strict=False))
    assert trace[-1] == pytest.approx(10 * 1.2 ** 10)


def test_gd_divergence_reported_not_raised():
    with pytest.warns(DivergenceWarning, match="发散"):
        trace = gd(lambda x: 2 * x, 10.0, 1.1, 1000)
    assert trace.diverged and "lr=1.1" in trace.message
    assert all(np.isfinite(trace)) and trace.num_steps < 1000


def test_gd_overflow_and_nan_reported():
    with pytest.warns(DivergenceWarning, match="OverflowError"):
        trace = gd(lambda x: x ** 3, 10.0, 1.0, 50, max_abs=float("inf"))
    assert trace.diverged
    with pytest.warns(DivergenceWarning, match="NaN"):
        trace = gd(lambda x: float("nan"), 1.0, 0.1, 5)
    assert trace.diverged and trace == [1.0]


def test_warn_false_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = gd(lambda x: 2 * x, 10.0, 1.1, 1000, warn=False)
    assert trace.diverged


def test_gd_vector():
    A = np.diag([2.0, 4.0])
    trace = gd(lambda x: A @ x, np.array([-5.0, -2.0]), 0.1, 20)
    np.testing.assert_allclose(trace[-1], [-5 * 0.8 ** 20, -2 * 0.6 ** 20], rtol=1e-12)
    assert trace[0] is not trace[1]


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=0.0), "lr"), (dict(lr=-1.0), "lr"), (dict(lr=float("inf")), "lr"),
    (dict(num_steps=-1), "num_steps"), (dict(num_steps=2.5), "num_steps"),
    (dict(x0="a"), "x0"), (dict(x0=float("nan")), "x0"),
])
def test_gd_bad_input(kwargs, match):
    args = dict(grad=lambda x: 2 * x, x0=1.0, lr=0.1, num_steps=3) | kwargs
    with pytest.raises(ValueError, match=match):
        gd(**args)


def _cosh_derivs(c=0.5):
    return lambda x: c * math.sinh(c * x), lambda x: c * c * math.cosh(c * x)


def test_newton_cosh_converges_within_10_steps():
    trace = newton(*_cosh_derivs(), 10.0)
    assert not trace.diverged and len(trace) == 11
    assert any(abs(x) < 1e-6 for x in trace)
    assert abs(trace[-1]) < 1e-12


def test_newton_quadratic_convergence():
    # f(x) = exp(x) - 2x, minimum at ln 2; e_{k+1} / e_k^2 -> f'''/(2 f'') = 1/2
    trace = newton(lambda x: math.exp(x) - 2, math.exp, 1.5, num_steps=6)
    rows = convergence_table(trace, math.log(2))
    errors = [r[2] for r in rows]
    ratios = [r[3] for r in rows if r[2] > 1e-14 and not math.isnan(r[3])]
    assert ratios[-1] == pytest.approx(0.5, rel=0.05)
    assert errors[4] < errors[3] ** 2  # the error (at least) squares
    assert errors[-1] < 1e-15


def test_newton_on_quadratic_is_one_step_exact():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    trace = newton(lambda x: A @ x - b, lambda x: A, np.zeros(2), num_steps=1)
    np.testing.assert_allclose(trace[-1], np.linalg.solve(A, b))


def test_newton_nonconvex_wrong_way_and_damping():
    def grad(x):
        return math.cos(C * x) - C * x * math.sin(C * x)

    def hess(x):
        return -2 * C * math.sin(C * x) - x * C * C * math.cos(C * x)

    f = lambda x: x * math.cos(C * x)
    plain = newton(grad, hess, 10.0, num_steps=10)
    damped = newton(grad, hess, 10.0, lr=0.5, num_steps=10)
    assert hess(plain[-1]) < 0 and f(plain[-1]) > f(10.0)  # ends at a local maximum
    assert hess(damped[-1]) > 0 and f(damped[-1]) < f(10.0)  # a local minimum
    assert abs(grad(damped[-1])) < 1e-2


def test_newton_zero_hessian_reported():
    with pytest.warns(DivergenceWarning, match="牛顿法"):
        trace = newton(lambda x: 1.0, lambda x: 0.0, 1.0)
    assert trace.diverged and trace == [1.0]


def test_train_2d_gd_closed_form():
    trace = train_2d(gd_2d(lambda a, b: (2 * a, 4 * b), 0.1), (-5, -2), 20)
    assert len(trace) == 21 and trace[0] == (-5.0, -2.0)
    assert all(isinstance(p, tuple) and len(p) == 2 for p in trace)
    assert trace[-1][0] == pytest.approx(-5 * 0.8 ** 20)
    assert trace[-1][1] == pytest.approx(-2 * 0.6 ** 20)


def test_train_2d_divergence_and_bad_x0():
    with pytest.warns(DivergenceWarning):
        trace = train_2d(gd_2d(lambda a, b: (2 * a, 4 * b), 0.6), num_steps=500)
    assert trace.diverged
    with pytest.raises(ValueError, match="x0"):
        train_2d(lambda a, b: (a, b), x0=(1, 2, 3))
    with pytest.raises(ValueError, match="lr"):
        gd_2d(lambda a, b: (a, b), 0)


def test_preconditioning_fixes_ill_conditioning():
    A = np.diag([1.0, 100.0])
    grad = lambda x: A @ x
    x0 = np.array([1.0, 1.0])
    plain = gd(grad, x0, 0.0099, 50)
    pre = preconditioned_gd(grad, x0, 1.0, 1, 1 / np.diag(A))
    assert np.linalg.norm(plain[-1]) > 0.5
    np.testing.assert_allclose(pre[-1], 0.0, atol=1e-14)


def test_line_search():
    f = lambda x: x ** 2
    assert backtracking_line_search(f, 2 * 10.0, 10.0, lr0=1.0) == 0.5
    trace = gd_line_search(f, lambda x: 2 * x, 10.0, 3)
    assert trace[1] == 0.0 and trace.lrs[0] == 0.5
    with pytest.raises(ValueError, match="beta"):
        backtracking_line_search(f, 1.0, 1.0, beta=1.5)
