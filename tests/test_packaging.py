"""The install files agree with each other and with README."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_packages_as_pyproject():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    py_pkgs = {_name(r) for r in meta["dependencies"] + meta["optional-dependencies"]["test"]}
    yml = (ROOT / "environment.yml").read_text()
    pip_lines = re.findall(r"^\s+- (?!-e)([A-Za-z0-9_.\-]+[^\n]*)$", yml, flags=re.M)
    yml_pkgs = {_name(r) for r in pip_lines} - {"python=3.11", "pip"}
    assert yml_pkgs == py_pkgs
    assert "- python=3.11" in yml and "-e .[test]" in yml


def test_versions_are_floors_not_pins():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for req in meta["dependencies"] + meta["optional-dependencies"]["test"]:
        assert "==" not in req, req


def test_ci_runs_the_readme_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in ci and "make test" in readme and "make lab" in readme
    make = (ROOT / "Makefile").read_text()
    for target in ("lab:", "test:", "notebooks:", "bench:", "release:"):
        assert target in make
    assert "torch==2.13.0" in make
