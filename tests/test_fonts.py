import warnings

import matplotlib.pyplot as plt

from course_utils import env, fonts


def test_bundled_cjk_font_ships_with_a_pip_dependency():
    files = fonts.bundled_font_files()
    assert files, "mplfonts should ship Noto Sans CJK font files"
    assert any("CJK" in f.name for f in files)


def test_chinese_figure_renders_without_missing_glyph_warnings(tmp_path):
    env.setup_notebook(quiet=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" becomes an error
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, -1], label="训练损失（负值用普通减号 −）")
        ax.set_title("学习率调度：余弦退火与预热")
        ax.set_xlabel("迭代步数")
        ax.set_ylabel("学习率")
        ax.legend()
        fig.savefig(tmp_path / "zh.png")
        fig.canvas.draw()
    assert (tmp_path / "zh.png").stat().st_size > 1000


def test_font_family_is_first_sans_serif():
    import matplotlib as mpl

    name = fonts.setup_cjk_font()
    assert mpl.rcParams["font.sans-serif"][0] == name
    assert name in fonts.CJK_FAMILIES or "CJK" in name
