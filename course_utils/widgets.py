"""Wrap a plain ``draw(**params) -> Figure`` function in ipywidgets controls.

The controls are described with small spec helpers (``log_slider``, ``int_slider``,
``float_slider``, ``selection_slider``, ``dropdown``); :func:`interactive` builds the widgets and
returns an :class:`InteractiveFigure` that redraws once per change and can be driven from tests
without a browser (``panel.set(lr=0.1)``, ``panel.widgets['lr'].value = 0.1``). Works with ipywidgets 7 and 8.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field


@dataclass
class ControlSpec:
    kind: str
    value: object
    kwargs: dict = field(default_factory=dict)
    description: str = ""

    def build(self, name: str, continuous_update: bool):
        import ipywidgets as W

        desc = self.description or name
        common = {"description": desc, "style": {"description_width": "initial"}}
        if self.kind == "dropdown":
            return W.Dropdown(value=self.value, **self.kwargs, **common)
        if self.kind == "selection":
            return W.SelectionSlider(value=self.value, continuous_update=continuous_update,
                                     layout=W.Layout(width="380px"), **self.kwargs, **common)
        cls = {"log": W.FloatLogSlider, "int": W.IntSlider, "float": W.FloatSlider}[self.kind]
        return cls(value=self.value, continuous_update=continuous_update,
                   layout=W.Layout(width="380px"), **self.kwargs, **common)


def _check_range(value, lo, hi, name="value"):
    if not lo <= value <= hi:
        raise ValueError(f"控件初值 {name}={value!r} 不在范围 [{lo}, {hi}] 内")


def log_slider(value: float, min: float, max: float, *, description: str = "",
               steps_per_decade: int = 10, readout_format: str = ".3g") -> ControlSpec:
    """A logarithmic slider (for learning rates); ``min``/``max`` are the values, not exponents."""
    if min <= 0 or max <= min:
        raise ValueError(f"对数滑块需要 0 < min < max，收到 min={min!r}, max={max!r}")
    _check_range(value, min, max)
    return ControlSpec("log", float(value), {
        "base": 10, "min": math.log10(min), "max": math.log10(max),
        "step": 1.0 / steps_per_decade, "readout_format": readout_format}, description)


def int_slider(value: int, min: int, max: int, step: int = 1, *, description: str = "") -> ControlSpec:
    if max <= min:
        raise ValueError(f"整数滑块需要 min < max，收到 min={min!r}, max={max!r}")
    _check_range(value, min, max)
    return ControlSpec("int", int(value), {"min": int(min), "max": int(max), "step": int(step)},
                       description)


def float_slider(value: float, min: float, max: float, step: float, *,
                 description: str = "", readout_format: str = ".3g") -> ControlSpec:
    if max <= min:
        raise ValueError(f"滑块需要 min < max，收到 min={min!r}, max={max!r}")
    _check_range(value, min, max)
    return ControlSpec("float", float(value), {"min": float(min), "max": float(max),
                                               "step": float(step),
                                               "readout_format": readout_format}, description)


def dropdown(options, value=None, *, description: str = "") -> ControlSpec:
    """A dropdown; ``options`` is a list of values or of ``(label, value)`` pairs."""
    options = list(options)
    if not options:
        raise ValueError("dropdown 的 options 不能为空")
    values = [o[1] if isinstance(o, tuple) else o for o in options]
    value = values[0] if value is None else value
    if value not in values:
        raise ValueError(f"dropdown 的初值 {value!r} 不在 options 中")
    return ControlSpec("dropdown", value, {"options": options}, description)


def selection_slider(options, value=None, *, description: str = "") -> ControlSpec:
    """A slider over a fixed list of values, e.g. batch sizes ``[1, 2, 5, …, 500, 1500]``.

    Unlike a log slider it lands exactly on each listed value (both ends included). ``options``
    is a list of values or of ``(label, value)`` pairs; values are shown with ``str`` when no
    label is given.
    """
    options = list(options)
    if not options:
        raise ValueError("selection_slider 的 options 不能为空")
    pairs = [o if isinstance(o, tuple) else (str(o), o) for o in options]
    values = [v for _, v in pairs]
    value = values[0] if value is None else value
    if value not in values:
        raise ValueError(f"selection_slider 的初值 {value!r} 不在 options 中")
    return ControlSpec("selection", value, {"options": pairs}, description)


def figure_png(fig) -> bytes:
    """Render a matplotlib figure to PNG bytes (used to tell whether a redraw changed it)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


class InteractiveFigure:
    """Controls plus an output area; ``draw(**params)`` is called once per change."""

    def __init__(self, draw, controls: dict, *, continuous_update: bool = False):
        import ipywidgets as W

        if not callable(draw):
            raise TypeError("draw 必须是可调用对象：draw(**params) -> matplotlib Figure")
        if not controls:
            raise ValueError("至少需要一个控件（controls 不能为空）")
        self.draw_fn = draw
        self.widgets = {name: spec.build(name, continuous_update) for name, spec in controls.items()}
        self.output = W.Output()
        self.figure = None
        self.num_draws = 0
        self.error = None
        self._hold = False
        for w in self.widgets.values():
            w.observe(self._on_change, names="value")
        self.box = W.VBox([W.HBox(list(self.widgets.values()), layout=W.Layout(flex_flow="row wrap")),
                           self.output])
        self.redraw()

    @property
    def params(self) -> dict:
        return {name: w.value for name, w in self.widgets.items()}

    def _on_change(self, change) -> None:
        if not self._hold:
            self.redraw()

    def set(self, **params) -> None:
        """Set several controls at once and redraw once."""
        unknown = set(params) - set(self.widgets)
        if unknown:
            raise KeyError(f"没有名为 {sorted(unknown)} 的控件；可用 {sorted(self.widgets)}")
        self._hold = True
        try:
            for k, v in params.items():
                self.widgets[k].value = v
        finally:
            self._hold = False
        self.redraw()

    def redraw(self) -> None:
        import matplotlib.pyplot as plt
        from IPython.display import clear_output, display

        result = self.draw_fn(**self.params)
        fig = getattr(result, "figure", result) if result is not None else plt.gcf()
        if fig is not None and hasattr(fig, "get_figure") and not hasattr(fig, "savefig"):
            fig = fig.get_figure()
        old = self.figure
        self.figure = fig
        self.num_draws += 1
        with self.output:
            clear_output(wait=True)
            display(fig)
        plt.close(fig)
        if old is not None and old is not fig:
            plt.close(old)

    def png(self) -> bytes:
        return figure_png(self.figure)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.box)


def interactive(draw, *, continuous_update: bool = False, **controls) -> InteractiveFigure:
    """Build controls from ``controls`` (name → spec) around ``draw`` and return the panel."""
    return InteractiveFigure(draw, controls, continuous_update=continuous_update)
