"""Result tables that render as real tables in JupyterLab, Colab and on GitHub.

``table(rows, columns)`` returns a :class:`Table`. As the last expression of a cell (or through
``IPython.display.display``) it renders as an HTML table, so browsers align the columns whatever
the width of CJK glyphs; its ``text/plain`` form and ``str()`` are a Markdown table, readable in a
terminal and in the saved notebook JSON. One helper for every chapter::

    from course_utils.tables import table
    table([{"name": "ResNet", "acc": 0.916}], [("name", "模型"), ("acc", "测试准确率", ".3f")])
"""

from __future__ import annotations

import html
import numbers

__all__ = ["Table", "table"]


def _fmt(value, spec: str) -> str:
    if value is None:
        return "—"
    if spec and isinstance(value, numbers.Number) and not isinstance(value, bool):
        return format(value, spec)
    return str(value)


def _is_numeric(values) -> bool:
    return bool(values) and all(isinstance(v, numbers.Number) and not isinstance(v, bool)
                                for v in values if v is not None)


class Table:
    """A formatted table: ``headers`` and ``cells`` are strings; ``align`` is "left"/"right"."""

    def __init__(self, headers, cells, align, caption=None):
        self.headers, self.cells, self.align, self.caption = list(headers), cells, align, caption

    def to_markdown(self) -> str:
        def esc(s):
            return str(s).replace("|", "\\|").replace("\n", " ")
        rule = ["---:" if a == "right" else "---" for a in self.align]
        lines = ["| " + " | ".join(esc(h) for h in self.headers) + " |", "|" + "|".join(rule) + "|"]
        lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in self.cells]
        if self.caption:
            lines = [f"**{esc(self.caption)}**", ""] + lines
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        def td(tag, text, a):
            return f'<{tag} style="text-align:{a}">{html.escape(str(text))}</{tag}>'
        head = "".join(td("th", h, a) for h, a in zip(self.headers, self.align))
        body = "".join("<tr>" + "".join(td("td", c, a) for c, a in zip(row, self.align)) + "</tr>"
                       for row in self.cells)
        cap = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __repr__(self) -> str:
        return self.to_markdown()

    __str__ = __repr__

    def column(self, header: str) -> list[str]:
        """The formatted cells of one column (for tests and prose checks)."""
        if header not in self.headers:
            raise KeyError(f"没有名为 {header!r} 的列；可选：{self.headers}")
        j = self.headers.index(header)
        return [row[j] for row in self.cells]


def table(rows, columns, *, caption: str | None = None) -> Table:
    """Build a :class:`Table`.

    ``rows``: a list of dicts (looked up by key) or of sequences (by position). ``columns``: a list
    of ``(key, header)`` or ``(key, header, format_spec)``; for sequence rows the key is the
    position. Numbers are formatted with ``format_spec`` (e.g. ``".3f"``, ``",d"``, ``".1%"``) and
    right-aligned; ``None`` prints as "—".
    """
    if isinstance(rows, dict) or not hasattr(rows, "__iter__"):
        raise TypeError("rows 必须是由字典或序列组成的列表")
    rows = list(rows)
    cols = []
    for c in columns:
        if not isinstance(c, (tuple, list)) or len(c) not in (2, 3):
            raise ValueError(f"columns 的每一项必须是 (key, header) 或 (key, header, format)，收到 {c!r}")
        cols.append((c[0], str(c[1]), c[2] if len(c) == 3 else ""))
    if not cols:
        raise ValueError("columns 不能为空")
    raw = []
    for i, r in enumerate(rows):
        try:
            raw.append([r[k] for k, _, _ in cols])
        except (KeyError, IndexError, TypeError) as exc:
            raise ValueError(f"rows 的第 {i + 1} 行缺少列 {exc}：请检查 columns 的 key") from None
    align = ["right" if _is_numeric([row[j] for row in raw]) else "left" for j in range(len(cols))]
    cells = [[_fmt(v, spec) for v, (_, _, spec) in zip(row, cols)] for row in raw]
    return Table([h for _, h, _ in cols], cells, align, caption)
