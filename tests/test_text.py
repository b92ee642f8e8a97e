from course_utils.text import display_width, pad


def test_display_width_counts_cjk_as_two():
    assert display_width("abc") == 3
    assert display_width("学习率") == 6
    assert display_width("（lr）") == 6


def test_pad_aligns_mixed_text():
    assert pad("学习率", 8) == "学习率  "
    assert pad("lr", 4, right=True) == "  lr"
    assert pad("很长的文字", 3) == "很长的文字"
