"""The streamkap-mock command's offline subcommands."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from mockserver.cli import main
from tests.conftest import ROOT


def test_plugins_check_passes_on_the_shipped_fixtures():
    result = CliRunner().invoke(main, ["plugins", "check"])
    assert result.exit_code == 0, result.output
    assert "all plugin files are valid" in result.output


def test_plugins_check_fails_and_names_the_problem(tmp_path):
    fixtures = tmp_path / "fixtures"
    shutil.copytree(ROOT / "fixtures", fixtures)
    plugin = fixtures / "plugins" / "sources" / "postgresql" / "configuration.latest.json"
    data = json.loads(plugin.read_text())
    computed = next(f for f in data["config"] if f["value"].get("function_name"))
    computed["value"]["function_name"] = "no_such_resolver"
    plugin.write_text(json.dumps(data))
    result = CliRunner().invoke(main, ["plugins", "check", "--fixtures", str(fixtures)])
    assert result.exit_code == 1
    assert "no_such_resolver" in result.output


def test_openapi_prints_the_committed_contract():
    result = CliRunner().invoke(main, ["openapi"])
    assert result.exit_code == 0
    assert json.loads(result.output) == json.loads((ROOT / "contracts" / "openapi.json").read_text())
