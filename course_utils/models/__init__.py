"""Models taught in the chapters, importable as ``from course_utils.models import resnet18``.

Names are resolved lazily from the submodules listed in ``_EXPORTS`` (no import side effects).
"""

from importlib import import_module

_EXPORTS = {
    # chapter 2 — batch normalization
    "batch_norm": "batchnorm",
    "BatchNorm": "batchnorm",
    "lenet": "lenet",
    # chapter 3 — ResNet / DenseNet
    "Residual": "resnet",
    "resnet18": "resnet",
    "plain_cnn": "resnet",
    "conv_block": "densenet",
    "DenseBlock": "densenet",
    "transition_block": "densenet",
    "densenet": "densenet",
    "count_parameters": "summary",
    "layer_shapes": "summary",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
