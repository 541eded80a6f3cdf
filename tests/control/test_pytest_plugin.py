"""The streamkap_mock fixture: a live server per session, reset before each test, driving every control."""

from __future__ import annotations

import httpx
import pytest
import yaml

from mockserver.control.testing import MockServer
from tests.conftest import PG_SOURCE_CONFIG
from tests.control.test_seed_and_snapshots import PROVIDER_SEED, SEED, SOURCE_ID

pytest_plugins = ["pytester"]
SOURCE = {"name": "plugged", "connector": "postgresql", "config": PG_SOURCE_CONFIG}


def test_the_handle_is_a_logged_in_client_on_a_real_socket(streamkap_mock):
    assert streamkap_mock.base_url.startswith("http://127.0.0.1:") and not streamkap_mock.base_url.endswith(":0")
    assert isinstance(streamkap_mock.client, httpx.Client)
    assert streamkap_mock.client.get("/sources").json()["total"] == 0
    token = streamkap_mock.token()
    assert httpx.get(f"{streamkap_mock.base_url}/sources", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert streamkap_mock.credentials[0]["client_id"] == "mock-client"
    assert streamkap_mock.health()["status"] == "ok"


def test_state_from_one_test_is_gone_in_the_next_part_one(streamkap_mock):
    assert streamkap_mock.client.post("/sources", json=SOURCE).status_code == 200
    streamkap_mock.faults.add({"path": "/tags"}, {"status": 500})
    streamkap_mock.clock.advance(10)


def test_state_from_one_test_is_gone_in_the_next_part_two(streamkap_mock):
    assert streamkap_mock.client.get("/sources").json()["total"] == 0
    assert streamkap_mock.faults.list() == [] and streamkap_mock.client.get("/tags").status_code == 200
    assert streamkap_mock.requests(method="POST", path="/sources") == []
    assert streamkap_mock.control.get("/clock").json()["offset_seconds"] == 0


def test_post_sources_answers_429_twice_then_succeeds_and_the_journal_shows_three_posts(streamkap_mock):
    streamkap_mock.faults.add({"method": "POST", "path": "/sources"}, {"status": 429, "detail": "Too many requests"},
                              times=2)
    statuses = [streamkap_mock.client.post("/sources", json=SOURCE).status_code for _ in range(3)]
    assert statuses == [429, 429, 200]
    posts = streamkap_mock.requests(method="POST", path="/sources")
    assert [entry["status"] for entry in posts] == [429, 429, 200]
    assert streamkap_mock.faults.list()[0]["hits"] == 2


def test_presets_and_a_dropped_connection(streamkap_mock):
    streamkap_mock.faults.preset("gateway_timeout", {"method": "DELETE"}, times=1)
    assert streamkap_mock.client.delete("/tags/" + "0" * 24).status_code == 504
    assert {p["name"] for p in streamkap_mock.faults.presets()} >= {"rate_limited", "rebalance_in_progress"}
    rule = streamkap_mock.faults.preset("connection_dropped", {"path": "/destinations"})
    with pytest.raises(httpx.RemoteProtocolError):
        streamkap_mock.client.get("/destinations")
    [entry] = streamkap_mock.requests(path="/destinations")
    assert entry["status"] is None and entry["fault"] == rule["id"]
    streamkap_mock.faults.remove(rule["id"])
    assert streamkap_mock.client.get("/destinations").status_code == 200


def test_clock_and_forced_status(streamkap_mock):
    source = streamkap_mock.client.post("/sources", json=SOURCE).json()
    streamkap_mock.set_status(source["id"], "Broken", trace="boom")
    read = streamkap_mock.client.get(f"/sources/{source['id']}").json()["result"][0]
    assert read["connector_status"] == "Broken" and read["task_statuses"]["0"]["trace"] == "boom"
    before = streamkap_mock.clock.now()
    streamkap_mock.clock.advance(7200)  # past the token's lifetime: the client logs in again by itself
    assert streamkap_mock.clock.now() - before >= 7200
    assert streamkap_mock.client.get("/sources").status_code == 200


def test_seed_snapshots_cassette_and_tenant_reset(streamkap_mock):
    assert streamkap_mock.seed(SEED)["sources"] == 1
    streamkap_mock.save_snapshot("seeded")
    streamkap_mock.reset()
    assert streamkap_mock.client.get("/sources").json()["total"] == 0
    assert streamkap_mock.restore_snapshot("seeded")["entities"]["sources"] == 1
    assert streamkap_mock.client.get("/sources").json()["total"] == 1
    streamkap_mock.reset(tenant="tenant-acme")
    assert streamkap_mock.client.get("/sources").json()["total"] == 0
    assert streamkap_mock.seed(PROVIDER_SEED)["transforms"] == 4
    cassette = yaml.safe_load(streamkap_mock.cassette())
    assert cassette["version"] == 2 and cassette["interactions"]
    assert all(i["request"]["headers"].get("Authorization", ["Bearer ********"]) == ["Bearer ********"]
               for i in cassette["interactions"])


def test_mock_server_outside_pytest_fixtures_with_settings():
    with MockServer(seed=PROVIDER_SEED, admin_token="adm", status_delay=5) as mock:
        assert mock.client.get(f"/sources/{SOURCE_ID}").json()["total"] == 1
        assert httpx.post(f"{mock.base_url}/__mock/reset").status_code == 401  # the handle sends the token
        mock.reset()
        source = mock.client.post("/sources", json=SOURCE).json()
        assert source["connector_status"] == "Starting"
        mock.clock.advance(5)
        assert mock.client.get(f"/sources/{source['id']}").json()["result"][0]["connector_status"] == "Active"
        url = mock.base_url
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/__mock/health", timeout=2)


def test_a_users_test_file_needs_nothing_but_the_fixture(pytester):
    pytester.makepyfile(test_user="""
        def test_create(streamkap_mock):
            response = streamkap_mock.client.post("/tags", json={"name": "t", "type": ["sources"]})
            assert response.status_code == 200
            assert streamkap_mock.requests(method="POST", path="/tags")[0]["status"] == 200
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_new_tenant_gives_a_tenant_of_its_own_with_an_admin_and_a_read_only_client(streamkap_mock):
    first, second = streamkap_mock.new_tenant("one"), streamkap_mock.new_tenant()
    created = first.client.post("/sources", json=SOURCE)
    assert created.status_code == 200
    assert second.client.post("/sources", json=SOURCE).status_code == 200  # the same name: no 409
    assert [s["id"] for s in first.readonly_client.get("/sources").json()["result"]] == [created.json()["id"]]
    assert first.readonly_client.post("/sources", json=SOURCE).status_code == 403
    assert streamkap_mock.client.get("/sources").json()["total"] == 0
    assert first.name == "one" and streamkap_mock.requests(tenant=first.id, method="POST")[0]["status"] == 200


def test_drop_tenants_deletes_the_tenants_it_made(streamkap_mock):
    tenant = streamkap_mock.new_tenant()
    assert tenant.client.get("/sources").status_code == 200
    streamkap_mock.drop_tenants()
    listed = streamkap_mock.control.get("/tenants").json()["result"]
    assert tenant.id not in [t["tenant_id"] for t in listed]
    login = httpx.post(f"{streamkap_mock.base_url}/auth/access-token",
                       json={"client_id": tenant.client_id, "secret": tenant.secret})
    assert login.status_code == 401
    streamkap_mock.drop_tenants()  # nothing left to drop
