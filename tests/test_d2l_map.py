"""README's "从 d2l 过来" table: every course_utils name it cites exists, and the d2l names a
reader of d2l-zh looks for are all in it."""

import importlib
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
HEADING = "## 从 d2l 过来"

# The d2l functions issue 15 asks the table to cover (more rows are welcome).
REQUIRED_D2L = ("train_ch6", "load_data_fashion_mnist", "try_gpu", "Animator", "show_trace_2d",
                "train_2d", "get_data_ch11", "train_ch11", "train_concise_ch11", "sgd",
                "evaluate_accuracy_gpu", "Accumulator", "Timer", "plot", "set_figsize",
                "use_svg_display", "Residual", "resnet_block")


def _rows() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    assert HEADING in text, f"README.md 缺少一节 {HEADING}"
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    rows = [line.strip().strip("|").split("|") for line in section.splitlines()
            if line.startswith("|")]
    assert len(rows) > 2, "表格至少要有表头、分隔行和一行内容"
    header, sep, *body = rows
    assert len(header) == 3 and set("".join(sep).strip()) <= set("-: ")
    assert all(len(r) == 3 for r in body), [r for r in body if len(r) != 3]
    return body


def _names(cell: str) -> list[str]:
    """The identifiers in backticks (call syntax cut off: `sgd(params, …)` -> sgd)."""
    return [re.match(r"[\w.]+", code).group(0) for code in re.findall(r"`([^`]+)`", cell)]


def _resolve(dotted: str):
    """Import ``course_utils.<dotted>``: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module("course_utils." + ".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(f"course_utils.{dotted}")


def _cited() -> list[str]:
    names = []
    for _, ours, _ in _rows():
        cell = ours.strip()
        assert cell == "—" or _names(cell), f"第二列必须是反引号中的名字或 “—”：{cell!r}"
        names += _names(cell)
    return sorted(set(names))


@pytest.mark.parametrize("dotted", _cited())
def test_every_cited_name_exists(dotted):
    obj = _resolve(dotted)
    assert callable(obj), f"course_utils.{dotted} 不可调用"


def test_the_table_covers_the_d2l_names_readers_know():
    d2l = {name for row in _rows() for name in _names(row[0])}
    missing = [n for n in REQUIRED_D2L if n not in d2l]
    assert not missing, f"“从 d2l 过来”表缺少：{missing}"
    assert len(_rows()) >= 30


def test_resolve_rejects_a_wrong_name():
    with pytest.raises(AttributeError):
        _resolve("train.train_ch6")
    with pytest.raises(ModuleNotFoundError):
        _resolve("no_such_module")
