import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from torch import nn  # noqa: E402

from course_utils import widgets  # noqa: E402
from course_utils.demos import ch3_resnet_densenet as arch_demos  # noqa: E402
from course_utils.models.densenets import densenet  # noqa: E402
from course_utils.models.resnets import resnet18  # noqa: E402
from course_utils.train import History  # noqa: E402


def test_draw_depth_growth_and_bad_depth():
    fig = arch_demos.draw_depth_growth(depth=8, growth_rate=4, num_convs=2)
    assert len(fig.axes) == 2
    assert "8 层" in fig.axes[0].get_title() and "k=4" in fig.axes[1].get_title()
    plt.close(fig)
    with pytest.raises(ValueError, match="depth"):
        arch_demos.draw_depth_growth(depth=9)


def test_panel_redraws_when_a_control_changes():
    p = widgets.interactive(
        arch_demos.draw_depth_growth,
        depth=widgets.dropdown(list(arch_demos.RESNET_DEPTHS[:3]), 8),
        growth_rate=widgets.int_slider(4, 4, 16, 4),
        num_convs=widgets.int_slider(2, 1, 4),
    )
    before = p.png()
    p.widgets["growth_rate"].value = 12
    assert p.png() != before
    before = p.png()
    p.widgets["depth"].value = 14
    assert p.png() != before


def test_block_trace_dense_rows():
    rows = arch_demos.block_trace(densenet(growth_rate=4, block_sizes=(2, 2), small_input=True))
    dense = [r["shape"][0] for r in rows if r["kind"] == "dense"]
    assert dense == [12, 16, 12, 16]  # stem 8 → +4 +4, transition halves 16 → 8, +4 +4
    assert sum(r["kind"] == "transition" for r in rows) == 1


def test_activation_bytes_is_linear_in_batch():
    net = resnet18(width=4, small_input=True)
    one = arch_demos.activation_bytes(net, (1, 1, 28, 28))
    assert one > 0 and arch_demos.activation_bytes(net, (3, 1, 28, 28)) == 3 * one
    lin = nn.Sequential(nn.Linear(5, 7))
    assert arch_demos.activation_bytes(lin, (2, 5)) == 2 * 7 * 4


def test_plot_histories_and_table():
    h = History(train_loss=[1.0, 0.5], train_acc=[0.5, 0.8], test_acc=[0.5, 0.7])
    fig = arch_demos.plot_histories({"普通 8 层": h, "残差 8 层": h}, title="t")
    assert len(fig.axes[0].lines) == 2
    plt.close(fig)
    text = arch_demos.format_table([dict(m="普通", a=0.5)], [("m", "模型", "s"), ("a", "acc", ".2f")])
    assert text.splitlines()[0].startswith("模型") and "0.50" in text


def test_conv_macs_by_hand():
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                        nn.Linear(4 * 5 * 5, 10))
    # conv: 4·5·5 outputs × 9 multiply-adds each; linear: 10 outputs × 100 inputs
    assert arch_demos.conv_macs(net, (1, 1, 5, 5)) == 4 * 25 * 9 + 10 * 100
    assert arch_demos.conv_macs(net, (2, 1, 5, 5)) == 2 * (4 * 25 * 9 + 10 * 100)
    assert net.training  # the mode is restored
