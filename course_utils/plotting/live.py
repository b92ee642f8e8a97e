"""``LivePlot``: a ``fit`` callback that redraws training curves in place."""

from __future__ import annotations


class LivePlot:
    """Redraw loss/accuracy curves after every epoch in one display handle.

    Use as ``fit(..., callbacks=[LivePlot()])``. Outside IPython it only records the figure.
    """

    def __init__(self, *, metrics=("train_loss", "train_acc", "test_acc"), title=None,
                 figsize=(5.5, 3.3), ylim=(0, None)):
        labels = {"train_loss": "训练损失", "train_acc": "训练准确率", "test_acc": "测试准确率",
                  "lr": "学习率"}
        unknown = [m for m in metrics if m not in labels]
        if unknown:
            raise ValueError(f"metrics 中有未知指标 {unknown}，可选 {list(labels)}")
        self.metrics = tuple(metrics)
        self.labels = labels
        self.title = title
        self.figsize = figsize
        self.ylim = ylim
        self.fig = None
        self._handle = None
        self.num_draws = 0

    def __call__(self, history) -> None:
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        if self.fig is None:
            self.fig, self.ax = plt.subplots(figsize=self.figsize)
            plt.close(self.fig)  # shown through the display handle only
        ax = self.ax
        ax.clear()
        fmts = ("-", "m--", "g-.", "r:")
        for fmt, m in zip(fmts, self.metrics):
            values = getattr(history, m)
            ax.plot(range(1, len(values) + 1), values, fmt, label=self.labels[m])
        ax.set_xlabel("轮")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # epochs are integers
        ax.set_xlim(0.8, max(history.num_epochs, history.epochs_done, 1) + 0.2)
        if self.ylim is not None:
            ax.set_ylim(*self.ylim)
        ax.legend(loc="best")
        if self.title:
            ax.set_title(self.title)
        self.num_draws += 1
        try:
            from IPython import get_ipython
            from IPython.display import display

            if get_ipython() is None:
                return
            if self._handle is None:
                self._handle = display(self.fig, display_id=True)
            else:
                self._handle.update(self.fig)
        except ImportError:  # pragma: no cover
            pass
