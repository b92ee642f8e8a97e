import pytest
import torch
from torch import nn

from course_utils.models.densenets import DenseBlock, conv_block, densenet, transition_block
from course_utils.models.summary import count_parameters


def test_conv_block_is_bn_relu_conv():
    blk = conv_block(3, 5)
    assert [type(m) for m in blk] == [nn.BatchNorm2d, nn.ReLU, nn.Conv2d]
    assert blk(torch.rand(2, 3, 6, 6)).shape == (2, 5, 6, 6)


def test_standard_dense_block_and_transition():
    blk = DenseBlock(2, 3, 10)
    assert blk.out_channels == 23
    Y = blk(torch.rand(4, 3, 8, 8))
    assert Y.shape == (4, 23, 8, 8)
    assert transition_block(23, 10)(Y).shape == (4, 10, 4, 4)


def test_dense_block_keeps_its_input():
    blk = DenseBlock(3, 4, 2).eval()
    X = torch.rand(1, 4, 5, 5)
    torch.testing.assert_close(blk(X)[:, :4], X)  # concatenation: the input passes through


@pytest.mark.parametrize("num_convs,in_channels,growth", [(1, 1, 1), (4, 64, 32), (6, 12, 5)])
def test_channel_arithmetic(num_convs, in_channels, growth):
    blk = DenseBlock(num_convs, in_channels, growth)
    assert blk.out_channels == in_channels + num_convs * growth
    assert blk(torch.rand(1, in_channels, 4, 4)).shape[1] == blk.out_channels


def test_dense_block_parameter_count_by_hand():
    # conv_block(3, 10): BN 2·3 + conv 3·10·9 + 10; conv_block(13, 10): BN 2·13 + 13·10·9 + 10
    assert count_parameters(DenseBlock(2, 3, 10)) == (6 + 280) + (26 + 1180)


def test_transition_parameters_and_pool():
    t = transition_block(23, 10)
    assert isinstance(t[-1], nn.AvgPool2d)
    assert count_parameters(t) == 2 * 23 + 23 * 10 + 10


def test_full_model_shapes_96():
    net = densenet().eval()
    X = torch.zeros(1, 1, 96, 96)
    channels = []
    for layer in net:
        X = layer(X)
        if isinstance(layer, DenseBlock):
            channels.append((X.shape[1], X.shape[2]))
    assert channels == [(192, 24), (224, 12), (240, 6), (248, 3)]
    assert X.shape == (1, 10)


@pytest.mark.parametrize("stem_stride", [1, 2])
def test_small_input_runs_on_28(stem_stride):
    net = densenet(growth_rate=4, block_sizes=(2, 2, 2), small_input=True, stem_stride=stem_stride)
    assert net(torch.rand(2, 1, 28, 28)).shape == (2, 10)


def test_bad_arguments():
    with pytest.raises(ValueError, match="block_sizes"):
        densenet(block_sizes=())
    with pytest.raises(ValueError, match="growth_rate"):
        DenseBlock(2, 3, 0)
    with pytest.raises(ValueError, match="stem_stride"):
        densenet(stem_stride=2)
