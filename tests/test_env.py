import importlib
import random

import numpy as np
import pytest
import torch

from course_utils import env


def test_mode_from_environment(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "smoke")
    assert env.get_mode() == "smoke"
    monkeypatch.setenv("COURSE_MODE", " CPU ")
    assert env.get_mode() == "cpu"


def test_default_mode_depends_on_cuda(monkeypatch):
    monkeypatch.delenv("COURSE_MODE", raising=False)
    assert env.get_mode() == ("full" if torch.cuda.is_available() else "cpu")


def test_unknown_mode_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "fast")
    with pytest.raises(ValueError, match="COURSE_MODE") as exc:
        env.get_mode()
    assert "smoke" in str(exc.value) and "未知" in str(exc.value)
    # also at import time
    with pytest.raises(ValueError):
        importlib.reload(env)
    monkeypatch.setenv("COURSE_MODE", "smoke")
    importlib.reload(env)


def test_pick(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "cpu")
    assert env.pick(smoke=1, cpu=2, full=3) == 2
    assert env.pick(smoke=1, cpu=2, full=3, mode="full") == 3
    with pytest.raises(ValueError):
        env.pick(smoke=1, cpu=2, full=3, mode="gpu")
    with pytest.raises(TypeError):
        env.pick(smoke=1, cpu=2)  # every mode must be given


def test_set_seed_reproducible():
    env.set_seed(3)
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    env.set_seed(3)
    b = (random.random(), np.random.rand(), torch.rand(1).item())
    assert a == b
    with pytest.raises(ValueError, match="seed"):
        env.set_seed(-1)


def test_data_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert env.data_dir() == tmp_path.resolve()
    monkeypatch.delenv("COURSE_DATA_DIR")
    assert env.data_dir() == env.repo_root() / "data"


def test_setup_notebook_idempotent(capsys):
    import matplotlib as mpl

    d1 = env.setup_notebook(seed=1)
    first = torch.rand(1)
    d2 = env.setup_notebook(seed=1)  # a second call re-seeds but does not re-register fonts
    assert d1 == d2 == env.get_device()
    assert torch.equal(torch.rand(1), first)
    assert mpl.rcParams["axes.unicode_minus"] is False


def test_import_has_no_side_effects():
    import subprocess
    import sys

    code = ("import matplotlib as mpl; before = dict(mpl.rcParams); import course_utils, "
            "course_utils.env, course_utils.data, course_utils.train, course_utils.plotting, "
            "course_utils.widgets; assert dict(mpl.rcParams) == before; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr
