import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from torch import nn  # noqa: E402

from course_utils import widgets  # noqa: E402
from course_utils.demos import ch3_diagrams as diagrams  # noqa: E402
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


def test_plot_histories():
    h = History(train_loss=[1.0, 0.5], train_acc=[0.5, 0.8], test_acc=[0.5, 0.7])
    fig = arch_demos.plot_histories({"普通 8 层": h, "残差 8 层": h}, title="t")
    assert len(fig.axes[0].lines) == 2
    assert fig.axes[0].get_xlabel() == "轮"
    assert not hasattr(arch_demos, "format_table")  # tables go through course_utils.tables.table
    plt.close(fig)


def test_conv_macs_by_hand():
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                        nn.Linear(4 * 5 * 5, 10))
    # conv: 4·5·5 outputs × 9 multiply-adds each; linear: 10 outputs × 100 inputs
    assert arch_demos.conv_macs(net, (1, 1, 5, 5)) == 4 * 25 * 9 + 10 * 100
    assert arch_demos.conv_macs(net, (2, 1, 5, 5)) == 2 * (4 * 25 * 9 + 10 * 100)
    assert net.training  # the mode is restored


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_residual_diagram_has_both_shortcuts():
    fig = diagrams.draw_residual_blocks()
    texts = _texts(fig)
    assert len(fig.axes) == 2
    assert sum("1×1 卷积层" in t for t in texts) == 1  # only panel (b) has the 1×1 shortcut
    assert texts.count("批量归一化层") == 4 and sum(t == "+" for t in texts) == 2


def test_dense_block_diagram_counts_channels():
    fig = diagrams.draw_dense_block(num_convs=2, in_channels=3, growth_rate=10)
    texts = _texts(fig)
    assert [t for t in texts if t.endswith("通道") and t[0].isdigit()] == ["3 通道", "13 通道", "23 通道"]
    assert "3 + 2×10 = 23" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="growth_rate"):
        diagrams.draw_dense_block(growth_rate=0)


def test_stage_rows_follow_the_models():
    rows = diagrams.stage_rows(resnet18(), (1, 1, 96, 96))
    assert [r["shape"] for r in rows] == [(64, 24, 24), (64, 24, 24), (128, 12, 12), (256, 6, 6),
                                          (512, 3, 3), (10,)]
    assert sum(r["params"] for r in rows) == 11_178_378
    assert rows[1]["name"].startswith("阶段 1") and rows[-1]["name"].startswith("输出部分")
    net = densenet(growth_rate=4, block_sizes=(2, 2), small_input=True)
    net.train()
    rows = diagrams.stage_rows(net, (1, 1, 28, 28))
    assert [r["name"].split("\n")[0] for r in rows] == ["首层", "稠密块 1", "过渡层", "稠密块 2", "输出部分"]
    assert [r["shape"][0] for r in rows] == [8, 16, 8, 16, 10]
    assert "BN" in rows[-1]["name"] and net.training  # the mode is restored
    fig = diagrams.draw_stage_layout(net, (1, 1, 28, 28), title="DenseNet")
    assert "DenseNet" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="model"):
        diagrams.stage_rows(nn.Linear(2, 2))
