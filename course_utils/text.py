"""Plain-text alignment for tables that mix Chinese and Latin characters."""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    """Columns ``text`` takes in a monospaced font (wide/full-width CJK characters count two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def pad(text: str, width: int, right: bool = False) -> str:
    """Pad ``text`` with spaces to ``width`` display columns (left-aligned unless ``right``)."""
    fill = " " * max(0, width - display_width(text))
    return fill + str(text) if right else str(text) + fill
