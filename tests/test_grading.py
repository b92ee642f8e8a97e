"""Fast tests of course_utils.grading: comparison, check(), markers, release (no sandbox)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from course_utils.grading import check, numerical_grad, rel_error, to_plain
from course_utils.grading.build import release
from course_utils.grading.compare import ConversionError, close
from course_utils.grading.harness import definitions, load_statements
from course_utils.grading.source import (
    MarkerError,
    cell_source,
    load_assignment,
    marker_of,
    solution_lines,
    student_notebook_text,
)

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "assignments").glob("[0-9][0-9]_*.ipynb"))
RELEASED = ROOT / "notebooks" / "assignments"
PACKAGE = ROOT / "course_utils" / "grading" / "questions"


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def test_five_assignments_with_three_to_six_questions():
    assert [p.name[:2] for p in SOURCES] == ["01", "02", "03", "04", "05"]
    functions = []
    for p in SOURCES:
        a = load_assignment(p)
        assert 3 <= len(a.questions) <= 6, p.name
        assert a.max_points == 10
        functions += [q.function for q in a.questions.values()]
    assert len(functions) == len(set(functions)), "function names must be unique across assignments"


def test_to_plain_converts_and_rejects():
    assert to_plain(torch.tensor([[1, 2]], dtype=torch.int64)) == [[1.0, 2.0]]
    assert to_plain((np.float32(0.5), True, 3)) == [0.5, 1.0, 3.0]
    assert to_plain(np.arange(3)) == [0.0, 1.0, 2.0]
    with pytest.raises(ConversionError):
        to_plain(AlwaysEqual())
    with pytest.raises(ConversionError):
        to_plain({"a": 1})
    with pytest.raises(ConversionError):
        to_plain(np.zeros(200_000))


def test_close_tolerances_shapes_and_nan():
    assert close([1.0, 2.0], [1.0, 2.0 + 1e-9], 1e-6, 0)[0]
    ok, why = close([1.0, 2.5], [1.0, 2.0], 1e-6, 1e-5)
    assert not ok and "第 1 个元素" in why and "期望 2" in why
    assert not close([1.0], [1.0, 2.0], 1e-6, 0)[0]
    assert not close(1.0, [1.0], 1e-6, 0)[0]
    assert close(float("nan"), float("nan"), 0, 0)[0]
    assert not close(float("nan"), 1.0, 1, 1)[0]
    assert not close(None, 1.0, 1, 1)[0]


def test_rel_error_and_numerical_grad_match_autograd():
    assert rel_error(1.0, 1.0) == 0.0
    assert rel_error([1.0, 2.0], [1.0, 2.2]) == pytest.approx(0.2 / 4.2)
    with pytest.raises(ValueError, match="形状"):
        rel_error([1.0], [1.0, 2.0])
    x = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64, requires_grad=True)
    f = lambda v: (v ** 3).sum() + torch.sin(v).prod()
    f(x).backward()
    num = numerical_grad(f, x.detach())
    assert isinstance(num, torch.Tensor) and rel_error(num, x.grad) < 1e-8
    arr = numerical_grad(lambda v: float((v ** 2).sum()), np.array([1.0, -2.0]))
    assert np.allclose(arr, [2.0, -4.0], atol=1e-6)
    with pytest.raises(ValueError, match="步长 h"):
        numerical_grad(f, x.detach(), h=0)
    with pytest.raises(TypeError, match="参数 f"):
        numerical_grad(3, x.detach())


def _cosine_warmup(step, base_lr, warmup_steps, total_steps, final_lr=0.0):
    import math
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    if step > total_steps:
        return final_lr
    p = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return final_lr + 0.5 * (base_lr - final_lr) * (1 + math.cos(math.pi * p))


def test_check_passes_a_correct_function(capsys):
    def cosine_warmup(*args, **kwargs):
        return _cosine_warmup(*args, **kwargs)
    result = check("q1", cosine_warmup)
    out = capsys.readouterr().out
    assert result.ok and result.passed == result.total == 3
    assert out.count("✅") == 3 and "❌" not in out and "容差" in out and "你的结果" in out


def test_check_reports_wrong_values_with_tolerance(capsys):
    def cosine_warmup(step, base_lr, warmup_steps, total_steps, final_lr=0.0):
        return _cosine_warmup(step, base_lr, warmup_steps, total_steps, final_lr) + 0.01
    result = check("q1", cosine_warmup)
    out = capsys.readouterr().out
    assert not result and result.passed == 0
    assert "❌" in out and "期望" in out and "容差 |实际−期望| ≤ 1e-06" in out


@pytest.mark.parametrize("answer, needle", [
    (lambda *a, **k: AlwaysEqual(), "无法把类型 AlwaysEqual"),
    (lambda *a, **k: 1 / 0, "ZeroDivisionError"),
    (lambda *a, **k: (_ for _ in ()).throw(SystemExit(3)), "SystemExit"),
    (lambda *a, **k: (_ for _ in ()).throw(NotImplementedError()), "尚未实现"),
    (42, "应该是你写的函数"),
])
def test_check_never_raises_on_hostile_answers(capsys, answer, needle):
    result = check("01/q2", answer)
    out = capsys.readouterr().out
    assert not result and needle in out


def test_check_resolves_ambiguous_question_ids(capsys):
    assert not check("q1", lambda *a: 0)  # q1 exists in every assignment: ambiguous
    assert "不唯一" in capsys.readouterr().out
    assert not check("q9", print)
    assert "找不到题目" in capsys.readouterr().out

    def dense_block_channels(c, n, k):
        return c + n * k
    assert check("q3", dense_block_channels).ok  # resolved to assignment 03 by the name
    assert check("q3", lambda c, n, k: c + n * k, assignment="03").ok


def test_definitions_keep_imports_defs_and_call_free_assignments():
    code = "%matplotlib inline\nimport math\nX = 3\nY = f()\nprint(1)\ndef g():\n    return X\n" \
           "if True:\n    !ls\nwhile True:\n    pass\nclass A:\n    pass\n"
    kept = definitions(code)
    assert kept[0] == "import math" and "X = 3" in kept and len(kept) == 4
    assert not any("print" in k or "f()" in k or "while" in k for k in kept)
    with pytest.raises(SyntaxError):
        definitions("def broken(:\n  pass")
    ns = {}
    notes = load_statements(definitions("def g():\n    return 1") + ["import not_a_module"]
                            + definitions("def g():\n    return 2"), ns)
    assert ns["g"]() == 2 and len(notes) == 1 and "not_a_module" in notes[0]


def _write_nb(path, cells):
    nb = {"cells": [{"cell_type": t, "metadata": {}, "source": s,
                     **({"outputs": [], "execution_count": None} if t == "code" else {})}
                    for t, s in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_marker_errors_are_reported_in_chinese(tmp_path):
    bad = _write_nb(tmp_path / "01_bad.ipynb", [("code", "### QUESTION q1 function=f\ndef f(): pass")])
    with pytest.raises(MarkerError, match="points="):
        load_assignment(bad)
    bad = _write_nb(tmp_path / "02_bad.ipynb", [("code", "### HIDDEN TESTS q1\n")])
    with pytest.raises(MarkerError, match="未定义的题目"):
        load_assignment(bad)
    bad = _write_nb(tmp_path / "03_bad.ipynb", [
        ("code", "### QUESTION q1 function=f points=1\ndef f():\n    ### BEGIN SOLUTION\n    return 1"),
        ("code", "### PUBLIC TESTS q1\n"), ("code", "### HIDDEN TESTS q1\n")])
    with pytest.raises(MarkerError, match="END SOLUTION"):
        load_assignment(bad)
    with pytest.raises(MarkerError, match="NN_<slug>"):
        load_assignment(_write_nb(tmp_path / "bad name.ipynb", []))


def _same_json(a, b, path="") -> list[str]:
    """Differences between two JSON values; floats may differ in the last bits across CPUs."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys differ"]
        return [d for k in a for d in _same_json(a[k], b[k], f"{path}/{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: lengths differ"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _same_json(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        return [] if a == pytest.approx(b, rel=1e-6, abs=1e-9, nan_ok=True) else [f"{path}: {a} != {b}"]
    return [] if a == b and type(a) is type(b) else [f"{path}: {a!r} != {b!r}"]


def test_release_is_reproducible_and_matches_committed_files(tmp_path):
    first = release(ROOT / "assignments", tmp_path / "a" / "nb", tmp_path / "a" / "pkg")
    second = release(ROOT / "assignments", tmp_path / "b" / "nb", tmp_path / "b" / "pkg")
    assert len(first) == len(second) == 10
    for f1, f2 in zip(first, second):
        assert f1.read_bytes() == f2.read_bytes(), f1.name  # same bytes twice
        if f1.suffix == ".ipynb":
            assert (RELEASED / f1.name).read_bytes() == f1.read_bytes(), \
                f"{f1.name} is stale: run make release"
        else:  # expected values come from torch: allow last-bit differences across machines
            committed = json.loads((PACKAGE / f1.name).read_text(encoding="utf-8"))
            fresh = json.loads(f1.read_text(encoding="utf-8"))
            assert not _same_json(committed, fresh), f"{f1.name} is stale: run make release"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_released_files_contain_no_solution_and_no_hidden_test(source):
    a = load_assignment(source)
    sol, hidden = solution_lines(a)
    public = set()
    for cell in a.cells:
        if marker_of(cell)[0] != "hidden":
            public.update(ln.strip() for ln in cell_source(cell).splitlines())
    secret = {ln for ln in (sol | hidden) - public if len(ln) > 3}
    assert len(secret) >= 10
    nb = json.loads((RELEASED / source.name).read_text(encoding="utf-8"))
    pkg = json.loads((PACKAGE / f"a{a.id}.json").read_text(encoding="utf-8"))
    released_lines = {ln.strip() for c in nb["cells"] for ln in c["source"].splitlines()}
    released_lines |= {ln.strip() for q in pkg["questions"] for ln in q["source"].splitlines()}
    released_lines |= {c["desc"] for q in pkg["questions"] for c in q["cases"]}
    assert not secret & released_lines
    raw = (RELEASED / source.name).read_text(encoding="utf-8") + json.dumps(pkg, ensure_ascii=False)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "PUBLIC TESTS", "QUESTION"):
        assert marker not in raw
    assert (RELEASED / source.name).read_text(encoding="utf-8") == student_notebook_text(a)
    nbformat.validate(nbformat.reads(json.dumps(nb), as_version=4))
    nbformat.validate(nbformat.read(source, as_version=4))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    stubs = sum(c["source"].count("# 在此处填写你的代码") for c in nb["cells"])
    assert stubs >= len(a.questions)
    assert sum('check("q' in c["source"] for c in nb["cells"]) == len(a.questions)


def _run_cells(sources, capsys):
    """Execute notebook code cells in one namespace (IPython syntax transformed); return output."""
    from IPython.core.inputtransformer2 import TransformerManager

    tm, ns = TransformerManager(), {"__name__": "__main__"}
    for src in sources:
        exec(compile(tm.transform_cell(src), "<cell>", "exec"), ns)
    return capsys.readouterr().out


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_student_notebook_runs_top_to_bottom_and_check_reports_stubs(source, capsys):
    nb = json.loads((RELEASED / source.name).read_text(encoding="utf-8"))
    out = _run_cells([c["source"] for c in nb["cells"] if c["cell_type"] == "code"], capsys)
    n = len(load_assignment(source).questions)
    assert out.count("尚未实现") >= n and "✅" not in out and "检查程序本身出错" not in out
    assert out.count("通过 0/") == n


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_reference_solution_passes_every_public_check(source, capsys):
    a = load_assignment(source)
    cells = [cell_source(c) for c in a.cells
             if c["cell_type"] == "code" and marker_of(c)[0] not in ("public", "hidden")]
    checks = [f'assert check("{a.id}/{q.id}", {q.function}).ok' for q in a.questions.values()]
    out = _run_cells(cells + checks, capsys)
    assert "❌" not in out and out.count("全部通过") == len(a.questions)
