"""course_utils.tables: one helper for result tables (HTML in notebooks, Markdown as text)."""

import pytest

from course_utils.tables import table


def test_html_and_markdown_forms():
    t = table([{"m": "残差网络", "acc": 0.91634, "n": 701930}, {"m": "DenseNet", "acc": None, "n": 34750}],
              [("m", "模型"), ("acc", "测试准确率", ".3f"), ("n", "参数量", ",d")], caption="结果")
    md = str(t)
    assert "| 模型 | 测试准确率 | 参数量 |" in md and "|---|---:|---:|" in md
    assert "| 残差网络 | 0.916 | 701,930 |" in md and "| DenseNet | — | 34,750 |" in md
    h = t._repr_html_()
    assert h.startswith("<table><caption>结果</caption>") and h.count("<tr>") == 3
    assert '<td style="text-align:right">0.916</td>' in h
    assert t.column("参数量") == ["701,930", "34,750"]


def test_sequence_rows_and_escaping():
    t = table([("a|b", 1), ("<x>", 2.5)], [(0, "名称"), (1, "值", ".1f")])
    assert "a\\|b" in str(t) and "&lt;x&gt;" in t._repr_html_()


@pytest.mark.parametrize("rows, columns, match", [
    ([{"a": 1}], [("b", "B")], "第 1 行缺少列"),
    ([{"a": 1}], [("a",)], "columns"),
    ([{"a": 1}], [], "columns"),
    ({"a": 1}, [("a", "A")], "rows"),
])
def test_bad_input(rows, columns, match):
    with pytest.raises((ValueError, TypeError), match=match):
        table(rows, columns)
