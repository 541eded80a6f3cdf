"""Shipped seeds by name: `--seed provider-acceptance`, STREAMKAP_MOCK_SEED, `streamkap-mock seeds`, the plugin."""

from __future__ import annotations

from click.testing import CliRunner

from mockserver.cli import main
from mockserver.control.testing import MockServer
from tests.control.test_cli_flags import served  # noqa: F401 (a fixture)
from tests.control.test_seed_and_snapshots import PROVIDER_SEED, SOURCE_ID

pytest_plugins = ["pytester"]


def test_a_shipped_seed_loads_by_name(served):  # noqa: F811
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--db", ":memory:", "--seed", "provider-acceptance"])
    assert result.exit_code == 0, result.output
    backend = served[0].state.backend
    assert backend.settings.seed == PROVIDER_SEED and backend.repo.get("sources", SOURCE_ID)["name"]


def test_the_environment_variable_takes_a_name_too(served, monkeypatch):  # noqa: F811
    monkeypatch.setenv("STREAMKAP_MOCK_SEED", "provider-acceptance")
    assert CliRunner().invoke(main, ["serve", "--port", "0", "--db", ":memory:"]).exit_code == 0
    assert served[0].state.backend.repo.get("sources", SOURCE_ID) is not None


def test_a_path_still_works_and_a_name_beside_it_in_the_folder_does_not_shadow_it(served, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    (tmp_path / "provider-acceptance").write_text("{}")  # a bare name is a shipped seed's, not this file
    copy = tmp_path / "mine.json"
    copy.write_text('{"tags": [{"id": "650000000000000000000001", "name": "t", "type": ["sources"]}]}')
    assert CliRunner().invoke(main, ["serve", "--port", "0", "--db", ":memory:", "--seed", "mine.json"]).exit_code == 0
    assert CliRunner().invoke(main, ["serve", "--port", "0", "--db", ":memory:",
                                     "--seed", "provider-acceptance"]).exit_code == 0
    assert served[0].state.backend.repo.get("tags", "650000000000000000000001") is not None
    assert served[1].state.backend.repo.get("sources", SOURCE_ID) is not None


def test_an_unknown_name_is_one_line_listing_the_shipped_seeds(served):  # noqa: F811
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--db", ":memory:", "--seed", "provider-acceptanse"])
    assert result.exit_code == 2 and not served
    assert "no shipped seed named 'provider-acceptanse' (shipped: provider-acceptance)" in result.output


def test_seeds_lists_each_shipped_seed_with_what_it_holds():
    result = CliRunner().invoke(main, ["seeds"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [f"provider-acceptance\t1 sources, 4 transforms\t{PROVIDER_SEED}"]


def test_mock_server_takes_a_name():
    with MockServer(seed="provider-acceptance") as mock:
        assert mock.client.get(f"/sources/{SOURCE_ID}").json()["total"] == 1


def test_the_plugin_ini_option_takes_a_name(pytester):
    pytester.makeini("[pytest]\nstreamkap_mock_seed = provider-acceptance\n")
    pytester.makepyfile(test_user=f"""
        def test_seeded(streamkap_mock):
            assert streamkap_mock.client.get("/sources/{SOURCE_ID}").json()["total"] == 1
    """)
    # In a process of its own: an in-process run unloads modules it imported, and the classes
    # of a later test's httpx errors would no longer match.
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_control_plane_lists_and_applies_a_shipped_seed_by_name(api):
    assert api.client.get("/__mock/seeds").json() == {"result": ["provider-acceptance"]}
    applied = api.client.post("/__mock/seeds/provider-acceptance")
    assert applied.status_code == 201 and applied.json()["created"] == {"sources": 1, "transforms": 4}
    assert api.get(f"/sources/{SOURCE_ID}").json()["total"] == 1
    unknown = api.client.post("/__mock/seeds/provider-acceptanse")
    assert unknown.status_code == 404 and "shipped: provider-acceptance" in unknown.json()["detail"]
