"""The shape of ``course_utils``: no exported name shadowed by a submodule, chapter helpers in
``course_utils.demos`` (one per chapter, importing the core, never each other), core never
importing the helpers, models only in ``course_utils.models``."""

import ast
import importlib
import pkgutil
import re
import types
from pathlib import Path

import pytest

import course_utils

PKG_DIR = Path(course_utils.__file__).parent


def _all_modules():
    return [m.name for m in pkgutil.walk_packages(course_utils.__path__, "course_utils.")]


def _packages():
    return ["course_utils"] + [name for name in _all_modules()
                               if hasattr(importlib.import_module(name), "__path__")]


@pytest.mark.parametrize("pkg_name", _packages())
def test_no_exported_name_equals_a_submodule(pkg_name):
    pkg = importlib.import_module(pkg_name)
    submodules = {m.name for m in pkgutil.iter_modules(pkg.__path__)}
    for sub in submodules:  # importing a submodule binds its name on the package: that must not win
        importlib.import_module(f"{pkg_name}.{sub}")
    exported = set(getattr(pkg, "__all__", []))
    assert not exported & submodules, f"{pkg_name}: {sorted(exported & submodules)}"
    for name in exported:
        assert not isinstance(getattr(pkg, name), types.ModuleType), f"{pkg_name}.{name}"


def test_descent_sgd_is_the_update_function():
    from course_utils import descent
    from course_utils.descent import stochastic

    assert descent.sgd is stochastic.sgd and callable(descent.sgd)
    p = __import__("torch").ones(2, requires_grad=True)
    (p * 3).sum().backward()
    descent.sgd([p], None, {"lr": 0.5})
    assert p.detach().tolist() == [-0.5, -0.5]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def test_demos_are_one_module_per_chapter_and_import_only_the_core():
    demo_files = sorted((PKG_DIR / "demos").glob("*.py"))
    names = [f.stem for f in demo_files if f.stem != "__init__"]
    assert all(re.fullmatch(r"ch[1-5]_[a-z0-9_]+", n) for n in names), names
    for n, topic in enumerate(["lr_schedules", "batch_norm", "resnet_densenet", "convex_optimization", "sgd"], 1):
        assert f"ch{n}_{topic}" in names
    for f in demo_files:
        own = f"course_utils.demos.{f.stem[:3]}"
        bad = {m for m in _imports(f) if m.startswith("course_utils.demos") and not m.startswith(own)}
        assert not bad, f"{f.name} imports another chapter's helper: {bad}"


def test_core_never_imports_the_chapter_helpers():
    for f in PKG_DIR.rglob("*.py"):
        if "demos" in f.relative_to(PKG_DIR).parts:
            continue
        bad = {m for m in _imports(f) if "demos" in m}
        assert not bad, f"{f.relative_to(PKG_DIR)} imports {bad}"
    assert not list(PKG_DIR.glob("*_demos.py")), "chapter helpers belong in course_utils/demos/"


def test_models_live_in_the_models_package():
    from course_utils import models, range_test

    assert "small_bn_cnn" not in vars(range_test)
    net = models.small_bn_cnn()
    assert net(__import__("torch").zeros(2, 1, 28, 28)).shape == (2, 10)
    for f in PKG_DIR.rglob("*.py"):
        if "models" in f.relative_to(PKG_DIR).parts:
            continue
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b) for b in node.bases}
                assert not bases & {"nn.Module", "nn.Sequential"} or f.parent.name == "demos", \
                    f"model class {node.name} outside course_utils.models: {f.relative_to(PKG_DIR)}"
