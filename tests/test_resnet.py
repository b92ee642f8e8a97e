import pytest
import torch
from torch import nn

from course_utils.models.resnets import Residual, plain_cnn, resnet18, small_resnet
from course_utils.models.summary import count_parameters


def test_resnet18_standard_parameter_count():
    assert count_parameters(resnet18(num_classes=10, in_channels=1, width=64)) == 11_178_378


def test_lazy_export():
    from course_utils.models import Residual as R
    from course_utils.models import plain_cnn as P
    from course_utils.models import resnet18 as r

    assert R is Residual and P is plain_cnn and r is resnet18


def test_resnet18_shapes_96():
    net = resnet18().eval()
    X = torch.zeros(2, 1, 96, 96)
    shapes = []
    for layer in net:
        X = layer(X)
        shapes.append(tuple(X.shape))
    assert shapes[:5] == [(2, 64, 24, 24), (2, 64, 24, 24), (2, 128, 12, 12), (2, 256, 6, 6),
                          (2, 512, 3, 3)]
    assert shapes[-1] == (2, 10)


@pytest.mark.parametrize("stem_stride", [1, 2])
def test_small_input_runs_on_28(stem_stride):
    net = resnet18(width=8, small_input=True, stem_stride=stem_stride)
    out = net(torch.rand(3, 1, 28, 28))
    assert out.shape == (3, 10)
    assert net[0](torch.zeros(1, 1, 28, 28)).shape == (1, 8, 28 // stem_stride, 28 // stem_stride)


def test_width_and_classes_and_channels():
    net = resnet18(num_classes=7, in_channels=3, width=4, small_input=True)
    assert net(torch.rand(2, 3, 28, 28)).shape == (2, 7)
    assert net[-1].in_features == 32


def test_residual_shapes():
    X = torch.rand(4, 3, 6, 6)
    assert Residual(3, 3)(X).shape == (4, 3, 6, 6)
    blk = Residual(3, 6, use_1x1conv=True, strides=2)
    assert blk(X).shape == (4, 6, 3, 3)
    assert isinstance(blk.conv3, nn.Conv2d) and blk.conv3.kernel_size == (1, 1)


def test_residual_needs_1x1_when_shapes_change():
    with pytest.raises(ValueError, match="use_1x1conv"):
        Residual(3, 6)
    with pytest.raises(ValueError, match="strides"):
        Residual(3, 3, strides=2)


@pytest.mark.parametrize("training", [True, False])
def test_identity_when_branch_zero_initialised(training):
    torch.manual_seed(0)
    blk = Residual(5, 5)
    nn.init.zeros_(blk.bn2.weight)
    nn.init.zeros_(blk.bn2.bias)
    blk.train(training)
    X = torch.relu(torch.randn(2, 5, 7, 7))  # a block's input is the output of a ReLU
    torch.testing.assert_close(blk(X), X)


def test_bad_arguments_raise_in_chinese():
    with pytest.raises(ValueError, match="width"):
        resnet18(width=0)
    with pytest.raises(ValueError, match="num_classes"):
        resnet18(num_classes=1.5)
    with pytest.raises(ValueError, match="stem_stride"):
        resnet18(stem_stride=2)


def _convs(net):
    return [m for m in net.modules() if isinstance(m, nn.Conv2d)]


@pytest.mark.parametrize("depth", [8, 14, 20])
def test_plain_and_residual_twins(depth):
    plain, res = plain_cnn(depth, width=4), small_resnet(depth, width=4)
    shortcut = [m for m in _convs(res) if m.kernel_size == (1, 1)]
    assert len(_convs(plain)) == depth - 1  # plus the linear layer = depth weight layers
    assert len(_convs(res)) - len(shortcut) == depth - 1
    assert len(shortcut) == 2  # one per stage that changes shape
    extra = sum(p.numel() for m in shortcut for p in m.parameters())
    assert count_parameters(res) == count_parameters(plain) + extra
    X = torch.rand(2, 1, 28, 28)
    assert plain(X).shape == res(X).shape == (2, 10)


def test_plain_cnn_depth_must_fit():
    with pytest.raises(ValueError, match="depth"):
        plain_cnn(10)
    with pytest.raises(ValueError, match="depth"):
        small_resnet(4)
    assert plain_cnn(6, stages=2, width=4, stem_stride=2)(torch.rand(1, 1, 28, 28)).shape == (1, 10)
