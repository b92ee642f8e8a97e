"""Chapter 2 figure helpers: they draw, the sliders redraw, bad input is a clear error."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

from course_utils.demos import ch2_batch_norm as d  # noqa: E402
from course_utils.models.cnns import lenet  # noqa: E402
from course_utils.widgets import float_slider, int_slider, interactive, log_slider  # noqa: E402


def test_static_figures_draw():
    for fig in (d.plot_activations(), d.plot_init_statistics(depth=4, width=64),
                d.plot_affine_transforms()):
        assert fig.axes


def test_init_statistics_behave_as_taught():
    small = d.init_statistics("small", activation="tanh")
    assert small["std"][-1] < 1e-4  # vanishes layer by layer
    large = d.init_statistics("large", activation="tanh")
    assert large["saturated"][-1] > 0.5  # tanh saturates
    he = d.init_statistics("he", activation="relu")
    assert 0.3 < he["std"][-1] < 3  # stays of order one
    assert len(he["mean"]) == 8
    # He keeps the second moment E[h²] (not the variance) of ReLU outputs near 1 ...
    assert 0.7 < he["second_moment"][-1] < 1.4
    assert he["std"][-1] ** 2 < 0.8 * he["second_moment"][-1]  # ReLU outputs have a nonzero mean
    # ... while Xavier halves it in every ReLU layer
    xavier = d.init_statistics("xavier", activation="relu")
    assert 0.5 * 2 ** -8 < xavier["second_moment"][-1] < 2 * 2 ** -8
    with pytest.raises(ValueError, match="init"):
        d.init_statistics("zeros")
    with pytest.raises(ValueError, match="activation"):
        d.init_statistics("he", activation="elu")


def test_running_stats_simulation():
    s = d.simulate_running_stats(momentum=0.1, eps=1e-5, batch_size=64, steps=200)
    assert abs(s["running_mean"][-1] - 3.0) < 0.2
    assert abs(s["running_var"][-1] - 0.25) < 0.1
    assert abs(float(s["normalised"].std()) - 1) < 0.2
    big_eps = d.simulate_running_stats(momentum=0.1, eps=1.0, batch_size=64, steps=200)
    assert float(big_eps["normalised"].std()) < 0.6  # eps comparable to the variance shrinks
    with pytest.raises(ValueError, match="batch_size"):
        d.simulate_running_stats(batch_size=1)


def test_slider_panel_redraws():
    panel = interactive(d.draw_running_stats,
                        momentum=log_slider(0.1, 0.001, 1.0),
                        eps=log_slider(1e-5, 1e-5, 1.0),
                        batch_size=int_slider(16, 2, 256))
    before = panel.png()
    panel.widgets["momentum"].value = 0.5
    after_momentum = panel.png()
    assert after_momentum != before
    panel.widgets["batch_size"].value = 128
    assert panel.png() != after_momentum
    panel.set(eps=0.5)
    assert panel.num_draws == 4
    assert float_slider(0.5, 0, 1, 0.1).kind == "float"


def test_preactivation_histograms():
    torch.manual_seed(0)
    X = torch.rand(32, 1, 28, 28)
    plain, bn = lenet(), lenet(batch_norm=True)
    acts = d.collect_preactivations(bn, X)
    assert len(acts) == 4 and acts[0].numel() == 32 * 6 * 28 * 28
    assert bn.training  # mode restored
    fig = d.plot_preactivation_histograms({"无 BN": plain, "有 BN": bn}, X)
    assert len(fig.axes) == 4
    with pytest.raises(ValueError, match="激活"):
        d.collect_preactivations(torch.nn.Linear(3, 3), torch.rand(2, 3))
    with pytest.raises(ValueError, match="models"):
        d.plot_preactivation_histograms({}, X)


def test_plot_activations_rejects_unknown_name():
    with pytest.raises(ValueError, match="names"):
        d.plot_activations(["swish"])


def test_figure_grids_drop_unused_panels():
    net = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 4),
                              torch.nn.Sigmoid(), torch.nn.Linear(4, 4), torch.nn.Sigmoid())
    fig = d.plot_preactivation_histograms({"net": net}, torch.rand(16, 4))
    assert len(fig.axes) == 3  # 2 × 2 grid, the empty fourth panel removed
    assert len(d.plot_affine_transforms().axes) == 7


def test_mark_coincident_names_the_curve_it_hides():
    labels = d.mark_coincident(["a", "b", "c"], [[0.1, 0.1], [0.5, 0.6], [0.1, 0.1002]])
    assert labels == ["a", "b", "c（与 a 重合）"]
    assert d.mark_coincident(["a", "b"], [[0.1], [0.1, 0.1]]) == ["a", "b"]  # lengths differ
    assert d.mark_coincident(["a", "b"], [[0.1, 0.2], [0.1, 0.3]]) == ["a", "b"]
    with pytest.raises(ValueError, match="labels"):
        d.mark_coincident(["a"], [[0.1], [0.2]])
