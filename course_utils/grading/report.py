"""``report.html``: one self-contained page that tells a teacher where the class struggled.

Written by ``grade`` and ``merge`` next to ``grades.csv``. No scripts, no external files, no
network: the charts are inline SVG. Contents: a per-question overview (mean, share of the
points, full marks, zeros; the weakest question highlighted), a histogram of the scores of each
question and of the total, the share of learners passing each test case, the cases failed most
often with their descriptions (hidden cases by their description only, never their code), and
the submissions with a non-normal status (timeout, crash, wrong assignment, unreadable file...)
and the files that were not graded (e.g. a learner who handed in two notebooks).
The page depends only on the data, so a sharded run merged gives the same page as a whole run.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from statistics import mean, median

from .classdata import cases_of, load, passed, unusual

FONT = ('"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",'
        '"WenQuanYi Zen Hei",sans-serif')
GOOD, MID, BAD, NEUTRAL = "#2e7d32", "#f9a825", "#c62828", "#4c72b0"
CSS = f"""
body {{ font-family: {FONT}; margin: 24px auto; max-width: 1100px; color: #222; }}
h1 {{ font-size: 22px; }} h2 {{ font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }}
table {{ border-collapse: collapse; margin: 8px 0; }}
th, td {{ border: 1px solid #ccc; padding: 4px 10px; text-align: left; font-size: 14px; }}
td.num {{ text-align: right; }} tr.weak td {{ background: #fdecea; }}
.grid {{ display: flex; flex-wrap: wrap; gap: 12px; }}
.chart {{ border: 1px solid #eee; padding: 4px; }}
.note {{ color: #666; font-size: 13px; }}
"""


def write_report(out) -> Path:
    """Build ``out/report.html`` from the grading outputs in ``out``; return its path."""
    path = Path(out) / "report.html"
    path.write_text(render(load(out)), encoding="utf-8")
    return path


def render(doc: dict) -> str:
    """The page for one ``results.json`` document."""
    subs, cases = doc["submissions"], cases_of(doc)
    questions = [dict(q, cases=cases.get(q["id"], [])) for q in doc["assignment"]["questions"]]
    title = doc["assignment"].get("title") or "作业"
    parts = [f"<h1>班级报告：{escape(title)}</h1>",
             f"<p>共 {len(subs)} 份提交。" + (_totals_line(subs) if subs else "") + "</p>"]
    if subs and questions:
        parts += [_overview(questions, subs), _histograms(questions, subs),
                  _case_shares(questions, subs), _most_failed(questions, subs)]
    parts.append(_unusual(subs) + _skipped(doc.get("skipped", [])))
    parts.append('<p class="note">隐藏测试只显示说明文字，不显示代码、输入和期望值。'
                 "本页不含脚本、不访问网络，可以直接发给助教。</p>")
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<title>班级报告：{escape(title)}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def _totals_line(subs):
    totals = [s["total"] for s in subs]
    top = subs[0]["max"]
    return (f"总分平均 {mean(totals):.2f} / {top:g}，中位数 {median(totals):g}，"
            f"满分 {sum(t == top for t in totals)} 人，零分 {sum(t == 0 for t in totals)} 人。")


def _pass_shares(q, subs):
    """Share of submissions passing each case of question ``q``."""
    n = len(subs)
    flags = [passed(s, q["id"]) for s in subs]
    return [sum(f[i] for f in flags if len(f) > i) / n for i in range(len(q["cases"]))]


def _overview(questions, subs):
    rates = {q["id"]: mean(s["questions"][q["id"]]["score"] for s in subs) / q["points"] for q in questions}
    weakest = min(rates, key=rates.get)
    rows = []
    for q in questions:
        sc = [s["questions"][q["id"]]["score"] for s in subs]
        cls = ' class="weak"' if q["id"] == weakest else ""
        rows.append(f"<tr{cls}><td>{q['id']}</td><td><code>{escape(q['function'])}</code></td>"
                    f"<td class=num>{q['points']:g}</td><td class=num>{mean(sc):.2f}</td>"
                    f"<td class=num>{rates[q['id']]:.0%}</td>"
                    f"<td class=num>{sum(x == q['points'] for x in sc)}</td>"
                    f"<td class=num>{sum(x == 0 for x in sc)}</td></tr>")
    bars = _hbars([(f"{q['id']} {q['function']}", rates[q["id"]], _color(rates[q["id"]]))
                   for q in questions], "overview", "平均得分率")
    return ("<h2>1. 各题概览</h2>"
            f"<p>得分率最低的是 <b>{weakest}</b>（{rates[weakest]:.0%}），表中以红色标出。</p>"
            "<table><tr><th>题</th><th>函数</th><th>分值</th><th>平均分</th><th>得分率</th>"
            "<th>满分人数</th><th>零分人数</th></tr>" + "".join(rows) + "</table>" + bars)


def _histograms(questions, subs):
    charts = [_histogram(f"{q['id']} · {q['function']}", [s["questions"][q["id"]]["score"] for s in subs],
                         _levels(q["points"], [c["max"] for c in q["cases"]]), q["id"])
              for q in questions]
    charts.append(_histogram("总分", [s["total"] for s in subs], _levels(subs[0]["max"]), "total"))
    return ("<h2>2. 得分分布（直方图）</h2><p class=note>横轴为得分，纵轴为人数。</p>"
            '<div class="grid">' + "".join(charts) + "</div>")


def _levels(top, shares=None):
    """The bars of a histogram: every score a question can give (sums of its cases' shares)
    when there are at most 12, else ten equal bins ``(low, high)`` over ``[0, top]``."""
    if shares:
        sums = {0.0}
        for m in shares:
            sums |= {round(x + m, 4) for x in sums}
        if len(sums) <= 12:
            return sorted(sums)
    width = top / 10
    return [(k * width, (k + 1) * width) for k in range(10)]


def _count(values, levels):
    """``(label, count)`` per bar: nearest possible score, or the bin holding the value."""
    if not isinstance(levels[0], tuple):
        counts = [0] * len(levels)
        for x in values:
            counts[min(range(len(levels)), key=lambda i: abs(levels[i] - x))] += 1
        return [(f"{v:.2f}".rstrip("0").rstrip("."), c) for v, c in zip(levels, counts)]
    width = levels[0][1]
    counts = [0] * len(levels)
    for x in values:
        counts[min(len(levels) - 1, max(0, int(x / width + 1e-9)))] += 1
    return [(f"{lo:g}–{hi:g}", c) for (lo, hi), c in zip(levels, counts)]


def _histogram(label, values, levels, key):
    bars = _count(values, levels)
    w, h, pad = 320, 190, 30
    peak = max(c for _, c in bars) or 1
    step = (w - 2 * pad) / len(bars)
    svg = [f'<svg class="histogram" data-key="{escape(key)}" width="{w}" height="{h}" '
           f'viewBox="0 0 {w} {h}" role="img" aria-label="{escape(label)} 得分分布" '
           f'style="font-family:{escape(FONT)}">',
           f'<text x="{w / 2}" y="16" text-anchor="middle" font-size="13">{escape(label)}</text>',
           f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#888"/>']
    for k, (name, c) in enumerate(bars):
        bh = (h - 2 * pad - 12) * c / peak
        x = pad + k * step + 2
        svg.append(f'<rect class="bar" data-count="{c}" x="{x:.1f}" y="{h - pad - bh:.1f}" '
                   f'width="{step - 4:.1f}" height="{bh:.1f}" fill="{NEUTRAL}">'
                   f"<title>{escape(name)} 分：{c} 人</title></rect>")
        if c:
            svg.append(f'<text x="{x + (step - 4) / 2:.1f}" y="{h - pad - bh - 3:.1f}" '
                       f'text-anchor="middle" font-size="11">{c}</text>')
        svg.append(f'<text x="{x + (step - 4) / 2:.1f}" y="{h - pad + 14}" text-anchor="middle" '
                   f'font-size="10">{escape(name)}</text>')
    return '<div class="chart">' + "".join(svg) + "</svg></div>"


def _color(share):
    return GOOD if share >= 0.8 else MID if share >= 0.5 else BAD


def _hbars(items, key, caption):
    """Horizontal bars ``(label, share in [0, 1], colour)`` with the percentage at the end."""
    lw, bw, row = 430, 380, 22
    h = row * len(items) + 30
    svg = [f'<svg class="hbars" data-key="{key}" width="{lw + bw + 60}" height="{h}" '
           f'role="img" aria-label="{escape(caption)}" style="font-family:{escape(FONT)}">',
           f'<text x="{lw}" y="14" font-size="12" fill="#666">{escape(caption)}（0–100%）</text>']
    for k, (label, share, color) in enumerate(items):
        y = 22 + k * row
        short = label if len(label) <= 34 else label[:33] + "…"
        svg.append(f'<text x="{lw - 6}" y="{y + 14}" text-anchor="end" font-size="12">'
                   f"<title>{escape(label)}</title>{escape(short)}</text>"
                   f'<rect x="{lw}" y="{y + 2}" width="{bw}" height="{row - 6}" fill="#eee"/>'
                   f'<rect class="bar" data-share="{share:.4f}" x="{lw}" y="{y + 2}" '
                   f'width="{bw * share:.1f}" height="{row - 6}" fill="{color}"/>'
                   f'<text x="{lw + bw + 6}" y="{y + 14}" font-size="12">{share:.0%}</text>')
    return '<div class="chart">' + "".join(svg) + "</svg></div>"


def _kind(case):
    return "隐藏" if case["visibility"] == "hidden" else "公开"


def _case_shares(questions, subs):
    items = []
    for q in questions:
        for case, share in zip(q["cases"], _pass_shares(q, subs)):
            items.append((f"{q['id']} {_kind(case)}：{case['desc']}", share, _color(share)))
    return ("<h2>3. 各测试用例的通过率</h2><p class=note>每个用例通过的学生比例；"
            "绿色 ≥ 80%，黄色 50%–80%，红色 &lt; 50%。</p>" + _hbars(items, "cases", "通过率"))


def _most_failed(questions, subs, top=10):
    failed = []
    for q in questions:
        for case, share in zip(q["cases"], _pass_shares(q, subs)):
            if share < 1:
                failed.append((1 - share, q["id"], case))
    failed.sort(key=lambda f: -f[0])
    if not failed:
        return "<h2>4. 最常失败的用例</h2><p>所有用例都被全部学生通过。</p>"
    rows = "".join(f"<tr><td class=num>{f:.0%}（{round(f * len(subs))} 人）</td><td>{qid}</td>"
                   f"<td>{_kind(c)}</td><td>{escape(c['desc'])}</td></tr>"
                   for f, qid, c in failed[:top])
    return ("<h2>4. 最常失败的用例</h2><table><tr><th>失败比例</th><th>题</th><th>类型</th>"
            f"<th>用例说明</th></tr>{rows}</table>")


def _unusual(subs):
    bad = [(f'{s["learner"]}（{s["submission"]}）', unusual(s)) for s in subs if unusual(s)]
    if not bad:
        return "<h2>5. 状态异常的提交</h2><p>没有：每份提交都被正常读取并运行完毕。</p>"
    rows = "".join(f"<tr><td>{escape(name)}</td><td>{escape('；'.join(why))}</td></tr>"
                   for name, why in bad)
    return (f"<h2>5. 状态异常的提交（{len(bad)} 份）</h2><p class=note>超时、进程崩溃、作业编号不符、"
            "无法读取等；请打开对应的反馈文件与 grading.log 查看。</p>"
            f'<table class="unusual"><tr><th>提交</th><th>状态</th></tr>{rows}</table>')


def _skipped(skipped):
    """The files and folders that were not graded (a learner with two notebooks has no row)."""
    if not skipped:
        return ""
    rows = "".join(f"<tr><td>{escape(x['path'])}</td><td>{escape(x['reason'])}</td></tr>"
                   for x in skipped)
    return (f"<p><b>未评分的文件或目录（{len(skipped)} 个）</b>：不在上面的统计中；"
            "“有多份笔记本”的学生没有成绩，请只保留一份后重新评分。</p>"
            f'<table class="skipped"><tr><th>路径（相对提交目录）</th><th>原因</th></tr>{rows}</table>')
