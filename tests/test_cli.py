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


def test_serve_takes_the_body_limit_from_a_flag_or_its_variable(tmp_path, monkeypatch):
    import uvicorn

    served = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, sockets=None: served.append(server.config.app))
    db = str(tmp_path / "db.json")
    assert CliRunner().invoke(main, ["serve", "--port", "0", "--db", db, "--max-body", "1234"]).exit_code == 0
    app = served.pop()
    app.state.backend.repo.close()
    assert app.state.backend.settings.max_body == 1234
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--db", db], env={"STREAMKAP_MOCK_MAX_BODY": "99"})
    assert result.exit_code == 0, result.output
    app = served.pop()
    app.state.backend.repo.close()
    assert app.state.backend.settings.max_body == 99
    assert CliRunner().invoke(main, ["serve", "--db", db, "--max-body", "0"]).exit_code != 0


FULL_COLLECTIONS_SEE_ONLY_NEW_OBJECTS = """
import gc
from mockserver.cli import _short_collections
_short_collections()
frozen = gc.get_freeze_count()
kept = [[n] for n in range(10_000)]  # made after start-up, alive
assert gc.get_freeze_count() == frozen
gc.collect()  # a full collection: what survives it is frozen
assert gc.get_freeze_count() >= frozen + 10_000, (frozen, gc.get_freeze_count())
assert not any(gc.get_objects(generation=2))
ring = []; ring.append(ring); del ring  # garbage with a cycle, made after the freeze
assert gc.collect() >= 1  # still collected: nothing garbage was frozen
"""


def test_serving_freezes_what_survives_each_full_collection_and_still_collects_new_garbage():
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", FULL_COLLECTIONS_SEE_ONLY_NEW_OBJECTS], check=True, cwd=ROOT)
