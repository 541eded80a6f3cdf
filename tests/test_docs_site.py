"""The README and the documentation site: short, buildable in strict mode, and in step with CI."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mockserver import __version__

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
TEST_COMMAND = "pip install -c constraints.txt -e '.[test]' && pytest"


def _build(tree: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                          cwd=tree, capture_output=True, text=True, timeout=300,
                          env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(Path(sys.executable).parent)})


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of what the site is built from."""
    copy = tmp_path / "tree"
    copy.mkdir()
    for name in ("mkdocs.yml", "README.md", "CHANGELOG.md"):
        shutil.copy(ROOT / name, copy / name)
    shutil.copytree(ROOT / "docs", copy / "docs")
    shutil.copytree(ROOT / "tools", copy / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_the_site_builds_in_strict_mode(tmp_path):
    result = _build(ROOT, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    home = (tmp_path / "site" / "index.html").read_text()
    assert "A tour with curl" in home  # the README is the home page
    assert 'href="api/"' in home  # its links to docs/ pages point at the site's pages


def test_a_broken_link_fails_the_build(tree, tmp_path):
    with (tree / "README.md").open("a") as readme:
        readme.write("\nSee [nothing](docs/no-such-page.md).\n")
    result = _build(tree, tmp_path / "site")
    assert result.returncode != 0
    assert "no-such-page.md" in result.stderr


def test_a_page_the_nav_does_not_list_yet_does_not_fail_the_build(tree, tmp_path):
    (tree / "docs" / "new-page.md").write_text("# New\n\nBack to [the API](api.md).\n")
    result = _build(tree, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "new-page" / "index.html").exists()


def test_the_readme_is_short_and_names_no_commit_or_issue():
    assert len(README.splitlines()) <= 250
    assert not re.findall(r"\b[0-9a-f]{7,40}\b", README), "a commit hash"
    assert not re.findall(r"(?i)issue #?\d+|#\d+\b", README), "an issue number"


def test_ci_runs_the_readmes_test_command():
    assert f"```sh\n{TEST_COMMAND}\n```" in README
    assert (ROOT / ".ci" / "run").read_text().splitlines()[-1] == TEST_COMMAND


def test_the_changelog_has_the_version_being_released():
    assert re.search(rf"(?m)^## \[{re.escape(__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$",
                     (ROOT / "CHANGELOG.md").read_text())
