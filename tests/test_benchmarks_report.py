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
