"""The from-scratch batch normalization against PyTorch's nn.BatchNorm1d / nn.BatchNorm2d."""

import pytest
import torch
from torch import nn

from course_utils.models.batchnorm import (
    BatchNorm,
    BatchNormFunction,
    batch_norm,
    batch_norm_backward,
)


def _pair(num_dims, C=5, momentum=0.1):
    ours = BatchNorm(C, num_dims=num_dims, momentum=momentum)
    ref = (nn.BatchNorm1d if num_dims == 2 else nn.BatchNorm2d)(C, momentum=momentum)
    with torch.no_grad():  # non-trivial affine parameters, the same in both
        g, b = torch.rand(C) + 0.5, torch.randn(C)
        ours.gamma.copy_(g), ours.beta.copy_(b)
        ref.weight.copy_(g), ref.bias.copy_(b)
    return ours, ref


def _batch(num_dims, N=8, C=5, shift=0.0):
    shape = (N, C) if num_dims == 2 else (N, C, 4, 3)
    return torch.randn(shape) * 3 + 2 + shift


@pytest.mark.parametrize("num_dims", [2, 4])
@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_matches_torch_train_and_eval_over_steps(num_dims, momentum):
    torch.manual_seed(0)
    ours, ref = _pair(num_dims, momentum=momentum)
    for step in range(6):
        X = _batch(num_dims, shift=step)
        ours.train(), ref.train()
        torch.testing.assert_close(ours(X), ref(X), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(ours.running_mean, ref.running_mean, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(ours.running_var, ref.running_var, atol=1e-5, rtol=1e-5)
        ours.eval(), ref.eval()
        Xe = _batch(num_dims, N=3)
        torch.testing.assert_close(ours(Xe), ref(Xe), atol=1e-5, rtol=1e-5)
    # eval mode must not touch the buffers
    before = ours.running_mean.clone()
    ours(Xe)
    assert torch.equal(before, ours.running_mean)


def test_running_var_starts_at_one_and_uses_unbiased_variance():
    bn = BatchNorm(3, num_dims=2, momentum=1.0)
    assert torch.equal(bn.running_var, torch.ones(3))
    assert torch.equal(bn.running_mean, torch.zeros(3))
    X = torch.randn(4, 3)
    bn(X)
    torch.testing.assert_close(bn.running_var, X.var(dim=0, unbiased=True))
    torch.testing.assert_close(bn.running_mean, X.mean(dim=0))


def test_functional_does_not_modify_inputs_and_normalises():
    X = torch.randn(16, 4, 5, 5) * 4 + 1
    rm, rv = torch.zeros(4), torch.ones(4)
    Y, m, v = batch_norm(X, torch.ones(4), torch.zeros(4), rm, rv, eps=1e-5, momentum=0.1,
                         training=True)
    assert torch.equal(rm, torch.zeros(4)) and torch.equal(rv, torch.ones(4))
    torch.testing.assert_close(Y.mean(dim=(0, 2, 3)), torch.zeros(4), atol=1e-5, rtol=0)
    torch.testing.assert_close(Y.var(dim=(0, 2, 3), unbiased=False), torch.ones(4), atol=1e-3,
                               rtol=0)
    assert m.shape == (4,) and v.shape == (4,)
    Y2, m2, v2 = batch_norm(X, torch.ones(4), torch.zeros(4), rm, rv, eps=1e-5, momentum=0.1,
                            training=False)
    assert m2 is rm and v2 is rv
    torch.testing.assert_close(Y2, X / (1 + 1e-5) ** 0.5)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 2, 2)])
def test_gradcheck_autograd_and_hand_written_backward(shape):
    torch.manual_seed(1)
    X = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    gamma = (torch.rand(3, dtype=torch.float64) + 0.5).requires_grad_()
    beta = torch.randn(3, dtype=torch.float64, requires_grad=True)
    zeros, ones = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)

    def f(X, gamma, beta):
        return batch_norm(X, gamma, beta, zeros, ones, eps=1e-5, momentum=0.1, training=True)[0]

    assert torch.autograd.gradcheck(f, (X, gamma, beta))
    assert torch.autograd.gradcheck(BatchNormFunction.apply, (X, gamma, beta))
    # the derived formulas equal autograd's gradients
    dY = torch.randn(shape, dtype=torch.float64)
    f(X, gamma, beta).backward(dY)
    dX, dg, db = batch_norm_backward(dY, X.detach(), gamma.detach())
    torch.testing.assert_close(dX, X.grad)
    torch.testing.assert_close(dg, gamma.grad)
    torch.testing.assert_close(db, beta.grad)


def test_state_dict_round_trip():
    torch.manual_seed(2)
    a = BatchNorm(4, num_dims=4)
    for _ in range(3):
        a(torch.randn(5, 4, 3, 3) + 1)
    sd = a.state_dict()
    assert set(sd) == {"gamma", "beta", "running_mean", "running_var"}
    b = BatchNorm(4, num_dims=4)
    b.load_state_dict(sd)
    for k in sd:
        assert torch.equal(b.state_dict()[k], sd[k])
    X = torch.randn(2, 4, 3, 3)
    a.eval(), b.eval()
    assert torch.equal(a(X), b(X))


def test_device_and_dtype_move():
    bn = BatchNorm(3, num_dims=2).to(torch.device("cpu"), torch.float64)
    assert bn.running_var.dtype == torch.float64 and bn.gamma.dtype == torch.float64
    assert bn(torch.randn(4, 3, dtype=torch.float64)).dtype == torch.float64
    if torch.cuda.is_available():
        bn = bn.to("cuda")
        assert bn.running_mean.device.type == "cuda"
        assert bn(torch.randn(4, 3, dtype=torch.float64, device="cuda")).is_cuda


@pytest.mark.parametrize("num_dims,bad_shape", [(2, (4, 3, 2, 2)), (4, (4, 3, 5)), (4, (4, 3)),
                                                (2, (3,))])
def test_wrong_number_of_dims_is_a_clear_error(num_dims, bad_shape):
    bn = BatchNorm(3, num_dims=num_dims)
    with pytest.raises(ValueError, match="维"):
        bn(torch.randn(bad_shape))


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_dims"):
        BatchNorm(3, num_dims=3)
    with pytest.raises(ValueError, match="num_features"):
        BatchNorm(0, num_dims=2)
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm(3, num_dims=2, momentum=1.5)
    with pytest.raises(ValueError, match="num_features"):
        BatchNorm(3, num_dims=2)(torch.randn(4, 5))
    with pytest.raises(ValueError, match="batch_size=1"):
        BatchNorm(3, num_dims=2)(torch.randn(1, 3))
    with pytest.raises(ValueError, match="维"):
        batch_norm(torch.randn(2, 3, 4), torch.ones(3), torch.zeros(3), torch.zeros(3),
                   torch.ones(3), eps=1e-5, momentum=0.1, training=True)
    assert "num_dims=4" in repr(BatchNorm(3, num_dims=4))
