"""Tests for course_utils.demos.ch1_lr_schedules: slider panels driven headless, static figures, table."""

import numpy as np
import pytest

from course_utils.demos import ch1_lr_schedules as demos
from course_utils.train import History


@pytest.fixture(autouse=True)
def cjk_font():
    from course_utils import fonts

    fonts.setup_cjk_font()
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize("make,name,value", [
    (demos.warmup_cosine_panel, "warmup_steps", 300),
    (demos.warmup_cosine_panel, "base_lr", 0.5),
    (demos.warmup_cosine_panel, "hold_steps", 200),
    (demos.warmup_cosine_panel, "total_steps", 600),
    (demos.step_lr_panel, "gamma", 0.2),
    (demos.step_lr_panel, "step_size", 3),
    (demos.warm_restarts_panel, "T_0", 5),
    (demos.warm_restarts_panel, "T_mult", 1),
])
def test_panels_redraw_headless(make, name, value):
    p = make()
    before, draws = p.png(), p.num_draws
    p.widgets[name].value = value
    assert p.num_draws == draws + 1
    assert p.png() != before


def test_draw_warmup_cosine_shows_error_instead_of_raising():
    fig = demos.draw_warmup_cosine(base_lr=0.1, warmup_steps=500, total_steps=100)
    assert "warmup_steps" in fig.axes[0].texts[0].get_text()


def test_draw_warm_restarts_marks_restarts():
    fig = demos.draw_warm_restarts(T_0=10, T_mult=2, epochs=70)
    restarts = [line.get_xdata()[0] for line in fig.axes[0].lines[1:]]
    assert restarts == [10, 30]


def test_plot_scheduler_grid_hides_unused_axes():
    fig = demos.plot_scheduler_grid({"a": [0.1, 0.05], "b": [0.1, 0.1], "c": [1, 0],
                                     "d": [0.2, 0.1]}, ncols=3, title="t")
    assert sum(ax.get_visible() for ax in fig.axes) == 4
    with pytest.raises(ValueError, match="curves"):
        demos.plot_scheduler_grid({})


def _history(accs, losses):
    return History(train_loss=list(losses), train_acc=list(accs), test_acc=list(accs),
                   num_epochs=len(accs))


def test_results_table_and_comparison_figure():
    hs = {"恒定": _history([0.80, 0.85], [0.6, 0.5]), "单周期": _history([0.70, 0.91], [0.7, 0.4])}
    t = demos.results_table(hs, 0.9)
    assert t.headers == ["调度", "最终测试准确率", "首次达到 90% 的轮", "各轮测试准确率"]
    assert t.column("调度") == ["恒定", "单周期"]
    assert t.column("最终测试准确率") == ["0.8500", "0.9100"]
    assert t.column("首次达到 90% 的轮") == ["未达到", "2"]
    assert t.column("各轮测试准确率") == ["0.8000 0.8500", "0.7000 0.9100"]
    assert "<table>" in t._repr_html_() and str(t).startswith("| 调度 |")
    with pytest.raises(ValueError, match="target_acc"):
        demos.results_table(hs, 90)
    lr = {k: np.linspace(0.1, 0.0, 10) for k in hs}
    fig = demos.plot_schedule_comparison(lr, hs, target_acc=0.9)
    assert len(fig.axes) == 3 and len(fig.axes[1].lines) == 3  # two runs + the target line
