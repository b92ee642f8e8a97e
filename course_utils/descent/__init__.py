"""Optimisation algorithms on toy objectives and from-scratch SGD (chapters 4 and 5).

Names are resolved lazily from the submodules listed in ``_EXPORTS`` (no import side effects).
"""

from importlib import import_module

_EXPORTS = {
    # chapter 4 — gradient descent and Newton's method (module gradient.py: a module named
    # gd.py would be shadowed by / shadow the function gd on this package)
    "DivergenceWarning": "gradient",
    "Trace": "gradient",
    "gd": "gradient",
    "newton": "gradient",
    "train_2d": "gradient",
    "gd_2d": "gradient",
    "preconditioned_gd": "gradient",
    "backtracking_line_search": "gradient",
    "gd_line_search": "gradient",
    "convergence_table": "gradient",
    "grad_2d": "gradient",
    # chapter 5 — SGD and minibatch SGD (module sgd.py; the update function itself is imported
    # as `from course_utils.descent.sgd import sgd`, because the submodule shadows that name here)
    "f_2d": "gradient",   # the objective x1² + 2·x2² shared by chapters 4 and 5
    "f_2d_grad": "sgd",   # = gradient.grad_2d under chapter 5's name
    "LR_FUNCTIONS": "sgd",
    "constant_lr": "sgd",
    "exponential_lr": "sgd",
    "polynomial_lr": "sgd",
    "gradient_noise": "sgd",
    "sgd_trace_2d": "sgd",
    "final_points_2d": "sgd",
    "squared_loss": "sgd",
    "init_linreg": "sgd",
    "train_minibatch": "sgd",
    "train_concise": "sgd",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
