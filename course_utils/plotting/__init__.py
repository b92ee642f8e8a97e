"""Plotting helpers. Functions take ``ax=None`` and return the axes they drew on; only
``env.setup_notebook`` changes global rcParams (``set_figsize`` is the one documented exception,
kept for d2l familiarity)."""

from course_utils.plotting.basic import plot, set_figsize, show_images
from course_utils.plotting.live import LivePlot
from course_utils.plotting.traces import plot_surface, show_trace, show_trace_2d

__all__ = ["plot", "set_figsize", "show_images", "LivePlot", "show_trace", "show_trace_2d", "plot_surface"]
