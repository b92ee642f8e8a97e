"""Fast tests of course_utils.grading: comparison, check(), markers, release (no sandbox)."""

from __future__ import annotations

import inspect
import json
import re
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
    assert not ok and why.startswith("第 2 个元素：") and "期望 2" in why  # positions count from 1
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
    with pytest.raises(MarkerError, match="第 1 个单元.*points="):  # cells count from 1
        load_assignment(bad)
    for opts, needle in (("function=f points=abc", "points= 必须是正数"), ("function=f points=-1", "'-1'"),
                         ("function=f() points=2", "function= 必须是函数名")):
        bad = _write_nb(tmp_path / "04_bad.ipynb", [("markdown", "# t"), ("code", f"### QUESTION q1 {opts}")])
        with pytest.raises(MarkerError, match=f"第 2 个单元.*{re.escape(needle)}"):
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


def test_feedback_positions_count_from_one_printed_once_and_rounded():
    from course_utils.grading.compare import short

    x = np.zeros((2, 3, 2, 2)).tolist()
    y = np.zeros((2, 3, 2, 2))
    y[1, 2, 0, 1] = 0.123456789123
    ok, why = close(x, y.tolist(), 1e-6, 0)
    assert not ok and why.startswith("位置 (2, 3, 1, 2)（从 1 开始计数）：") and why.count("位置") == 1
    assert "第 0" not in why and "[0]" not in why and "0.123457" in why and "0.1234567" not in why
    ragged_exp, ragged_obs = [[1.0, 2.0], 3.0], [[1.0, 2.0, 3.0], 3.0]
    ok, why = close(ragged_obs, ragged_exp, 1e-6, 0)
    assert not ok and "形状不符" in why and "None" not in why
    for value in ([[1.0], [2.0, 3.0]], [[0.1 + 0.2]], 1 / 3):
        assert "None" not in short(value) and "0.30000000000000004" not in short(value)
    assert "标量" in close([1.0, 2.0], 1.0, 0, 0)[1]
    assert "忘了写 return" in close(None, [1.0, 2.0], 0, 0)[1] and "忘了写 return" in close(None, 1.0, 0, 0)[1]
    assert close([[1.0], 1.0, 3.0], [[1.0], 1.0], 0, 0)[1] == "长度不符：期望 2 个元素，实际 3 个"


STAND_INS = {"常数 0.0": lambda *a, **k: 0.0, "None": lambda *a, **k: None,
             "原样返回第一个参数": lambda *a, **k: a[0],
             "常数 -1（“找不到”的占位答案）": lambda *a, **k: -1}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_non_answers_score_zero_on_every_public_and_hidden_case(source):
    """A constant (0.0, or the placeholder -1), None, or the first argument returned unchanged
    never passes any case."""
    from course_utils.grading.build import expected_values
    from course_utils.grading.harness import collect_cases, run_case

    a = load_assignment(source)
    expected = expected_values(a)
    passing, checked = [], 0
    for q in a.questions.values():
        cases = collect_cases(q.test_sources(hidden=True))
        assert len(cases) == len(expected[q.id]) and any(c.hidden for c in cases)
        for name, fn in STAND_INS.items():
            for c, spec in zip(cases, expected[q.id]):
                r = run_case(c, fn)
                checked += 1
                if r["ok"] and close(r["value"], spec["expected"], spec["atol"], spec["rtol"])[0]:
                    passing.append(f"{q.id} {name}：{c.desc}")
    assert not passing and checked == len(STAND_INS) * sum(map(len, expected.values()))


def test_case_weights_split_the_points_and_are_validated():
    from course_utils.grading.feedback import score_question
    from course_utils.grading.harness import collect_cases
    from course_utils.grading.source import Question

    src = "@case('a', weight=3)\ndef _(f):\n    return f(1)\n\n@case('b')\ndef _(f):\n    return f(2)\n"
    cases = collect_cases([(src, False)])
    assert [c.weight for c in cases] == [3.0, 1.0]
    records = [{"desc": c.desc, "atol": 0.0, "rtol": 0.0, "hidden": False, "weight": c.weight,
                "expected": e} for c, e in zip(cases, (1.0, 4.0))]
    q = Question("q1", "f", 2.0)
    reply = {"status": "完成", "cases": {"0": {"ok": True, "value": 1.0}, "1": {"ok": True, "value": 2.0}}}
    r = score_question(q, records, reply)
    assert r["score"] == 1.5 and [c["max"] for c in r["cases"]] == [1.5, 0.5]
    assert [c["passed"] for c in r["cases"]] == [True, False] and r["cases"][1]["score"] == 0.0
    for bad in ("0", "-1", "float('inf')", "True", "'2'"):
        with pytest.raises(ValueError, match="weight"):
            collect_cases([(f"@case('a', weight={bad})\ndef _(f):\n    return 1\n", False)])


def test_hidden_failures_never_show_the_message_or_values():
    from course_utils.grading.feedback import score_question
    from course_utils.grading.harness import collect_cases, load_statements, run_case
    from course_utils.grading.source import Question

    ns, code = {}, ["def f(*args):\n    raise ValueError(repr(args))"]
    assert not load_statements(code, ns)
    case = collect_cases([("@case('x')\ndef _(f):\n    return f(31337, 'secret')\n", True)])[0]
    rec = run_case(case, ns["f"])
    assert rec["type"] == "ValueError" and rec["line"] == "raise ValueError(repr(args))"
    spec = {"desc": "x", "atol": 0.0, "rtol": 0.0, "hidden": True, "weight": 1.0, "expected": [1.0, 2.0]}
    q = Question("q1", "f", 1.0)
    text = score_question(q, [spec], {"cases": {"0": rec}}, code)["cases"][0]["feedback"]
    assert "ValueError" in text and "raise ValueError(repr(args))" in text
    assert "31337" not in text and "secret" not in text
    # learner code that smuggles the inputs into a type name, a faked source line or a
    # conversion message; and a forged record: none of it reaches the feedback
    tricks = [
        "def f(*args):\n    raise type('E' + repr(args), (Exception,), {})()",
        "def f(*args):\n    return type('T' + repr(args), (), {})()",
        "import linecache, sys\ndef f(*args):\n    n = sys._getframe().f_code.co_filename\n"
        "    linecache.cache[n] = (1, None, [repr(args) + '\\n'] * 9, n)\n    raise ValueError('x')",
    ]
    for trick in tricks:
        ns = {}
        assert not load_statements(trick.split("\n", 1) if trick.startswith("import") else [trick], ns)
        got = run_case(case, ns["f"])
        assert "31337" in repr(got)  # the child's record does carry the inputs ...
        text = score_question(q, [spec], {"cases": {"0": got}}, [trick])["cases"][0]["feedback"]
        assert "31337" not in text and "secret" not in text, text  # ... the feedback does not
    forged = {"ok": False, "kind": "notimpl", "error": "31337 secret", "type": "X31337", "line": ""}
    text = score_question(q, [spec], {"cases": {"0": forged}}, code)["cases"][0]["feedback"]
    assert "31337" not in text and "尚未实现" in text
    torch_error = {"ok": False, "kind": "error", "error": "x", "type": "_LinAlgError",
                   "line": "raise ValueError(repr(args))"}
    text = score_question(q, [spec], {"cases": {"0": torch_error}}, code)["cases"][0]["feedback"]
    assert text.startswith("抛出 _LinAlgError，出错的是你的代码行")  # torch.linalg's own error, named
    value_rec = {"ok": True, "value": [[1.0, 2.0, 3.0]]}
    text = score_question(q, [spec], {"cases": {"0": value_rec}})["cases"][0]["feedback"]
    assert text == "形状不符：期望形状 (2,)，实际形状 (1, 3)"
    wrong = score_question(q, [spec], {"cases": {"0": {"ok": True, "value": [1.0, 2.5]}}})
    assert "2.5" not in wrong["cases"][0]["feedback"] and "不符" in wrong["cases"][0]["feedback"]
    public = score_question(q, [dict(spec, hidden=False)], {"cases": {"0": rec}})
    assert "31337" in public["cases"][0]["feedback"]  # public inputs are no secret


def test_analyse_puts_imports_first_and_keeps_the_last_definition():
    from course_utils.grading.cells import analyse

    seen = analyse([(2, "class R(nn.Module):\n    pass\nK = float('4')"), (4, "def f():\n    return K"),
                    (5, "from torch import nn\nimport math"), (7, "def f():\n    return K + 1"),
                    (8, "def broken(:")])
    assert seen.statements[:2] == ["from torch import nn", "import math"]
    assert [s.split("\n")[0] for s in seen.statements[2:]] == ["class R(nn.Module):", "def f():"]
    assert seen.statements[-1].endswith("K + 1") and seen.duplicates(["f", "R"]) == {"f": [4, 7]}
    assert seen.unseen_globals("f") == {"K": (2, "K = float('4')")}
    assert seen.notes == ["第 8 个单元有语法错误（第 1 行），已跳过该单元"]
    # IPython syntax that Jupyter accepts must not make the grader skip the answer's cell
    for extra in ("torch.linalg.solve?", "files = !ls", "%timeit g()", "??g", "env = %env"):
        kept = analyse([(1, f"def g():\n    return 1\n{extra}"), (2, "%%time\ndef h():\n    return 2")])
        assert not kept.notes and {"g", "h"} <= kept.bound and len(kept.statements) == 2, extra
    lam = analyse([(1, "as_t = lambda x: torch.as_tensor(x)\nbad = lambda x=print(1): x\n"
                        "def g(x):\n    return as_t(x) + bad(x)")])
    assert lam.statements[0].startswith("as_t = lambda") and set(lam.unseen_globals("g")) == {"bad"}
    later = analyse([(3, "M = int(1e4)  # 步数上限\ndef g():\n    return M")])
    assert later.unseen_globals("g") == {"M": (3, "M = int(1e4)")}  # as written, not int(10000.0)
    ns = {}
    assert not load_statements(seen.statements, ns) and ns["R"].__mro__[1].__name__ == "Module"


def test_check_warns_about_code_the_grader_will_not_see(tmp_path, monkeypatch, capsys):
    def code(src):
        return {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": src}
    good = "def step_decay(epoch, base_lr, step_size, gamma=0.1):\n    return base_lr * gamma ** (epoch // step_size) * SCALE"
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# x"}, code("SCALE = float('1')"),
                    code(good.replace("* SCALE", "")), code(good)],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "my.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    ns = {"SCALE": 1.0}
    exec(good, ns)
    assert check("01/q2", ns["step_decay"]).ok  # the values are right ...
    out = capsys.readouterr().out
    assert "⚠️ 评分时不存在 SCALE" in out and "第 2 个单元中的 `SCALE = float('1')`" in out
    assert "step_decay 在第 3、4 个单元中都有定义" in out and "第 4 个单元" in out
    assert "全部通过 🎉" not in out  # ... but the verdict says the grader sees something else
    nb["cells"] = nb["cells"][:1] + [code("SCALE = 1.0"), code(good)]
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert check("01/q2", ns["step_decay"]).ok
    out = capsys.readouterr().out
    assert "⚠️" not in out and "全部通过 🎉" in out


def test_find_submissions_recurses_and_lists_every_skipped_path(tmp_path):
    from course_utils.grading.submissions import find_submissions

    subs = tmp_path / "subs"
    for rel in ("2024001/作业1/hw.ipynb", "2024002/HW.IPYNB", "2024003.ipynb", "notes.txt",
                ".ipynb_checkpoints/x-checkpoint.ipynb", "2024004/a.ipynb", "2024004/b.ipynb",
                "2024005/readme.md", ".hidden.ipynb", "2024007/hw.ZIP"):
        (subs / rel).parent.mkdir(parents=True, exist_ok=True)
        (subs / rel).write_text("{}", encoding="utf-8")
    (subs / "link.ipynb").symlink_to(subs / "2024003.ipynb")
    (subs / "2024006").mkdir()
    found, skipped = find_submissions(subs)
    assert [(k, p.relative_to(subs).as_posix()) for k, p in found] == [
        ("2024001", "2024001/作业1/hw.ipynb"), ("2024002", "2024002/HW.IPYNB"), ("2024003", "2024003.ipynb")]
    reasons = {p.relative_to(subs).as_posix(): why for p, why in skipped}
    assert set(reasons) == {".hidden.ipynb", ".ipynb_checkpoints", "2024004/a.ipynb", "2024004/b.ipynb",
                            "2024005/readme.md", "2024006", "link.ipynb", "notes.txt", "2024007/hw.ZIP"}
    assert "压缩包：请先解压" in reasons["2024007/hw.ZIP"] and "压缩包" not in reasons["notes.txt"]
    assert "空目录" in reasons["2024006"]
    assert "检查点" in reasons[".ipynb_checkpoints"] and "2 份笔记本" in reasons["2024004/a.ipynb"]
    assert "符号链接" in reasons["link.ipynb"] and "不是 .ipynb" in reasons["notes.txt"]
    assert find_submissions(subs / "2024002" / "HW.IPYNB") == ([("HW", subs / "2024002" / "HW.IPYNB")], [])
    with pytest.raises(FileNotFoundError, match="submissions"):
        find_submissions(tmp_path / "missing")


def test_release_only_unknown_number_is_a_one_line_usage_error(tmp_path, capsys):
    from course_utils.grading.__main__ import main as cli

    for bad in ("9", "abc"):
        with pytest.raises(SystemExit) as exc:
            cli(["release", "--only", bad, "--notebooks", str(tmp_path / "nb")])
        err = capsys.readouterr().err
        assert exc.value.code == 2 and err.count("\n") == 1 and "--only" in err and "01" in err
    assert not (tmp_path / "nb").exists()


def test_grade_help_shows_defaults_and_a_full_example(capsys):
    from course_utils.grading.__main__ import main as cli

    with pytest.raises(SystemExit):
        cli(["grade", "--help"])
    out = capsys.readouterr().out
    assert "默认 20" in out and "默认 1024" in out and "默认 2" in out
    assert "python -m course_utils.grading grade --assignment 01 --submissions" in out
    with pytest.raises(SystemExit):
        cli(["gradescope", "--help"])
    out = capsys.readouterr().out
    assert "默认 20" in out and "默认 1024" in out
    assert "python -m course_utils.grading gradescope --assignment 01 --out" in out


def test_check_warns_about_renamed_or_nested_definitions_and_uses_history_without_a_file(
        monkeypatch, capsys):
    """On Colab there is no notebook file: the executed cells (IPython history) are used."""
    from types import SimpleNamespace

    from course_utils.grading import preview

    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    history = ["", "import math\nFACTOR = math.sqrt(1.0)",
               "if True:\n    def step_decay(epoch, base_lr, step_size, gamma=0.1):\n"
               "        return FACTOR * base_lr * gamma ** (epoch // step_size)"]
    shell = SimpleNamespace(user_ns={"FACTOR": 1.0, "W": __import__("torch").ones(2)},
                            history_manager=SimpleNamespace(input_hist_raw=history))
    monkeypatch.setattr(preview, "_ipython", lambda: shell)
    ns = {"FACTOR": 1.0}
    exec(history[2], ns)
    assert check("01/q2", ns["step_decay"]).ok
    out = capsys.readouterr().out
    assert "step_decay 只在 `if True:` 之内定义" in out and "第 " not in out.split("⚠️", 1)[1][:20]

    def my_decay(epoch, base_lr, step_size, gamma=0.1):
        return base_lr * gamma ** (epoch // step_size)
    history[2] = "def step_decay(epoch, base_lr, step_size, gamma=0.1):\n    return FACTOR * base_lr"
    assert check("01/q2", my_decay).ok
    out = capsys.readouterr().out
    assert "你检查的是 my_decay" in out and "评分时不存在 FACTOR" in out and "`FACTOR = math.sqrt(1.0)`" in out
    assert "请改成常量赋值 `FACTOR = 1.0`" in out  # the value it has in the notebook, as a literal
    history[1] += "\nW = torch.ones(2)"
    history[2] += " * W"
    check("01/q2", my_decay)
    out = capsys.readouterr().out
    assert "请把这一句移到函数内部" in out and "tensor(" not in out  # a tensor has no literal


VARIANTS = {  # reasonable answers that the question allows: each must pass every case
    ("01", "q3", "restores the model afterwards (like fastai's lr_find)"): """
import copy, math, torch
def lr_range_test(model, loss_fn, batches, lrs, diverge_factor=4.0):
    saved = copy.deepcopy(model.state_dict())
    optimizer = torch.optim.SGD(model.parameters(), lr=lrs[0])
    losses = []
    for lr, (X, y) in zip(lrs, batches):
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss = loss_fn(model(X), y)
        losses.append(loss.item())
        if not math.isfinite(losses[-1]) or losses[-1] > diverge_factor * min(losses):
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.load_state_dict(saved)
    return losses
""",
    ("01", "q3", "works on a copy of the model"): """
import copy, math, torch
def lr_range_test(model, loss_fn, batches, lrs, diverge_factor=4.0):
    model = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=lrs[0])
    losses = []
    for lr, (X, y) in zip(lrs, batches):
        optimizer.param_groups[0]["lr"] = lr
        loss = loss_fn(model(X), y)
        losses.append(loss.item())
        if math.isnan(losses[-1]) or math.isinf(losses[-1]) or losses[-1] > diverge_factor * min(losses):
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses
""",
    ("02", "q2", "returns NumPy arrays"): """
import numpy as np
def update_running_stats(X, running_mean, running_var, momentum=0.1):
    x = np.asarray(X, dtype=np.float64)
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    mean, var = x.mean(axis=axes), x.var(axis=axes, ddof=1)
    m, v = np.asarray(running_mean, dtype=np.float64), np.asarray(running_var, dtype=np.float64)
    return (1 - momentum) * m + momentum * mean, (1 - momentum) * v + momentum * var
""",
    ("04", "q2", "returns a NumPy array"): """
import torch
def newton_step(grad, hess, x):
    return (x - torch.linalg.solve(hess(x), grad(x))).numpy()
""",
    ("05", "q4", "returns NumPy arrays"): """
def momentum_step(w, v, grad, lr, beta=0.9):
    v = beta * v + grad
    return (w - lr * v).numpy(), v.numpy()
""",
}


@pytest.mark.parametrize("key", VARIANTS, ids=lambda k: f"{k[0]}-{k[1]}-{k[2].split()[0]}")
def test_reasonable_answers_the_question_allows_get_full_marks(key):
    from course_utils.grading.build import expected_values
    from course_utils.grading.harness import collect_cases, run_case

    number, qid, _ = key
    a = load_assignment(next(p for p in SOURCES if p.name.startswith(number)))
    q = a.questions[qid]
    ns = {}
    assert not load_statements(definitions(VARIANTS[key]), ns)
    expected = expected_values(a)[qid]
    for c, spec in zip(collect_cases(q.test_sources(hidden=True)), expected):
        r = run_case(c, ns[q.function])
        assert r["ok"], (c.desc, r)
        assert close(r["value"], spec["expected"], spec["atol"], spec["rtol"])[0], c.desc


MUTATING = {  # answers that break a stated "do not modify the input" rule: check() must show it
    ("02", "q2"): """
def update_running_stats(X, running_mean, running_var, momentum=0.1):
    dims = (0,) if X.dim() == 2 else (0, 2, 3)
    running_mean.mul_(1 - momentum).add_(momentum * X.mean(dim=dims))
    running_var.mul_(1 - momentum).add_(momentum * X.var(dim=dims, unbiased=True))
    return running_mean, running_var
""",
    ("04", "q2"): """
import torch
def newton_step(grad, hess, x):
    x -= torch.linalg.solve(hess(x), grad(x))
    return x
""",
    ("04", "q4"): """
def gd_quadratic(A, b, x0, lr, num_steps):
    x = x0
    for _ in range(num_steps):
        x -= lr * (A @ x - b)
    return x
""",
    ("05", "q2"): """
def sgd_update(params, grads, lr):
    for p, g in zip(params, grads):
        p -= lr * g
    return params
""",
}


@pytest.mark.parametrize("key", MUTATING, ids=lambda k: f"{k[0]}-{k[1]}")
def test_breaking_a_stated_rule_shows_in_check_and_costs_points(key, capsys):
    ns = {}
    assert not load_statements(definitions(MUTATING[key]), ns)
    answer = [v for v in ns.values() if inspect.isfunction(v)][-1]
    result = check(f"{key[0]}/{key[1]}", answer)
    out = capsys.readouterr().out
    assert not result.ok and "检查函数" in out
    assert any(ln.strip().startswith("❌") and "没有原地修改" in ln for ln in out.splitlines()), out


@pytest.mark.parametrize("argv, needle", [
    (["grade", "--assignment", "01"], "缺少必需的参数：--submissions, --out"),
    (["grade", "--assignment", "01", "--submissions", "x", "--out", "y", "--jobs", "two"], "参数 --jobs: 不是整数"),
    (["grade", "--assignment", "1", "--submissions", "x", "--out", "y", "--bogus"], "无法识别的参数：--bogus"),
])
def test_argparse_errors_are_one_chinese_line_too(argv, needle, capsys):
    from course_utils.grading.__main__ import main as cli

    with pytest.raises(SystemExit) as exc:
        cli(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and needle in err, err
