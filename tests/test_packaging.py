"""What the wheel carries: every code package, the fixtures and the contract."""

from __future__ import annotations

import tomllib
from pathlib import Path

from mockserver.http.openapi import CONTRACTS
from mockserver.settings import DEFAULT_FIXTURES

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_code_package_is_listed_for_the_wheel():
    # The package list is explicit (the data packages need it); a new
    # subpackage left out of it would be missing from every installed copy.
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "mockserver").rglob("__init__.py")}
    assert found | {"mockserver.fixtures", "mockserver.contracts"} == set(PYPROJECT["packages"])


def test_data_packages_map_to_the_top_level_directories():
    assert PYPROJECT["package-dir"] == {"mockserver.fixtures": "fixtures", "mockserver.contracts": "contracts"}
    assert DEFAULT_FIXTURES == ROOT / "fixtures" and CONTRACTS == ROOT / "contracts"


def test_package_data_globs_cover_every_shipped_file():
    from fnmatch import fnmatch

    for package, directory in PYPROJECT["package-dir"].items():
        patterns = PYPROJECT["package-data"][package]
        files = [p.relative_to(ROOT / directory).as_posix() for p in (ROOT / directory).rglob("*")
                 if p.is_file() and p.suffix in (".json", ".md")]
        missed = [f for f in files if not any(fnmatch(f, pattern) and f.count("/") == pattern.count("/")
                                              for pattern in patterns)]
        assert not missed, f"{directory}/ files outside {package}'s package-data: {missed}"
