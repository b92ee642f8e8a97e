import matplotlib.pyplot as plt
import pytest

from course_utils import widgets


def _draw(lr=0.1, steps=5, kind="a"):
    fig, ax = plt.subplots()
    ax.plot(range(steps), [lr * i for i in range(steps)], "-" if kind == "a" else "--")
    ax.set_title(f"lr={lr:.3g}")
    return fig


def _panel():
    return widgets.interactive(_draw, lr=widgets.log_slider(0.1, 1e-3, 1.0),
                               steps=widgets.int_slider(5, 2, 20),
                               kind=widgets.dropdown([("实线", "a"), ("虚线", "b")]))


def test_moving_a_control_redraws_once():
    p = _panel()
    assert p.num_draws == 1
    before = p.png()
    p.widgets["lr"].value = 0.5
    assert p.num_draws == 2
    assert p.png() != before
    assert p.params == {"lr": 0.5, "steps": 5, "kind": "a"}


def test_set_redraws_once_for_several_controls():
    p = _panel()
    p.set(steps=10, kind="b")
    assert p.num_draws == 2 and p.params["steps"] == 10
    with pytest.raises(KeyError):
        p.set(nope=1)


def test_log_slider_is_logarithmic():
    import ipywidgets as W

    p = _panel()
    assert isinstance(p.widgets["lr"], W.FloatLogSlider)
    assert p.widgets["lr"].min == pytest.approx(-3.0)
    assert p.widgets["lr"].continuous_update is False


def test_bad_specs():
    with pytest.raises(ValueError):
        widgets.log_slider(0.1, 0.0, 1.0)
    with pytest.raises(ValueError):
        widgets.int_slider(50, 1, 10)
    with pytest.raises(ValueError):
        widgets.dropdown([])
    with pytest.raises(ValueError):
        widgets.dropdown([1, 2], value=3)
    with pytest.raises(TypeError):
        widgets.interactive("not callable", lr=widgets.log_slider(0.1, 1e-3, 1.0))
