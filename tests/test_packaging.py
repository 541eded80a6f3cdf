"""What the wheel carries: every code package, the fixtures and the contract."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import httpx

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
    for package, directory in PYPROJECT["package-dir"].items():
        patterns = PYPROJECT["package-data"][package]
        files = [p.relative_to(ROOT / directory).as_posix() for p in (ROOT / directory).rglob("*")
                 if p.is_file() and p.suffix in (".json", ".md")]
        missed = [f for f in files if not any(fnmatch(f, pattern) and f.count("/") == pattern.count("/")
                                              for pattern in patterns)]
        assert not missed, f"{directory}/ files outside {package}'s package-data: {missed}"


def test_an_installed_wheel_serves_with_the_fixtures_and_contract_it_carries(tmp_path):
    source = tmp_path / "src"  # a copy, so the build leaves nothing in the checkout
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("mockserver", "fixtures", "contracts"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    wheels, site = tmp_path / "wheels", tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
                   check=True, capture_output=True)
    [wheel] = wheels.glob("*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    # From an empty folder, with only the installed copy importable as mockserver.
    env = {**os.environ, "PYTHONPATH": str(site)}
    run = tmp_path / "run"
    run.mkdir()
    openapi = subprocess.run([sys.executable, "-m", "mockserver", "openapi"], cwd=run, env=env,
                             capture_output=True, text=True, check=True)
    assert openapi.stdout == (ROOT / "contracts" / "openapi.json").read_text()
    # A shipped seed by name: the installed copy finds it inside the package.
    server = subprocess.Popen([sys.executable, "-m", "mockserver", "serve", "--port", "0",
                               "--seed", "provider-acceptance"], cwd=run, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = server.stdout.readline()
        match = re.search(r"serving on (http://127\.0\.0\.1:(\d+))", banner)
        assert match and match.group(2) != "0", banner + server.stderr.read()
        login = httpx.post(f"{match.group(1)}/auth/access-token", json={"client_id": "mock-client",
                                                                        "secret": "mock-secret"})
        assert login.status_code == 200, login.text
        seeded = httpx.get(f"{match.group(1)}/sources/67adbcc172417ef6338e01a1",
                           headers={"Authorization": f"Bearer {login.json()['accessToken']}"})
        assert seeded.json()["total"] == 1, seeded.text
        assert httpx.get(f"{match.group(1)}/docs").status_code == 200
        assert json.loads(httpx.get(f"{match.group(1)}/openapi.json").text)["servers"]
    finally:
        server.terminate()
        server.communicate(timeout=10)
    assert str(site) in subprocess.run(
        [sys.executable, "-c", "import mockserver.settings as s; print(s.DEFAULT_FIXTURES)"],
        cwd=run, env=env, capture_output=True, text=True, check=True).stdout
