"""Models taught in the chapters, importable as ``from course_utils.models import resnet18``.

The names are bound eagerly: a lazy lookup would let the submodules ``densenet`` / ``lenet``
shadow the functions of the same name.
"""

from course_utils.models.batchnorm import BatchNorm, batch_norm
from course_utils.models.densenet import DenseBlock, conv_block, densenet, transition_block
from course_utils.models.lenet import lenet
from course_utils.models.resnet import Residual, plain_cnn, resnet18
from course_utils.models.summary import count_parameters, layer_shapes

__all__ = [
    "BatchNorm",
    "DenseBlock",
    "Residual",
    "batch_norm",
    "conv_block",
    "count_parameters",
    "densenet",
    "layer_shapes",
    "lenet",
    "plain_cnn",
    "resnet18",
    "transition_block",
]
