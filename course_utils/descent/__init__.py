"""Optimisation algorithms on toy objectives and from-scratch SGD (chapters 4 and 5).

Two submodules, imported plainly: ``gradient`` (chapter 4: gradient descent, Newton's method,
preconditioning, line search) and ``stochastic`` (chapter 5: noisy SGD traces, the minibatch SGD
update ``sgd`` and its training loops). No exported name equals a submodule's name, so
``descent.sgd`` is the update function and ``descent.gd`` the gradient-descent loop.
"""

from course_utils.descent.gradient import (
    DivergenceWarning,
    Trace,
    backtracking_line_search,
    convergence_table,
    f_2d,
    gd,
    gd_2d,
    gd_line_search,
    grad_2d,
    newton,
    preconditioned_gd,
    train_2d,
)
from course_utils.descent.stochastic import (
    LR_FUNCTIONS,
    LossCurve,
    TrainResult,
    constant_lr,
    exponential_lr,
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

__all__ = [
    "DivergenceWarning",
    "LR_FUNCTIONS",
    "LossCurve",
    "Trace",
    "TrainResult",
    "backtracking_line_search",
    "constant_lr",
    "convergence_table",
    "exponential_lr",
    "f_2d",
    "f_2d_grad",
    "final_points_2d",
    "gd",
    "gd_2d",
    "gd_line_search",
    "grad_2d",
    "gradient_noise",
    "init_linreg",
    "mean_distance_2d",
    "newton",
    "polynomial_lr",
    "preconditioned_gd",
    "sgd",
    "sgd_trace_2d",
    "squared_loss",
    "train_2d",
    "train_concise",
    "train_minibatch",
]
