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
    import yaml

    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict))
    yml_pkgs = {_name(r) for r in pip_section if not r.startswith("-e")}
    assert yml_pkgs == py_pkgs
    assert "python=3.11" in deps and "-e .[test]" in pip_section


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
