"""``report.html``, the class report written by ``grade`` and ``merge``.

A real grading run of assignment 04 (three learners) supplies the cases; a class of 24 learners
with known pass patterns is built on those cases, so every number on the page can be checked.
The browser test opens the page in headless Chromium (system Chromium + Playwright, as in
``tests/test_browser.py``; skipped without them unless ``COURSE_REQUIRE_BROWSER=1``), blocks
any network request, checks that the charts render and saves a screenshot to
``tests/_artifacts/grading_report.png``.
"""

from __future__ import annotations

import copy
import json
import os
import random
import re
import shutil
from html import escape
from pathlib import Path

import pytest
from browser_helpers import CHROMIUM_ARGS, JS_GLYPHS_DIFFER, find_chromium

from course_utils.grading.grader import grade
from course_utils.grading.report import render
from course_utils.grading.source import load_assignment, solution_lines

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "assignments" / "04_convex_optimization.ipynb"
RELEASED = ROOT / "notebooks" / "assignments" / SOURCE.name
ARTIFACT = ROOT / "tests" / "_artifacts" / "grading_report.png"
N = 24


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    src, subs = base / "src", base / "subs"
    src.mkdir()
    subs.mkdir()
    shutil.copy(SOURCE, src / SOURCE.name)
    shutil.copy(SOURCE, subs / "full.ipynb")
    shutil.copy(RELEASED, subs / "stub.ipynb")
    (subs / "broken.ipynb").write_text("{not json")
    (subs / "notes.txt").write_text("x")  # not graded: listed on the page
    for name in ("a.ipynb", "b.ipynb"):  # a learner with two notebooks gets no row
        (subs / "2024999").mkdir(exist_ok=True)
        shutil.copy(RELEASED, subs / "2024999" / name)
    grade("04", subs, base / "out", source_dir=src, jobs=1, timeout=20, echo=lambda *a: None)
    return base / "out"


def _class_of(doc: dict) -> dict:
    """24 learners on the real cases; learner k passes case i of question j with a known
    probability; learner 5 timed out on q3, learner 7 was unreadable."""
    rng = random.Random(0)
    template = doc["submissions"][0]
    subs = []
    for k in range(N):
        s = copy.deepcopy(template)
        s.update(learner=f"2024{k:03d}", submission=f"2024{k:03d}.ipynb", status="正常",
                 notes=[], flags=[], graded=True)
        for j, q in enumerate(s["questions"].values()):
            q["status"], q["notes"] = "完成", []
            for i, c in enumerate(q["cases"]):
                c["passed"] = rng.random() < (0.95 - 0.25 * j if i % 2 == 0 else 0.9 - 0.1 * i)
                c["score"] = c["max"] if c["passed"] else 0.0
            q["score"] = round(sum(c["score"] for c in q["cases"]), 2)
        s["total"] = round(sum(q["score"] for q in s["questions"].values()), 2)
        subs.append(s)
    subs[5]["questions"]["q3"]["status"] = "超时（20 s）"
    subs[7].update(status="无法读取该文件：不是有效的 .ipynb 笔记本", graded=False)
    return {**doc, "submissions": subs}


@pytest.fixture(scope="module")
def klass(real_run, tmp_path_factory):
    doc = _class_of(json.loads((real_run / "results.json").read_text(encoding="utf-8")))
    out = tmp_path_factory.mktemp("class") / "report.html"
    out.write_text(render(doc), encoding="utf-8")
    return doc, out


def test_grade_writes_a_report_without_hidden_code(real_run):
    html = (real_run / "report.html").read_text(encoding="utf-8")
    doc = json.loads((real_run / "results.json").read_text(encoding="utf-8"))
    for q in doc["submissions"][0]["questions"].values():
        for c in q["cases"]:
            assert escape(c["desc"]) in html
    _, hidden = solution_lines(load_assignment(SOURCE))
    code = [ln.strip() for ln in hidden if len(ln.strip()) > 12 and not ln.strip().startswith(
        ("@case", "import", "from", "#", "def _"))]
    assert code and not [ln for ln in code if ln in html]
    assert "broken" in html and "无法读取" in html  # the unreadable file is listed
    skipped = html.split("未评分的文件或目录（3 个）")[1]  # relative paths, never the folder
    assert "notes.txt" in skipped and "2024999/a.ipynb" in skipped and "2 份笔记本" in skipped
    assert str(real_run.parent) not in html


def test_report_is_self_contained_and_its_numbers_are_right(klass):
    doc, path = klass
    html = path.read_text(encoding="utf-8")
    for banned in ("http://", "https://", "<script", "src=", "@import", "url(", "<link"):
        assert banned not in html, banned
    questions = doc["assignment"]["questions"]
    hists = re.findall(r'<svg class="histogram" data-key="([^"]+)".*?</svg>', html, re.S)
    assert hists == [q["id"] for q in questions] + ["total"]
    for block in re.findall(r'<svg class="histogram".*?</svg>', html, re.S):
        assert sum(map(int, re.findall(r'data-count="(\d+)"', block))) == N
    cases = re.search(r'<svg class="hbars" data-key="cases".*?</svg>', html, re.S).group(0)
    shares = [float(x) for x in re.findall(r'data-share="([\d.]+)"', cases)]
    expected = [sum(s["questions"][q["id"]]["cases"][i]["passed"] for s in doc["submissions"]) / N
                for q in questions for i in range(len(doc["submissions"][0]["questions"][q["id"]]["cases"]))]
    assert shares == pytest.approx(expected, abs=1e-4)
    worst = min(range(len(expected)), key=lambda i: expected[i])
    table = html.split("4. 最常失败的用例")[1].split("</table>")[0]
    first_row = table.split("<tr>")[2]
    assert f"{1 - expected[worst]:.0%}" in first_row
    unusual = html.split("5. 状态异常的提交")[1]
    assert "2024005" in unusual and "超时" in unusual and "2024007" in unusual
    assert unusual.split("</table>")[0].count("<tr>") == 3  # header + the two unusual learners
    rates = {q["id"]: sum(s["questions"][q["id"]]["score"] for s in doc["submissions"])
             / (N * q["points"]) for q in questions}
    weakest = min(rates, key=rates.get)
    assert f'<tr class="weak"><td>{weakest}</td>' in html


def test_an_empty_shard_still_gets_a_page(real_run):
    doc = json.loads((real_run / "results.json").read_text(encoding="utf-8"))
    html = render({**doc, "submissions": []})  # more shards than learners
    assert "共 0 份提交" in html and "没有：每份提交" in html


def _skip(reason):
    if os.environ.get("COURSE_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + "（COURSE_REQUIRE_BROWSER=1：浏览器测试不能跳过）")
    pytest.skip(reason)


@pytest.mark.browser
def test_report_renders_in_headless_chromium(klass):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip("未安装 Playwright：pip install -e '.[browser]'")
    if find_chromium() is None:
        _skip("找不到 Chromium（/usr/bin/chromium）：运行 bash .ci/install_browser.sh")
    doc, path = klass
    offsite = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), headless=True,
                                    args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")

            def only_file(route):
                if route.request.url.startswith("file://"):
                    route.continue_()
                else:
                    offsite.append(route.request.url)
                    route.abort()

            ctx.route("**/*", only_file)
            page = ctx.new_page()
            page.goto(path.as_uri())
            boxes = page.eval_on_selector_all(
                "svg.histogram, svg.hbars",
                "els => els.map(e => { const r = e.getBoundingClientRect();"
                " return [e.getAttribute('data-key'), r.width, r.height]; })")
            bars = page.eval_on_selector_all(
                "svg rect.bar", "els => els.map(e => e.getBoundingClientRect().width)")
            glyphs = page.evaluate(JS_GLYPHS_DIFFER, "题测试通过率")
            ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACT), full_page=True)
        finally:
            browser.close()
    assert not offsite
    n_q = len(doc["assignment"]["questions"])
    assert len(boxes) == n_q + 1 + 2 and all(w > 100 and h > 50 for _, w, h in boxes)
    assert len(bars) > 20 and sum(w > 0 for w in bars) > 20
    assert glyphs["distinct"] and not glyphs["blank"], glyphs  # CJK text really drawn
    import matplotlib.image

    img = matplotlib.image.imread(str(ARTIFACT))
    assert img.shape[0] > 900 and img[..., :3].std() > 0.05  # a full page, not a blank one
