"""The Gradescope autograder bundle: zip layout, setup.sh, and run_autograder on planted learners.

The zip is unpacked into a temporary folder laid out like Gradescope's ``/autograder``
(``source/``, ``submission/``, ``results/``; ``GRADESCOPE_ROOT`` points there). ``setup.sh`` is
checked but not run (it would download PyTorch); ``run_autograder`` runs with this environment's
Python and the package copy from the zip first on ``PYTHONPATH``. ``results.json`` is validated
against Gradescope's documented format and its scores compared with the local grader's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from course_utils.grading.__main__ import main as cli
from course_utils.grading.grader import grade

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "assignments" / "04_convex_optimization.ipynb"
RELEASED = ROOT / "notebooks" / "assignments" / SOURCE.name

# https://gradescope-autograders.readthedocs.io/en/latest/specs/ ("Output format")
_VIS = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
_FMT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
_NUM, _STR = {"type": "number"}, {"type": "string"}
RESULTS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "anyOf": [{"required": ["score"]}, {"required": ["tests"]}],
    "properties": {
        "score": _NUM, "execution_time": _NUM, "output": _STR, "output_format": _FMT,
        "test_output_format": _FMT, "test_name_format": _FMT, "visibility": _VIS,
        "stdout_visibility": _VIS, "extra_data": {"type": "object"},
        "leaderboard": {"type": "array"},
        "tests": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "properties": {"score": _NUM, "max_score": _NUM,
                           "status": {"enum": ["passed", "failed"]}, "name": _STR,
                           "name_format": _FMT, "number": _STR, "output": _STR,
                           "output_format": _FMT, "tags": {"type": "array", "items": _STR},
                           "visibility": _VIS, "extra_data": {"type": "object"}}}},
    },
}

PARTIAL_CELL = '''def gd_steps_to_converge(a, lr, x0, tol=1e-6, max_steps=10000):
    x = x0
    for k in range(max_steps):
        if abs(x) < tol:
            return k + 1
        x = x - lr * a * x
    return max_steps
'''


def _learners(dest: Path) -> dict[str, Path]:
    """Three learners of assignment 04: a full solution, a partial one, an untouched notebook."""
    dest.mkdir(parents=True)
    nb = json.loads(SOURCE.read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None,
                        "outputs": [], "source": PARTIAL_CELL})
    (dest / "partial.ipynb").write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    shutil.copy(SOURCE, dest / "full.ipynb")
    shutil.copy(RELEASED, dest / "stub.ipynb")
    return {p.stem: p for p in sorted(dest.iterdir())}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    base = tmp_path_factory.mktemp("gs")
    src = base / "sources"
    src.mkdir()
    shutil.copy(SOURCE, src / SOURCE.name)
    assert cli(["gradescope", "--assignment", "4", "--out", str(base / "zip"), "--source",
                str(src), "--timeout", "20"]) == 0
    return {"zip": base / "zip" / "gradescope_04.zip", "sources": src, "base": base}


def test_zip_layout_and_setup_script(bundle):
    with zipfile.ZipFile(bundle["zip"]) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        setup = zf.read("setup.sh").decode()
        run = zf.read("run_autograder").decode()
        conf = json.loads(zf.read("gradescope.json"))
    assert {"setup.sh", "run_autograder", "gradescope.json", f"assignments/{SOURCE.name}",
            "course/pyproject.toml", "course/course_utils/grading/grader.py",
            "course/course_utils/grading/questions/a04.json"} <= names
    assert not any("__pycache__" in n or n.startswith("assignments/0") and SOURCE.name not in n
                   for n in names)  # only this assignment's source, no caches
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert '"torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu' in setup
    assert setup.index("torch==2.13.0") < setup.index('install "$SOURCE/course"')
    assert "GRADESCOPE_ROOT:-/autograder" in setup and "GRADESCOPE_ROOT:-/autograder" in run
    assert "course_utils.grading.gradescope run" in run
    assert conf["assignment"] == "04" and conf["timeout"] == 20
    for script in ("setup.sh", "run_autograder"):
        path = bundle["base"] / script
        path.write_text(setup if script == "setup.sh" else run)
        assert subprocess.run(["bash", "-n", str(path)]).returncode == 0
    # same inputs, same bytes (fixed timestamps): a rebuilt bundle does not churn
    again = bundle["base"] / "again"
    assert cli(["gradescope", "--assignment", "04", "--out", str(again), "--source",
                str(bundle["sources"]), "--timeout", "20"]) == 0
    assert (again / "gradescope_04.zip").read_bytes() == bundle["zip"].read_bytes()


def _autograder_root(bundle, dest: Path, notebooks: list[Path]) -> Path:
    """``dest`` laid out like Gradescope's /autograder after the image build and an upload."""
    with zipfile.ZipFile(bundle["zip"]) as zf:
        zf.extractall(dest / "source")
    shutil.copy(dest / "source" / "run_autograder", dest / "run_autograder")
    (dest / "submission").mkdir()
    (dest / "results").mkdir()
    for nb in notebooks:
        shutil.copy(nb, dest / "submission" / nb.name)
    return dest


def _run_autograder(root: Path) -> tuple[dict, str]:
    env = dict(os.environ, GRADESCOPE_ROOT=str(root), COURSE_PYTHON=sys.executable,
               PYTHONPATH=str(root / "source" / "course"))
    res = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, env=env,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8")), res.stdout


def test_run_autograder_scores_equal_the_local_grader(bundle, tmp_path):
    learners = _learners(tmp_path / "learners")
    rows = grade("04", tmp_path / "learners", tmp_path / "local", source_dir=bundle["sources"],
                 jobs=1, timeout=20, echo=lambda *a: None)
    local = {r["learner"]: r for r in rows}
    assert local["full"]["total"] == 10 and local["stub"]["total"] == 0
    assert 0 < local["partial"]["total"] < 10
    for name, nb in learners.items():
        root = _autograder_root(bundle, tmp_path / f"autograder-{name}", [nb])
        res, stdout = _run_autograder(root)
        assert f"course_utils 来自 {root / 'source' / 'course' / 'course_utils'}" in stdout
        jsonschema.validate(res, RESULTS_SCHEMA)
        assert res["score"] == local[name]["total"], name
        for qid in ("q1", "q2", "q3", "q4"):
            cases = [t for t in res["tests"] if t["tags"] == [qid]]
            assert sum(t["score"] for t in cases) == pytest.approx(local[name][qid], abs=0.01)
            assert sum(t["max_score"] for t in cases) == pytest.approx(
                {"q1": 2, "q2": 3, "q3": 3, "q4": 2}[qid], abs=0.01)
        feedback = (tmp_path / "local" / "feedback" / f"{name}.md").read_text(encoding="utf-8")
        for t in res["tests"]:
            hidden = "隐藏测试" in t["name"]
            assert t["visibility"] == ("after_published" if hidden else "visible")
            assert t["status"] == ("passed" if t["score"] == t["max_score"] else "failed")
            assert f"- {t['output'].splitlines()[0]}" in feedback  # the same Chinese line
        assert any("隐藏测试" in t["name"] for t in res["tests"])


def test_two_notebooks_in_one_upload_get_a_clear_message(bundle, tmp_path):
    learners = _learners(tmp_path / "learners")
    root = _autograder_root(bundle, tmp_path / "autograder", [learners["full"], learners["stub"]])
    res, _ = _run_autograder(root)
    jsonschema.validate(res, RESULTS_SCHEMA)
    assert res["score"] == 0 and res["tests"] == [] and "只上传一份" in res["output"]


def test_cli_refuses_unknown_assignment(tmp_path, capsys):
    assert cli(["gradescope", "--assignment", "09", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "09" in err and "Traceback" not in err


def test_a_broken_autograder_still_writes_a_result(tmp_path):
    from course_utils.grading.gradescope import main

    (tmp_path / "submission").mkdir()  # no source/gradescope.json: the grader itself fails
    assert main(["run", "--root", str(tmp_path)]) == 1
    res = json.loads((tmp_path / "results" / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(res, RESULTS_SCHEMA)
    assert res["score"] == 0 and "联系教师" in res["output"]
