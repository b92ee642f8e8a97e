"""Real-browser test: JupyterLab + headless Chromium, the way a learner meets the notebooks.

For each lesson notebook ``notebooks/0*.ipynb``: open it in JupyterLab, clear outputs, run all
cells (``COURSE_MODE=smoke``), wait until the kernel is idle, check that every code cell ran in
order with no error output and no widget rendering error, then move every ipywidgets slider with
the keyboard (as a user does after tabbing to its handle) and pick another option in every
dropdown, checking each time that the figure in the same cell changed. Screenshots, a summary and
the server log go to ``tests/_artifacts/browser/`` (git-ignored).

Needs Playwright for Python (``pip install -e .[browser]``) and a system Chromium plus a CJK font
(``bash .ci/install_browser.sh``); ``playwright install`` is never needed. Skipped otherwise,
unless ``COURSE_REQUIRE_BROWSER=1`` (CI), which turns the skip into a failure.
Run just this test:  ``.venv/bin/python -m pytest tests/test_browser.py -m browser``.
``COURSE_BROWSER_NOTEBOOKS=a.ipynb:b.ipynb`` tests other notebooks (for developing the test).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from browser_helpers import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    JS_CELL_IMAGES,
    JS_GLYPHS_DIFFER,
    JS_PANEL_READY,
    JS_PANEL_READY_ANY,
    JS_RUN_ALL,
    JS_STATE,
    LabServer,
    find_chromium,
    lesson_notebooks,
)

pytestmark = pytest.mark.browser

NOTEBOOK_TIMEOUT = 240  # s for "run all" of one notebook in smoke mode (CI: 2 slow cores)
REDRAW_TIMEOUT = 60  # s for one slider move to produce a new figure
SLIDER = ".widget-hslider, .widget-vslider"
HANDLE = ".noUi-handle, .ui-slider-handle"  # ipywidgets 8 (noUiSlider) / 7 (jQuery UI)
READOUT = ".widget-readout"
DROPDOWN = ".widget-dropdown"
CELL = "xpath=ancestor::div[contains(concat(' ', @class, ' '), ' jp-Cell ')][1]"

NOTEBOOKS = lesson_notebooks()


def _skip(reason):
    """Skip, or fail where the browser test is required (CI sets COURSE_REQUIRE_BROWSER=1)."""
    if os.environ.get("COURSE_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + "（COURSE_REQUIRE_BROWSER=1：浏览器测试不能跳过）")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def playwright_api():
    try:
        from playwright import sync_api
    except ImportError:
        _skip("未安装 Playwright：pip install -e '.[browser]'")
    return sync_api


@pytest.fixture(scope="module")
def lab(tmp_path_factory, playwright_api):
    if find_chromium() is None:
        _skip("找不到 Chromium（/usr/bin/chromium）：运行 bash .ci/install_browser.sh")
    server = LabServer(tmp_path_factory.mktemp("lab"), NOTEBOOKS)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(lab, playwright_api):
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=find_chromium(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, lab):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    offsite = []

    def only_local(route):  # the test must never reach the internet: record and block
        url = route.request.url
        if url.startswith(lab.url) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            offsite.append(url)
            route.abort()

    ctx.route("**/*", only_local)
    pg = ctx.new_page()
    pg.offsite_requests = offsite
    console_errors = []
    pg.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    pg.console_errors = console_errors
    try:
        yield pg
    finally:
        ctx.close()
        lab.shutdown_kernels()


def _wait(fn, until, timeout, what, interval=0.5):
    """Poll ``fn()`` until it returns ``until``."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last == until:
            return last
        time.sleep(interval)
    raise AssertionError(f"等待超时（{timeout} s）：{what}；最后状态：{last!r}")


def _wait_for_run(page, timeout):
    """Poll until "Run All" finished, no cell is queued/running and the kernel is idle (~1.5 s)."""
    deadline, idle_since, state = time.time() + timeout, None, None
    while time.time() < deadline:
        state = page.evaluate(JS_STATE)
        busy = any(c["busy"] for c in state["cells"])
        if state["runAll"] != "running" and state["status"] == "idle" and not busy:
            idle_since = idle_since or time.time()
            if time.time() - idle_since > 1.5:
                return state
        else:
            idle_since = None
        if state["status"] in ("dead", "unknown"):
            break
        time.sleep(0.5)
    raise AssertionError(f"“全部运行”没有在 {timeout} s 内结束：{state}")


def _readout(slider):
    r = slider.locator(READOUT)
    if r.count() == 0:
        return None
    return (r.first.text_content() or r.first.input_value()).strip()


def _kernel_idle(page) -> bool:
    return page.evaluate(JS_PANEL_READY_ANY) == "idle"


def _figure_changed(page, cell, before, nudge=None, tries=3):
    """Wait until the images in ``cell`` differ from ``before``. When the kernel is idle (the
    redraw is done) and the figure is still the same, call ``nudge()`` to move one more step
    (a single step may legitimately not change any pixel), at most ``tries`` times in all."""
    deadline, idle_since = time.time() + REDRAW_TIMEOUT, None
    while time.time() < deadline:
        now = cell.evaluate(JS_CELL_IMAGES)
        if now and now != before:
            return True
        if _kernel_idle(page):
            idle_since = idle_since or time.time()
            if time.time() - idle_since > 2.0 and nudge is not None and tries > 1:
                nudge()
                tries, idle_since = tries - 1, None
            elif time.time() - idle_since > 5.0:
                return False  # redraw long finished, nothing changed
        else:
            idle_since = None
        time.sleep(0.25)
    return False


def _move_slider(page, slider, cell, shot):
    """Move one slider by keyboard and return (old, new) readout; the cell's figure must change."""
    name = Path(shot).name
    before_imgs = cell.evaluate(JS_CELL_IMAGES)
    assert before_imgs, f"{name}: 滑块所在的单元格没有图像输出"
    handle = slider.locator(HANDLE).first
    handle.scroll_into_view_if_needed()
    cell.screenshot(path=f"{shot}_before.png")
    old = _readout(slider)
    handle.focus()  # as a user tabbing to the handle (a click could already move it)
    vertical = "widget-vslider" in (slider.get_attribute("class") or "")
    up, down = ("ArrowUp", "ArrowDown") if vertical else ("ArrowRight", "ArrowLeft")
    key = up
    for key in (up, down, down):  # at the maximum, go the other way
        page.keyboard.press(key)
        if _readout(slider) != old:
            break
        time.sleep(0.2)
    new = _readout(slider)
    assert new != old, f"{name}: 按方向键后滑块的读数没有变化（{old!r}）"
    changed = _figure_changed(page, cell, before_imgs, nudge=lambda: page.keyboard.press(key))
    new = _readout(slider)
    assert changed, f"{name}: 滑块从 {old} 移到 {new} 后图像没有改变"
    time.sleep(0.3)
    cell.screenshot(path=f"{shot}_after.png")
    return old, new


def _change_dropdown(page, select, cell, shot):
    """Pick another option of a dropdown; the cell's figure must change."""
    name = Path(shot).name
    before_imgs = cell.evaluate(JS_CELL_IMAGES)
    assert before_imgs, f"{name}: 下拉菜单所在的单元格没有图像输出"
    select.scroll_into_view_if_needed()
    cell.screenshot(path=f"{shot}_before.png")
    old = select.input_value()
    values = select.locator("option").evaluate_all("os => os.map(o => o.value)")
    others = [v for v in values if v != old]
    assert others, f"{name}: 下拉菜单只有一个选项"
    select.select_option(others[0])
    assert _figure_changed(page, cell, before_imgs), (
        f"{name}: 下拉菜单从 {old} 换成 {others[0]} 后图像没有改变")
    time.sleep(0.3)
    cell.screenshot(path=f"{shot}_after.png")
    return old, others[0]


def _label(control, i, kind):
    label = (control.locator(".widget-label").first.text_content() or "").strip()
    safe = re.sub(r"[^0-9A-Za-z_]+", "_", label).strip("_")
    return label or f"{kind}{i}", f"{kind}{i:02d}" + (f"_{safe}" if safe else "")


@pytest.mark.timeout(NOTEBOOK_TIMEOUT + 360)
@pytest.mark.skipif(not NOTEBOOKS, reason="notebooks/ 里还没有课程笔记本（0*.ipynb）")
@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_sliders_redraw(nb, lab, page):
    outdir = ARTIFACTS / nb.stem
    outdir.mkdir(parents=True, exist_ok=True)
    for old in list(outdir.glob("*.png")) + list(outdir.glob("*.txt")):
        old.unlink()
    try:
        _exercise(nb, lab, page, outdir)
    except BaseException:
        try:  # keep a picture of the failure next to the other screenshots
            page.screenshot(path=str(outdir / "failure.png"))
        except Exception:  # noqa: BLE001 - the page may be gone already
            pass
        raise


def _exercise(nb, lab, page, outdir):
    t0 = time.time()
    page.goto(f"{lab.url}/lab/tree/{nb.name}?reset&token={lab.token}", wait_until="load")
    _wait(lambda: page.evaluate(JS_PANEL_READY, nb.name), "idle", 120,
          f"在 JupyterLab 中打开 {nb.name} 并启动内核")
    page.screenshot(path=str(outdir / "00_opened.png"))
    glyphs = page.evaluate(JS_GLYPHS_DIFFER, "中文学习率")
    assert glyphs["distinct"] and not glyphs["blank"], (
        f"浏览器无法显示中文（字体 {glyphs['family']} 里没有汉字，会显示成方框）："
        "请安装中文字体，例如 bash .ci/install_browser.sh（fonts-wqy-microhei）")

    page.evaluate(JS_RUN_ALL)
    state = _wait_for_run(page, NOTEBOOK_TIMEOUT)
    run_s = time.time() - t0
    page.screenshot(path=str(outdir / "01_ran.png"))

    errors = [f"cell {e['index']}: {e['ename']}: {e['evalue']}\n{e['source']}"
              for e in state["errors"]]
    assert not errors, f"{nb.name} 在浏览器中运行出错：\n" + "\n".join(errors)
    assert not state["widgetErrors"], f"{nb.name} 控件渲染出错：{state['widgetErrors']}"
    counts = [c["count"] for c in state["cells"] if not c["empty"]]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{nb.name}: 不是所有单元格都按顺序执行了（执行编号 {counts}）")

    sliders = page.locator(f".jp-Notebook {SLIDER}")
    n = sliders.count()
    moved = []
    for i in range(n):
        slider = sliders.nth(i)
        cell = slider.locator(CELL)
        assert slider.locator(HANDLE).count() == 1, f"{nb.name}: 第 {i} 个滑块没有渲染出滑块手柄"
        label, stem = _label(slider, i, "slider")
        old, new = _move_slider(page, slider, cell, str(outdir / stem))
        moved.append(f"{label}: {old} -> {new}")
    dropdowns = page.locator(f".jp-Notebook {DROPDOWN}")
    for i in range(dropdowns.count()):
        dd = dropdowns.nth(i)
        label, stem = _label(dd, i, "dropdown")
        old, new = _change_dropdown(page, dd.locator("select"), dd.locator(CELL),
                                    str(outdir / stem))
        moved.append(f"{label}: {old} -> {new}")
    if moved:  # redraws run in the kernel: they must not leave error outputs either
        state = page.evaluate(JS_STATE)
        assert not state["errors"], f"{nb.name}: 移动控件后出现错误输出：{state['errors']}"
    page.locator(".jp-Notebook .jp-Cell").first.scroll_into_view_if_needed()
    page.screenshot(path=str(outdir / "02_top.png"))
    offsite = sorted(set(page.offsite_requests))
    (outdir / "summary.txt").write_text(
        f"{nb.name}: run-all + checks {run_s:.1f} s, total {time.time() - t0:.1f} s\n"
        f"controls moved ({len(moved)}, {n} sliders):\n" + "\n".join(moved) + "\n"
        f"blocked off-site requests: {offsite}\n"
        f"browser console errors: {page.console_errors[:20]}\n", encoding="utf-8")

    source = nb.read_text(encoding="utf-8")
    uses_controls = re.search(r"_slider\(|Slider\(|dropdown\(|Dropdown\(|\binteract(ive)?\(", source)
    assert moved or not uses_controls, (
        f"{nb.name}: 源代码里有交互控件（滑块/下拉菜单），但浏览器里一个也没找到")
    # Only images linked from the notebook itself (the Colab badge) may point off-site; JupyterLab
    # itself must not try to reach the internet (news, update checks, extension manager).
    unexpected = [u for u in offsite if u not in source]
    assert not unexpected, f"JupyterLab 试图访问外网：{unexpected}"
