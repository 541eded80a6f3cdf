"""`streamkap-mock serve --seed/--admin-token/--no-admin` and their environment variables."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mockserver.cli import main


@pytest.fixture
def served(monkeypatch):
    """`serve` builds the app, then would listen: keep the app instead."""
    import uvicorn
    apps = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, sockets=None: apps.append(server.config.app))
    return apps


def test_flags_reach_the_settings(served, tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"tags": [{"id": "650000000000000000000001", "name": "t", "type": ["sources"]}]}))
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--db", ":memory:", "--seed", str(seed),
                                       "--admin-token", "adm"])
    assert result.exit_code == 0, result.output
    settings = served[0].state.backend.settings
    assert settings.seed == seed and settings.admin_token == "adm" and settings.admin
    assert served[0].state.backend.repo.get("tags", "650000000000000000000001")["name"] == "t"


def test_environment_variables(served, monkeypatch):
    monkeypatch.setenv("STREAMKAP_MOCK_ADMIN_TOKEN", "from-env")
    monkeypatch.setenv("STREAMKAP_MOCK_NO_ADMIN", "1")
    assert CliRunner().invoke(main, ["serve", "--port", "0", "--db", ":memory:"]).exit_code == 0
    settings = served[0].state.backend.settings
    assert settings.admin_token == "from-env" and not settings.admin


def test_a_bad_seed_is_one_line_naming_the_file_and_entity(served, tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"transforms": [{"id": "650000000000000000000003", "transform": "map_filter",
                                                "config": {}}]}))
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--db", ":memory:", "--seed", str(seed)])
    assert result.exit_code == 1 and not served
    assert result.output.startswith(f"Error: seed {seed}: transforms[0] (id 650000000000000000000003): ")
    assert result.output.count("\n") == 1


def delays(served) -> tuple:
    settings = served[-1].state.backend.settings
    return settings.status_delay, settings.delete_delay, served[-1].state.backend.transforms.timing.deploy_delay


def test_timing_profiles_set_the_delays_and_each_flag_overrides_its_own(served, monkeypatch):
    serve = ["serve", "--port", "0", "--db", ":memory:"]
    assert CliRunner().invoke(main, serve).exit_code == 0
    assert delays(served) == (0.0, 0.0, 0.0)  # instant by default
    assert CliRunner().invoke(main, serve + ["--timing", "realistic"]).exit_code == 0
    assert delays(served) == (10.0, 10.0, 20.0)
    assert CliRunner().invoke(main, serve + ["--timing", "realistic", "--status-delay", "0"]).exit_code == 0
    assert delays(served) == (0.0, 10.0, 20.0)
    monkeypatch.setenv("STREAMKAP_MOCK_TIMING", "realistic")
    monkeypatch.setenv("STREAMKAP_MOCK_DELETE_DELAY", "1")
    assert CliRunner().invoke(main, serve).exit_code == 0
    assert delays(served) == (10.0, 1.0, 20.0)
    bad = CliRunner().invoke(main, serve + ["--timing", "slow"])
    assert bad.exit_code == 2 and "'slow' is not one of" in bad.output


def test_without_a_deploy_delay_a_job_deploys_for_the_status_delay(served):
    assert CliRunner().invoke(main, ["serve", "--port", "0", "--db", ":memory:", "--status-delay", "4"]).exit_code == 0
    assert delays(served) == (4.0, 0.0, 4.0)
