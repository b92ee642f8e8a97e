"""Find or register a CJK font so Chinese text in matplotlib renders without missing glyphs.

Order of preference: a CJK font matplotlib already knows (system fonts such as Noto Sans CJK),
then the Noto Sans CJK SC files shipped inside the ``mplfonts`` wheel (works offline and on Colab).
"""

from __future__ import annotations

from pathlib import Path

# Families known to cover simplified Chinese, in order of preference.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
)


def _known_families() -> set[str]:
    from matplotlib import font_manager

    return {f.name for f in font_manager.fontManager.ttflist}


def bundled_font_files() -> list[Path]:
    """Noto Sans CJK SC font files shipped by the ``mplfonts`` package (empty if not installed)."""
    try:
        import mplfonts
    except ImportError:
        return []
    base = Path(mplfonts.__file__).resolve().parent
    files = [p for p in base.rglob("*") if p.suffix.lower() in {".otf", ".ttf", ".ttc"}]
    # Prefer Sans (Regular/Bold), which is what labels and titles use.
    files.sort(key=lambda p: ("Sans" not in p.name, "Regular" not in p.name, p.name))
    return [p for p in files if "CJK" in p.name or "Noto" in p.name]


def find_cjk_family() -> str | None:
    """Return the first CJK family matplotlib knows, or None."""
    known = _known_families()
    for fam in CJK_FAMILIES:
        if fam in known:
            return fam
    return None


def register_bundled_fonts() -> str | None:
    """Register the fonts shipped by ``mplfonts`` with matplotlib; return the CJK family name."""
    from matplotlib import font_manager

    family = None
    for path in bundled_font_files():
        try:
            font_manager.fontManager.addfont(str(path))
        except Exception:  # pragma: no cover - a broken font file is skipped
            continue
        name = font_manager.FontProperties(fname=str(path)).get_name()
        if family is None and "CJK" in name and "Sans" in name:
            family = name
    return family or find_cjk_family()


def setup_cjk_font() -> str:
    """Make a CJK font the first sans-serif family; return its name.

    Raises RuntimeError with instructions when no CJK font can be found.
    """
    import matplotlib as mpl

    family = find_cjk_family() or register_bundled_fonts()
    if family is None:
        raise RuntimeError(
            "找不到中文字体：请安装 mplfonts（pip install mplfonts）或系统字体 fonts-noto-cjk，"
            "然后重新运行 setup_notebook()。"
        )
    sans = [f for f in mpl.rcParams["font.sans-serif"] if f != family]
    mpl.rcParams["font.sans-serif"] = [family, *sans]
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["axes.unicode_minus"] = False
    return family
