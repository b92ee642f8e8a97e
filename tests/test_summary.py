import pytest
import torch
from torch import nn

from course_utils.models.summary import count_parameters, layer_shapes


def test_count_parameters():
    net = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    assert count_parameters(net) == 8 + 3
    net[0].weight.requires_grad_(False)
    assert count_parameters(net, trainable_only=True) == 5
    with pytest.raises(TypeError, match="model"):
        count_parameters("net")


def test_layer_shapes_rows_and_print(capsys):
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(4 * 14 * 14, 10))
    rows = layer_shapes(net, (2, 1, 28, 28))
    assert [r[1] for r in rows] == [(2, 4, 28, 28), (2, 4, 28, 28), (2, 4, 14, 14), (2, 784),
                                    (2, 10)]
    assert rows[0][0] == "0:Conv2d" and rows[0][2] == 40
    out = capsys.readouterr().out
    assert "(2, 4, 14, 14)" in out and "total" in out and f"{count_parameters(net):,}" in out


def test_layer_shapes_keeps_mode_and_running_stats():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).train()
    before = net[1].running_mean.clone()
    layer_shapes(net, (1, 1, 5, 5), print_table=False)
    assert net.training
    torch.testing.assert_close(net[1].running_mean, before)


def test_layer_shapes_bad_shape():
    with pytest.raises(ValueError, match="input_shape"):
        layer_shapes(nn.Linear(2, 2), (0, 2))
    with pytest.raises(ValueError, match="input_shape"):
        layer_shapes(nn.Linear(2, 2), 5)
