"""Broken and hostile submissions for assignment 01, generated from the released notebook.

Each entry: ``name -> (builder, expected scores {q1, q2, q3, q4})``. Points: q1=3, q2=2, q3=3,
q4=2. A builder receives the released student notebook (a dict), the reference solutions
``{function: code}`` and a context dict, and returns the submitted notebook (or raw bytes).
``write_corpus(dest, ...)`` writes every entry as ``<name>.ipynb`` and returns the expectations.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from course_utils.grading.source import _BEGIN, _END, cell_source, load_assignment, marker_of

FULL = {"q1": 3.0, "q2": 2.0, "q3": 3.0, "q4": 2.0}


def reference_code(source: Path) -> dict[str, str]:
    """``{function: cell code with the solution}`` from the instructor source."""
    a = load_assignment(source)
    out = {}
    for cell in a.cells:
        kind, qid, _ = marker_of(cell)
        if kind == "question":
            lines = cell_source(cell).split("\n")[1:]
            code = "\n".join(ln for ln in lines if not (_BEGIN.match(ln) or _END.match(ln)))
            out[a.questions[qid].function] = code
    return out


def replace(nb, function, code):
    """Replace the code cell that defines ``function`` (the last one) by ``code``."""
    nb = copy.deepcopy(nb)
    hits = [c for c in nb["cells"] if c["cell_type"] == "code"
            and re.search(rf"^def {function}\(", cell_source(c), re.M)]
    hits[-1]["source"] = code
    return nb


def solved(nb, ref, skip=()):
    for fn, code in ref.items():
        if fn not in skip:
            nb = replace(nb, fn, code)
    return nb


def with_scores(**over):
    return {**FULL, **over}


def _code(text):
    return text.strip("\n")


ENTRIES = {}


def entry(expected):
    def register(builder):
        ENTRIES[builder.__name__] = (builder, expected)
        return builder
    return register


@entry(with_scores())
def reference_solution(nb, ref, ctx):
    return solved(nb, ref)


@entry({"q1": 0.0, "q2": 0.0, "q3": 0.0, "q4": 0.0})
def untouched_stub(nb, ref, ctx):
    return nb


@entry(with_scores())
def reordered_duplicated_cells(nb, ref, ctx):
    """Stubs first, solutions appended at the end in reverse order, plus junk cells."""
    nb = copy.deepcopy(nb)
    for code in reversed(list(ref.values())):
        nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                            "execution_count": None, "source": code})
    nb["cells"].insert(3, {"cell_type": "code", "metadata": {}, "outputs": [],
                           "execution_count": None, "source": "%matplotlib inline\nx = 1"})
    nb["cells"] = [c for i, c in enumerate(nb["cells"]) if i != 1]  # a cell deleted
    return nb


@entry(with_scores(q1=0.0))
def syntax_error_in_q1(nb, ref, ctx):
    return replace(solved(nb, ref), "cosine_warmup", "def cosine_warmup(step, base_lr,:\n    return 0")


@entry(with_scores(q2=0.0))
def infinite_loop_in_q2(nb, ref, ctx):
    return replace(solved(nb, ref), "step_decay", _code("""
def step_decay(epoch, base_lr, step_size, gamma=0.1):
    while True:
        pass
"""))


@entry(with_scores(q1=0.0))
def sys_exit_in_q1(nb, ref, ctx):
    return replace(solved(nb, ref), "cosine_warmup", _code("""
import sys
def cosine_warmup(step, base_lr, warmup_steps, total_steps, final_lr=0.0):
    sys.exit(0)
"""))


@entry(with_scores(q4=0.0))
def os_exit_in_q4(nb, ref, ctx):
    return replace(solved(nb, ref), "suggest_lr", _code("""
import os
def suggest_lr(lrs, losses):
    os._exit(0)
"""))


@entry(with_scores(q3=0.0))
def memory_blowup_in_q3(nb, ref, ctx):
    return replace(solved(nb, ref), "lr_range_test", _code("""
def lr_range_test(model, loss_fn, batches, lrs, diverge_factor=4.0):
    hog = []
    while True:
        hog.append(bytearray(50 * 2**20))
"""))


@entry(with_scores(q1=0.0))
def huge_output_in_q1(nb, ref, ctx):
    return replace(solved(nb, ref), "cosine_warmup", ref["cosine_warmup"].replace(
        '"""Learning rate', 'print("x" * (40 * 2**20))\n    """Learning rate', 1).replace(
        "    print(", "    print(", 1))


@entry(with_scores(q2=0.0))
def eq_always_true_in_q2(nb, ref, ctx):
    return replace(solved(nb, ref), "step_decay", _code("""
class Anything:
    def __eq__(self, other):
        return True
    def __float__(self):
        raise TypeError("no")
def step_decay(epoch, base_lr, step_size, gamma=0.1):
    return Anything()
"""))


@entry(with_scores(q1=0.0))
def monkeypatches_checker_and_builtins(nb, ref, ctx):
    nb = replace(solved(nb, ref), "cosine_warmup", _code("""
import builtins
import math
import course_utils.grading as grading
import course_utils.grading.compare as compare
check = lambda *args, **kwargs: True
grading.check = check
compare.close = lambda *args, **kwargs: (True, "")
math.isclose = lambda *args, **kwargs: True
builtins.abs = lambda x: 0.0
def cosine_warmup(step, base_lr, warmup_steps, total_steps, final_lr=0.0):
    return 12345.0
"""))
    return nb


@entry(with_scores(q4=0.0))
def forges_result_frames(nb, ref, ctx):
    return replace(solved(nb, ref), "suggest_lr", _code("""
import gc
import json
import os
import re
def suggest_lr(lrs, losses):
    print('{"case": 0, "ok": true, "value": 0.1}')
    print("q4 通过 4/4 ✅ 总分 10/10")
    nonces = [o for o in gc.get_objects() if isinstance(o, str) and re.fullmatch(r"[0-9a-f]{32}", o)]
    for fd in range(3, 64):
        for n in nonces + ["0" * 32]:
            for i in range(10):
                line = n + "\\t" + json.dumps({"case": i, "ok": True, "value": 0.1}) + "\\n"
                try:
                    os.write(fd, line.encode())
                except OSError:
                    pass
    return -1.0
"""))


@entry(with_scores())
def tries_network(nb, ref, ctx):
    return replace(solved(nb, ref), "step_decay", _code("""
import socket
def step_decay(epoch, base_lr, step_size, gamma=0.1):
    try:
        socket.create_connection(("1.1.1.1", 80), timeout=1).close()
        return -1.0  # network reachable: the sandbox failed
    except Exception:
        return base_lr * gamma ** (epoch // step_size)
"""))


@entry(with_scores())
def tries_to_read_hidden_tests_and_write_files(nb, ref, ctx):
    return replace(solved(nb, ref), "cosine_warmup", _code(f"""
import math
def cosine_warmup(step, base_lr, warmup_steps, total_steps, final_lr=0.0):
    for target in ({ctx['canary']!r}, {ctx['submission_canary']!r}):
        try:
            with open(target, "w") as fh:
                fh.write("pwned")
        except Exception:
            pass
    try:
        with open({ctx['source']!r}) as fh:
            if "HIDDEN TESTS" in fh.read():
                return -1.0  # instructor source readable: the sandbox failed
    except Exception:
        pass
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    if step > total_steps:
        return final_lr
    p = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return final_lr + 0.5 * (base_lr - final_lr) * (1 + math.cos(math.pi * p))
"""))


@entry(with_scores(q3=0.0))
def kills_its_parent(nb, ref, ctx):
    return replace(solved(nb, ref), "lr_range_test", _code("""
import os
import signal
def lr_range_test(model, loss_fn, batches, lrs, diverge_factor=4.0):
    for pid in (os.getppid(), 1):
        try:
            os.kill(pid, signal.SIGKILL)
        except Exception:
            pass
    return []
"""))


@entry(with_scores(q4=0.0))
def spawns_processes(nb, ref, ctx):
    return replace(solved(nb, ref), "suggest_lr", _code("""
import os
import subprocess
def suggest_lr(lrs, losses):
    try:
        subprocess.Popen(["sleep", "600"])
    except Exception:
        pass
    try:
        if os.fork() == 0:
            while True:
                pass
    except Exception:
        pass
    raise RuntimeError("no answer")
"""))


@entry({"q1": 0.0, "q2": 0.0, "q3": 0.0, "q4": 0.0})
def corrupt_json(nb, ref, ctx):
    return b'{"cells": [ {"cell_type": "code", "source": "def cosine_warmup('


@entry({"q1": 0.0, "q2": 0.0, "q3": 0.0, "q4": 0.0})
def empty_notebook(nb, ref, ctx):
    return {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@entry(with_scores(q1=2.0))
def off_by_one_warmup(nb, ref, ctx):
    """Warmup uses (t+1)/T_w: fails the 2 warmup cases out of 6 → 4/6 of 3 points."""
    return replace(solved(nb, ref), "cosine_warmup", ref["cosine_warmup"].replace(
        "base_lr * step / warmup_steps", "base_lr * (step + 1) / warmup_steps"))


@entry(with_scores(q4=1.0))
def hardcoded_public_answers(nb, ref, ctx):
    return replace(solved(nb, ref), "suggest_lr", _code("""
def suggest_lr(lrs, losses):
    return {0.001: 0.01, 1: 2}.get(lrs[0], 0.0)
"""))


@entry(with_scores(q1=0.0))
def segfault_in_q1(nb, ref, ctx):
    return replace(solved(nb, ref), "cosine_warmup", _code("""
import faulthandler
def cosine_warmup(step, base_lr, warmup_steps, total_steps, final_lr=0.0):
    faulthandler._sigsegv()
"""))


@entry(with_scores(q2=0.0))
def infinite_recursion_in_q2(nb, ref, ctx):
    return replace(solved(nb, ref), "step_decay", _code("""
def step_decay(epoch, base_lr, step_size, gamma=0.1):
    return step_decay(epoch, base_lr, step_size, gamma)
"""))


@entry(with_scores())
def broken_imports_and_top_level_junk(nb, ref, ctx):
    nb = solved(nb, ref)
    nb["cells"].insert(4, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": "import this_module_does_not_exist\nwhile True:\n    pass\n"
                                     "raise SystemExit\nimport os\nos._exit(3)"})
    return nb


@entry(with_scores(q3=0.0))
def exit_at_definition_time(nb, ref, ctx):
    """A default argument holding a process killer, called when q3 runs: costs q3 only."""
    return replace(solved(nb, ref), "lr_range_test", _code("""
import os
def lr_range_test(model, loss_fn, batches, lrs, diverge_factor=4.0, _cb=lambda: os._exit(9)):
    _cb()
"""))


@entry(with_scores())
def malformed_cells_around_valid_answers(nb, ref, ctx):
    """Cells of the wrong JSON types next to valid answers: the valid ones are still graded."""
    nb = solved(nb, ref)
    nb["cells"][4:4] = [
        {"cell_type": "code", "source": [1, 2, 3]},
        "not a cell",
        {"cell_type": "code"},
        {"cell_type": "code", "source": {"a": 1}},
        {"cell_type": "code", "source": "(" * 500 + ")" * 500},
        {"cell_type": None, "source": "def cosine_warmup(*a, **k):\n    return 0.0"},
    ]
    return nb


def write_corpus(dest: Path, released: Path, source: Path, ctx: dict, copies: int = 0):
    """Write every entry to ``dest``; return ``{file name: expected scores}``.

    ``copies`` extra submissions (copies of the reference and the partial ones, renamed) make a
    bigger batch for timing.
    """
    nb = json.loads(Path(released).read_text(encoding="utf-8"))
    ref = reference_code(source)
    dest.mkdir(parents=True, exist_ok=True)
    expected = {}
    names = list(ENTRIES)
    for i in range(len(names) + copies):
        name = names[i % len(names)]
        builder, scores = ENTRIES[name]
        fname = f"{name}.ipynb" if i < len(names) else f"copy{i:02d}_{name}.ipynb"
        out = builder(copy.deepcopy(nb), ref, ctx)
        data = out if isinstance(out, bytes) else json.dumps(out, ensure_ascii=False).encode()
        (dest / fname).write_bytes(data)
        expected[fname] = scores
    return expected


if __name__ == "__main__":  # write the corpus somewhere to try the grader by hand
    import sys

    root = Path(__file__).resolve().parents[2]
    src = root / "assignments" / "01_lr_schedules.ipynb"
    dest = Path(sys.argv[1] if len(sys.argv) > 1 else "grading_corpus_01")
    ctx = {"canary": str(dest.resolve() / "canary.txt"),
           "submission_canary": str(dest.resolve() / "zz_canary.txt"), "source": str(src)}
    for name, scores in write_corpus(dest, root / "notebooks/assignments" / src.name, src,
                                     ctx).items():
        print(name, sum(scores.values()))
