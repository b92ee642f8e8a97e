"""Widget-helper checks that must hold with ipywidgets 8 (JupyterLab) and 7.7 (Colab).

They run in the main environment like every test, and again by tests/test_widgets_ipywidgets7.py
under Colab's widget stack (ipywidgets 7.7.1, IPython 7.34, ipykernel 5.5.6). Only
``course_utils.widgets``, ipywidgets, matplotlib and IPython are used here.
"""

from __future__ import annotations

import json

import ipywidgets as W
import matplotlib.pyplot as plt
import pytest

from course_utils import widgets


def _draw(lr=0.1, steps=5, width=1.0, style="-"):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(range(steps), [lr * i for i in range(steps)], style, linewidth=width)
    ax.set_title(f"lr={lr:.3g}")  # ASCII: no CJK font needed here
    return fig


def _panel(**kw):
    return widgets.interactive(
        _draw,
        lr=widgets.log_slider(0.1, 1e-3, 1.0, description="学习率"),
        steps=widgets.int_slider(5, 2, 20, description="步数"),
        width=widgets.float_slider(1.0, 0.5, 3.0, 0.5, description="线宽"),
        style=widgets.dropdown([("实线", "-"), ("虚线", "--")], description="线型"),
        **kw)


def test_every_control_kind_builds_the_right_widget():
    p = _panel()
    assert isinstance(p.widgets["lr"], W.FloatLogSlider)
    assert isinstance(p.widgets["steps"], W.IntSlider)
    assert isinstance(p.widgets["width"], W.FloatSlider)
    assert isinstance(p.widgets["style"], W.Dropdown)
    assert p.widgets["lr"].base == 10
    assert p.widgets["lr"].value == pytest.approx(0.1)
    assert p.widgets["steps"].description == "步数"
    for name in ("lr", "steps", "width"):
        assert p.widgets[name].continuous_update is False
    assert p.params == {"lr": pytest.approx(0.1), "steps": 5, "width": 1.0, "style": "-"}


@pytest.mark.parametrize("name,value", [("lr", 0.5), ("steps", 12), ("width", 2.5),
                                        ("style", "--")])
def test_each_control_redraws_once_and_changes_the_figure(name, value):
    p = _panel()
    before, draws = p.png(), p.num_draws
    p.widgets[name].value = value
    assert p.num_draws == draws + 1
    assert p.params[name] == pytest.approx(value) if name == "lr" else p.params[name] == value
    assert p.png() != before


def test_continuous_update_can_be_enabled():
    p = _panel(continuous_update=True)
    assert p.widgets["lr"].continuous_update is True


def test_panel_layout_and_display():
    p = _panel()
    assert isinstance(p.box, W.VBox)
    controls, output = p.box.children
    assert isinstance(output, W.Output)
    assert set(controls.children) == set(p.widgets.values())
    p._ipython_display_()  # outside a kernel: must not raise


def test_only_one_open_figure_per_panel():
    plt.close("all")
    p = _panel()
    for v in (0.2, 0.3, 0.4):
        p.widgets["lr"].value = v
    assert len(plt.get_fignums()) == 0  # figures are closed after display (no leaks)


def test_widget_state_is_embeddable():
    """What a saved notebook stores (widget state JSON) can be produced for the panel."""
    from ipywidgets.embed import embed_data

    p = _panel()
    data = embed_data(views=[p.box])
    state = data["manager_state"]["state"]
    names = {m["model_name"] for m in state.values()}
    assert {"FloatLogSliderModel", "IntSliderModel", "DropdownModel", "OutputModel"} <= names
    json.dumps(data)  # serialisable


def test_selection_slider_lands_exactly_on_listed_values():
    sizes = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1500]

    def draw(batch_size=10):
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1], [0, batch_size])
        ax.set_ylim(0, 1600)
        return fig

    p = widgets.interactive(draw, batch_size=widgets.selection_slider(sizes, 10,
                                                                       description="批量大小"))
    w = p.widgets["batch_size"]
    assert isinstance(w, W.SelectionSlider) and w.continuous_update is False
    assert p.params == {"batch_size": 10}
    before = p.png()
    w.value = 1500  # the last option is reachable exactly (a log slider's grid misses it)
    assert p.params == {"batch_size": 1500} and p.num_draws == 2 and p.png() != before
    w.index = 0
    assert p.params == {"batch_size": 1}
    with pytest.raises(ValueError):
        widgets.selection_slider(sizes, 3)
    with pytest.raises(ValueError):
        widgets.selection_slider([])
    assert widgets.selection_slider([("小", 1), ("大", 2)], 2).value == 2
