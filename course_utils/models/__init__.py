"""Models taught in the chapters, importable as ``from course_utils.models import resnet18``.

Submodules are named after families (``cnns``, ``resnets``, ``densenets``, ``batchnorm``,
``summary``) so that no exported function or class shares a submodule's name.
"""

from course_utils.models.batchnorm import BatchNorm, batch_norm
from course_utils.models.cnns import lenet, small_bn_cnn
from course_utils.models.densenets import DenseBlock, conv_block, densenet, transition_block
from course_utils.models.resnets import Residual, plain_cnn, resnet18
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
    "small_bn_cnn",
    "transition_block",
]
