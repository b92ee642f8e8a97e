"""benchmarks/report.py: the header never prints ``None`` for a torch version."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _report():
    spec = importlib.util.spec_from_file_location("bench_report", ROOT / "benchmarks" / "report.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _results():
    return json.loads((ROOT / "benchmarks" / "results.json").read_text(encoding="utf-8"))


def test_header_without_any_reference_run_says_so():
    res = _results()
    res["meta"]["torch_reference_venv"] = None
    res["sections"] = {}
    header = _report().render(res).split("## ")[0]
    assert "None" not in header and "没有用到参考环境" in header
    assert res["meta"]["torch_course_venv"] in header


def test_header_falls_back_to_the_reference_rows():
    res = _results()
    res["meta"]["torch_reference_venv"] = None  # what a fresh machine recorded before this fix
    d2l = {r["torch"] for r in res["sections"]["throughput"]["rows"] if r["label"] == "d2l"}
    header = _report().render(res).split("## ")[0]
    assert "None" not in header
    assert f"`benchmarks/.venv-d2l` {', '.join(sorted(d2l))}" in header


def test_committed_results_header_has_no_none():
    header = (ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8").split("## ")[0]
    assert "None" not in header


def _grading_json():
    return json.loads((ROOT / "benchmarks" / "grading_throughput.json").read_text(encoding="utf-8"))


def test_render_includes_the_grading_section_from_its_json(tmp_path):
    res = _results()
    data = _grading_json()
    data["rows"][0]["whole"]["seconds"] = 123.4  # a planted number must come through
    path = tmp_path / "grading_throughput.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    text = _report().render(res, grading_json=path)
    assert text.count("## 6. 评分吞吐量") == 1 and text.count("<!-- grading-throughput:start -->") == 1
    row = next(ln for ln in text.splitlines() if ln.startswith(f"| {data['rows'][0]['assignment']} |"))
    assert row.split("|")[2].strip() == "123.4"
    assert text.rstrip().endswith("<!-- grading-throughput:end -->")
    without = _report().render(res, grading_json=tmp_path / "missing.json")
    assert "评分吞吐量" not in without and "grading-throughput" not in without


def test_committed_results_md_is_what_make_bench_renders():
    """One way to produce RESULTS.md: report.render(results.json) with section 6 from its JSON."""
    committed = (ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")
    assert _report().render(_results()) == committed
