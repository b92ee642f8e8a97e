"""LeNet with and without batch normalization."""

import time

import pytest
import torch
from torch import nn

from course_utils.models.batchnorm import BatchNorm
from course_utils.models.cnns import lenet, small_bn_cnn


@pytest.mark.parametrize("bn,impl,act", [(False, "scratch", "sigmoid"), (True, "scratch", "relu"),
                                         (True, "torch", "sigmoid")])
def test_shapes_and_layers(bn, impl, act):
    net = lenet(batch_norm=bn, bn_impl=impl, activation=act)
    out = net(torch.rand(3, 1, 28, 28))
    assert out.shape == (3, 10)
    kinds = {type(m) for m in net.modules()}
    assert (nn.Sigmoid in kinds) == (act == "sigmoid")
    n_bn = sum(isinstance(m, (BatchNorm, nn.BatchNorm1d, nn.BatchNorm2d)) for m in net.modules())
    assert n_bn == (4 if bn else 0)
    if bn:
        assert (BatchNorm in kinds) == (impl == "scratch")


def test_scratch_and_torch_bn_nets_compute_the_same_function():
    torch.manual_seed(0)
    a = lenet(batch_norm=True, bn_impl="scratch")
    b = lenet(batch_norm=True, bn_impl="torch")
    # copy weights: same layer order, BN parameters named gamma/beta vs weight/bias
    for ma, mb in zip(a, b):
        if isinstance(ma, BatchNorm):
            with torch.no_grad():
                mb.weight.copy_(ma.gamma), mb.bias.copy_(ma.beta)
        elif list(ma.parameters()):
            mb.load_state_dict(ma.state_dict())
    X = torch.rand(8, 1, 28, 28)
    torch.testing.assert_close(a(X), b(X), atol=1e-5, rtol=1e-5)
    a.eval(), b.eval()
    torch.testing.assert_close(a(X), b(X), atol=1e-5, rtol=1e-5)


def test_bad_arguments():
    with pytest.raises(ValueError, match="activation"):
        lenet(activation="tanh")
    with pytest.raises(ValueError, match="bn_impl"):
        lenet(batch_norm=True, bn_impl="cudnn")
    with pytest.raises(ValueError, match="batch_norm"):
        lenet(batch_norm="yes")


@pytest.mark.slow
def test_fit_bn_lenet_two_epochs_on_fashion_mnist():
    from course_utils import env
    from course_utils.data import load_fashion_mnist
    from course_utils.train import fit

    if not (env.data_dir() / "fashion-mnist").exists():
        pytest.skip("Fashion-MNIST 数据不在 COURSE_DATA_DIR 中")
    env.set_seed(0)
    train_iter, test_iter = load_fashion_mnist(128)
    net = lenet(batch_norm=True)
    start = time.perf_counter()
    hist = fit(net, train_iter, test_iter, num_epochs=2,
               optimizer=torch.optim.SGD(net.parameters(), lr=0.9), progress=False)
    print(f"2 epochs: {time.perf_counter() - start:.1f} s, test acc {hist.test_acc}")
    assert not hist.diverged
    assert hist.test_acc[-1] > 0.80


def test_small_bn_cnn_shapes():
    net = small_bn_cnn()
    assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(ValueError, match="width"):
        small_bn_cnn(width=0)
