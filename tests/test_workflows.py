"""The GitHub workflows: they pass jactionlint (actionlint's checks, with shellcheck on their scripts),
test with the README's command, and publish under the names the README gives."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
README = (ROOT / "README.md").read_text()
TEST_COMMAND = "pip install -c constraints.txt -e '.[test]' && pytest"
IMAGE = "ghcr.io/streamkap-com/streamkap-mock"


def _lint(directory: Path, *files: Path) -> subprocess.CompletedProcess:
    """jactionlint over the repository at ``directory`` (its workflows and dependabot.yml), or over ``files``."""
    bin_dir = str(Path(sys.executable).parent)  # jactionlint and shellcheck come with the test extra
    search = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    jactionlint = shutil.which("jactionlint", path=search)
    assert jactionlint, "jactionlint is missing: pip install -e '.[test]'"
    assert shutil.which("shellcheck", path=search), "shellcheck is missing: pip install -e '.[test]'"
    return subprocess.run([jactionlint, "--no-color", *map(str, files)], cwd=directory, capture_output=True, text=True,
                          env={**os.environ, "PATH": search}, timeout=120)


def _workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_every_workflow_passes_the_linter():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_linter_fails_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ github.no_such_thing }}\n")
    result = _lint(tmp_path, broken)
    assert result.returncode != 0
    assert "broken.yml" in result.stdout


def test_the_tests_run_the_readmes_command_on_every_supported_python():
    workflow = _workflow("tests.yml")
    assert workflow["jobs"]["pytest"]["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]
    assert TEST_COMMAND in [step.get("run") for step in _steps(workflow)]
    assert f"```sh\n{TEST_COMMAND}\n```" in README


def test_a_release_publishes_the_wheel_and_the_image_the_readme_names():
    workflow = _workflow("release.yml")
    assert workflow[True]["push"]["tags"] == ["v*"]  # YAML reads the key `on` as True
    uses = {step.get("uses", "").split("@")[0] for step in _steps(workflow)}
    assert {"pypa/gh-action-pypi-publish", "docker/build-push-action"} <= uses
    [push] = [step for step in _steps(workflow) if step.get("uses", "").startswith("docker/build-push-action@")]
    assert push["with"]["platforms"] == "linux/amd64,linux/arm64"
    [meta] = [step for step in _steps(workflow) if step.get("uses", "").startswith("docker/metadata-action@")]
    assert meta["with"]["images"] == IMAGE
    assert f"docker run --rm -p 127.0.0.1:8080:8080 {IMAGE}" in README
    assert "pipx install streamkap-mock" in README


def test_every_action_is_pinned_to_a_commit():
    for path in WORKFLOWS.glob("*.yml"):
        for step in _steps(yaml.safe_load(path.read_text())):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), (path.name, step["uses"])
