"""--id-seed: the same scripted run gives the same cassette, byte for byte; without it, it does not."""

from __future__ import annotations

import re

from click.testing import CliRunner
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.cli import main
from mockserver.settings import Settings
from tests.conftest import PG_SOURCE_CONFIG
from tests.control.test_cli_flags import served  # noqa: F401 (a fixture)

pytest_plugins = ["pytester"]


def scripted_run(client: TestClient) -> bytes:
    """A provider-like run: logins, creates, an update, a retried fault, a tenant of its own, a delete."""
    def login(client_id: str, secret: str) -> dict:
        token = client.post("/auth/access-token", json={"client_id": client_id, "secret": secret}).json()
        return {"Authorization": f"Bearer {token['accessToken']}"}

    acme = login("mock-client", "mock-secret")
    tag = client.post("/tags", headers=acme, json={"name": "team", "type": ["sources"]}).json()
    source = client.post("/sources?secret_returned=true", headers=acme, json={
        "name": "pg", "connector": "postgresql", "config": PG_SOURCE_CONFIG, "tags": [tag["id"]]}).json()
    client.post("/__mock/faults", json={"match": {"method": "PUT"}, "preset": "rate_limited", "times": 1})
    for _ in range(2):  # a 429, then the update
        client.put(f"/sources/{source['id']}", headers=acme,
                   json={"name": "pg2", "connector": "postgresql", "config": PG_SOURCE_CONFIG})
    tenant = client.post("/__mock/tenants").json()
    admin = next(c for c in tenant["credentials"] if c["roles"] == ["admin"])
    mine = login(admin["client_id"], admin["secret"])
    client.post("/auth/client-credentials", headers=mine, json={"role_ids": ["6650a1f0c0ffee0000000002"]})
    client.post("/sources", headers=mine, json={"name": "pg", "connector": "postgresql", "config": PG_SOURCE_CONFIG})
    client.delete(f"/sources/{source['id']}", headers=acme)
    client.get("/sources", headers=acme)
    return client.get("/__mock/requests", params={"format": "cassette"}).content


def cassette_of_a_new_server(**settings) -> bytes:
    with TestClient(create_app(Settings(db=":memory:", **settings))) as client:
        return scripted_run(client)


def test_the_same_run_with_the_same_id_seed_gives_the_same_cassette_byte_for_byte():
    first, second = cassette_of_a_new_server(id_seed=7), cassette_of_a_new_server(id_seed=7)
    assert first == second
    text = first.decode()
    # It holds what varies otherwise: ids, secrets, tokens, request ids, timestamps.
    assert text.count("X-Request-Id") == 10 and "secret" in text and "accessToken" in text
    assert "2026-01-01T00:00:00.0" in text and "duration: 0s" in text
    # Request ids carry no digit (the provider's retry helper looks for 429/502/503/504 in error texts).
    request_ids = re.findall(r"X-Request-Id:\n\s+- (\S+)", text)
    assert request_ids and not [r for r in request_ids if re.search(r"\d", r)]


def test_without_an_id_seed_or_with_another_the_cassettes_differ():
    assert cassette_of_a_new_server() != cassette_of_a_new_server()
    assert cassette_of_a_new_server(id_seed=7) != cassette_of_a_new_server(id_seed=8)


def test_a_full_reset_starts_the_run_again():
    with TestClient(create_app(Settings(db=":memory:", id_seed=7, seed="fixtures/seeds/provider-acceptance.json"))) \
            as client:
        first = scripted_run(client)
        assert client.post("/__mock/reset").status_code == 200
        assert scripted_run(client) == first
    assert cassette_of_a_new_server(id_seed=7, seed="fixtures/seeds/provider-acceptance.json") == first


def test_the_run_starts_at_a_fixed_instant_and_each_request_is_one_millisecond():
    with TestClient(create_app(Settings(db=":memory:", id_seed=1))) as client:
        assert client.get("/__mock/clock").json()["now"] == "2026-01-01T00:00:00.001Z"
        assert client.get("/__mock/clock").json()["now"] == "2026-01-01T00:00:00.002Z"
        assert client.post("/__mock/clock/advance", json={"seconds": 60}).json()["now"] == "2026-01-01T00:01:00.003Z"


def test_the_flag_and_the_environment_variable_reach_the_settings(served, monkeypatch):  # noqa: F811
    assert CliRunner().invoke(main, ["serve", "--port", "0", "--db", ":memory:", "--id-seed", "7"]).exit_code == 0
    monkeypatch.setenv("STREAMKAP_MOCK_ID_SEED", "9")
    assert CliRunner().invoke(main, ["serve", "--port", "0", "--db", ":memory:"]).exit_code == 0
    assert [app.state.backend.settings.id_seed for app in served] == [7, 9]
    refused = CliRunner().invoke(main, ["serve", "--port", "0", "--db", ":memory:", "--id-seed", "x"])
    assert refused.exit_code == 2 and "--id-seed" in refused.output


def test_the_plugin_ini_option(pytester):
    pytester.makeini("[pytest]\nstreamkap_mock_id_seed = 7\n")
    pytester.makepyfile(test_user="""
        import httpx

        ids = []

        def test_one(streamkap_mock):
            headers = {"Authorization": "Bearer " + streamkap_mock.token()}
            ids.append(httpx.post(streamkap_mock.base_url + "/tags", headers=headers,
                                  json={"name": "t", "type": ["sources"]}).json()["id"])

        def test_two(streamkap_mock):  # reset before it: the run starts again
            test_one(streamkap_mock)
            assert ids[0] == ids[1]
    """)
    # In a process of its own: an in-process run unloads modules it imported, and the classes
    # of a later test's httpx errors would no longer match.
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
