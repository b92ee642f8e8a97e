import numpy as np
import pytest
import torch

from course_utils import plotting, train


def test_plot_multiple_curves_and_log_axes():
    x = np.linspace(1, 10, 20)
    ax = plotting.plot(x, [x, x**2], xlabel="步数", ylabel="值", legend=["线性", "平方"],
                       yscale="log", title="示例")
    assert len(ax.get_lines()) == 2 and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["线性", "平方"]


def test_plot_accepts_tensors_and_y_only():
    ax = plotting.plot(torch.arange(5.0))
    assert len(ax.get_lines()) == 1


def test_plot_legend_length_mismatch():
    with pytest.raises(ValueError, match="legend"):
        plotting.plot([1, 2], [[1, 2], [3, 4]], legend=["只有一个"])


def test_show_images_grid():
    axes = plotting.show_images(np.zeros((5, 28, 28)), 2, 3, titles=list("abcde"))
    assert len(axes) == 6 and axes[0].get_title() == "a"
    with pytest.raises(ValueError):
        plotting.show_images([], 0, 1)


def test_set_figsize():
    import matplotlib as mpl

    plotting.set_figsize((4, 2))
    assert tuple(mpl.rcParams["figure.figsize"]) == (4.0, 2.0)
    with pytest.raises(ValueError):
        plotting.set_figsize((0, 2))


def test_live_plot_redraws_each_epoch():
    live = plotting.LivePlot()
    h = train.History(num_epochs=3)
    for e in range(3):
        h.train_loss.append(1.0 / (e + 1))
        h.train_acc.append(0.5 + 0.1 * e)
        h.test_acc.append(0.5 + 0.1 * e)
        live(h)
    assert live.num_draws == 3
    assert len(live.ax.get_lines()) == 3
    assert live.ax.get_xlabel() == "轮"
    with pytest.raises(ValueError, match="metrics"):
        plotting.LivePlot(metrics=("nope",))


@pytest.mark.parametrize("num_epochs", [1, 2, 3, 7, 30])
def test_live_plot_epoch_ticks_are_integers(num_epochs):
    live = plotting.LivePlot()
    h = train.History(num_epochs=num_epochs)
    for e in range(num_epochs):
        h.train_loss.append(1.0 / (e + 1))
        h.train_acc.append(0.5)
        h.test_acc.append(0.5)
    live(h)
    live.fig.canvas.draw()
    lo, hi = live.ax.get_xlim()
    ticks = [t for t in live.ax.get_xticks() if lo <= t <= hi]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    assert num_epochs > 3 or 1 in ticks
