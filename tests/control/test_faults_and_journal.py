"""Faults and the request journal, through HTTP (in-process)."""

from __future__ import annotations

import yaml

from mockserver.control.faults import PRESETS, PROVIDER_RETRY_PATTERNS
from tests.conftest import PG_SOURCE_CONFIG, make_source

SOURCE = {"name": "faulted", "connector": "postgresql", "config": PG_SOURCE_CONFIG}


def add_fault(api, **rule):
    response = api.client.post("/__mock/faults", json=rule)
    assert response.status_code == 201, response.text
    return response.json()


def test_post_sources_answers_429_twice_then_succeeds_and_the_journal_shows_three_posts(api):
    rule = add_fault(api, match={"method": "POST", "path": "/sources"},
                     respond={"status": 429, "detail": "Too many requests"}, times=2)
    answers = [api.post("/sources", json=SOURCE) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].json() == {"detail": "Too many requests"} and answers[0].headers["x-request-id"]
    journal = api.client.get("/__mock/requests", params={"method": "POST", "path": "/sources"}).json()
    assert journal["total"] == 3
    assert [(e["status"], e["fault"]) for e in journal["result"]] == [(429, rule["id"]), (429, rule["id"]), (200, None)]
    assert [e["request_id"] for e in journal["result"]] == [a.headers["x-request-id"] for a in answers]
    listed = api.client.get("/__mock/faults").json()["result"][0]
    assert (listed["hits"], listed["matched"], listed["active"]) == (2, 3, False)


def test_a_faulted_write_writes_nothing(api):
    add_fault(api, match={"method": "POST", "path": "/sources"}, preset="kafka_connect_failure")
    failed = api.post("/sources", json=SOURCE)
    assert failed.status_code == 500 and "Kafka Connect API call failed" in failed.json()["detail"]
    assert api.get("/sources").json()["total"] == 0
    assert api.client.get("/__mock/health").json()["entities"].get("topics", 0) == 0


def test_match_on_template_client_body_and_after(api):
    source = make_source(api)
    add_fault(api, match={"method": "PUT", "path": "/sources/{id}", "client_id": "mock-client",
                          "body_contains": "renamed"}, respond={"status": 503}, after=1)
    update = lambda name, as_="mock-client": api.put(  # noqa: E731
        f"/sources/{source['id']}", as_=as_, json={**SOURCE, "name": name})
    assert update("renamed-1").status_code == 200  # the first match goes through
    second = update("renamed-2")
    assert second.status_code == 503 and second.json() == {"detail": "Service Unavailable"}
    assert update("other").status_code == 200  # the body does not match
    assert update("renamed-3", as_="mock-client-2").status_code == 404  # another client: no fault, its own answer
    api.client.delete("/__mock/faults")
    add_fault(api, match={"path": "/sources/{id}"}, respond={"status": 500})
    assert api.post(f"/sources/{source['id']}/actions/pause").status_code == 200  # a template matches whole
    assert api.get(f"/sources/{source['id']}").status_code == 500


def test_presets_carry_the_texts_the_provider_retries_on(api):
    presets = {p["name"]: p for p in api.client.get("/__mock/faults/presets").json()["result"]}
    assert set(presets) == set(PRESETS)
    for status in (429, 502, 503, 504):
        assert any(p["status"] == status and p["retryable"] for p in presets.values())
    for preset in presets.values():
        matched = [pattern for pattern in PROVIDER_RETRY_PATTERNS if pattern in preset["detail"].lower()]
        assert bool(matched) == preset["retryable"], preset
    assert not presets["kafka_connect_failure"]["retryable"]
    rule = add_fault(api, preset="rate_limited", match={"path_regex": "^/destinations"})
    limited = api.get("/destinations")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
    assert rule["respond"]["detail"] == "Too many requests"


def test_probability_is_seedable_and_delay_alone_passes_through(api):
    add_fault(api, match={"path": "/tags"}, respond={"status": 502}, probability=0.5, seed=7)
    first = [api.get("/tags").status_code for _ in range(12)]
    api.client.delete("/__mock/faults")
    add_fault(api, match={"path": "/tags"}, respond={"status": 502}, probability=0.5, seed=7)
    assert [api.get("/tags").status_code for _ in range(12)] == first and set(first) == {200, 502}
    api.client.delete("/__mock/faults")
    add_fault(api, match={"path": "/tags"}, respond={"delay": 0.01})
    assert api.get("/tags").status_code == 200


def test_fault_rules_list_remove_and_refuse_nonsense(api):
    one = add_fault(api, respond={"status": 500})
    add_fault(api, respond={"status": 502})
    assert api.client.get("/__mock/faults").json()["total"] == 2
    assert api.client.delete(f"/__mock/faults/{one['id']}").json() == {"removed": 1}
    assert api.client.delete(f"/__mock/faults/{one['id']}").status_code == 404
    assert api.client.delete("/__mock/faults").json() == {"removed": 1}
    assert api.client.post("/__mock/faults", json={"respond": {}}).status_code == 400
    assert api.client.post("/__mock/faults", json={"preset": "nope"}).status_code == 400
    assert api.client.post("/__mock/faults", json={"match": {"path_regex": "("}, "respond": {"status": 500}}
                           ).status_code == 400
    assert api.client.post("/__mock/faults", json={"respond": {"status": 99}}).status_code == 422
    assert api.client.post("/__mock/faults", json={"times": 2, "typo": 1}).status_code == 422


def test_the_journal_masks_secrets_and_filters(api, clock):
    make_source(api)
    api.get("/sources")
    api.post("/sources", json={"name": "bad", "connector": "nope", "config": {}})
    entries = api.client.get("/__mock/requests").json()["result"]
    login, created = entries[0], entries[1]
    assert login["path"] == "/auth/access-token" and login["request_body"]["secret"] == "********"
    assert login["response_body"]["accessToken"] == "********" and login["client_id"] == "mock-client"
    assert created["request_body"]["config"]["database.password"] == "********"
    assert created["request_body"]["config"]["database.user"] == "streamkap"
    assert created["request_headers"]["authorization"] == "Bearer ********"
    assert created["tenant_id"] == "tenant-acme" and created["status"] == 200 and created["duration_ms"] >= 0
    query = lambda **params: api.client.get("/__mock/requests", params=params).json()  # noqa: E731
    assert query(status=400)["total"] == 1
    assert query(path_regex="^/sources")["total"] == 3
    assert query(client_id="mock-client-2")["total"] == 0
    clock.advance(60)
    api.get("/tags")
    assert [e["path"] for e in query(since="2027-01-15T08:00:30Z")["result"]] == ["/tags"]  # the test clock starts at 08:00:00
    assert api.client.get("/__mock/requests", params={"since": "yesterday"}).status_code == 422
    assert api.client.delete("/__mock/requests").json() == {"removed": 5}
    assert query()["total"] == 0


def test_the_journal_is_a_ring(make_api):
    api = make_api(journal_size=3)
    for _ in range(5):
        api.get("/tags")
    entries = api.client.get("/__mock/requests").json()["result"]
    assert [e["seq"] for e in entries] == [4, 5, 6]  # the login was the first


def test_cassette_export_is_go_vcr_v4_with_secrets_redacted(api):
    make_source(api)
    response = api.client.get("/__mock/requests", params={"format": "cassette"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/yaml")
    cassette = yaml.safe_load(response.text)
    assert cassette["version"] == 2 and len(cassette["interactions"]) == 2
    created = cassette["interactions"][1]
    assert created["request"]["method"] == "POST" and created["request"]["url"] == "http://testserver/sources"
    assert created["request"]["headers"]["Authorization"] == ["Bearer ********"]
    assert "secret123" not in response.text and api.token() not in response.text
    assert created["response"]["code"] == 200 and created["response"]["status"] == "200 OK"
    assert created["response"]["headers"]["X-Request-Id"]
    assert created["response"]["duration"].endswith(("ms", "s"))


def test_tenant_is_the_one_acted_in_and_an_expired_token_still_names_its_client(make_api, clock):
    api = make_api(token_ttl=60)
    api.token()  # issued now, expired below
    add_fault(api, match={"tenant": "tenant-globex"}, respond={"status": 503})
    acting = api.get("/sources", as_="mock-platform-admin", headers={"X-Admin-Tenant-Id": "tenant-globex"})
    assert acting.status_code == 503  # the rule saw the tenant the admin acts in
    assert api.get("/sources", as_="mock-platform-admin").status_code == 200
    clock.advance(61)
    expired = api.get("/sources")
    assert expired.status_code == 401 and expired.json() == {"detail": "Token expired"}
    entries = api.client.get("/__mock/requests", params={"path": "/sources"}).json()["result"]
    assert [(e["tenant_id"], e["client_id"], e["status"]) for e in entries] == [
        ("tenant-globex", "mock-platform-admin", 503), ("tenant-acme", "mock-platform-admin", 200),
        ("tenant-acme", "mock-client", 401)]


def test_a_flag_under_a_secret_sounding_key_is_kept_so_the_cassette_replays(api):
    """Masking "snowflake.private.key.passphrase.secured": true made the mock refuse its own cassette."""
    from tests.conftest import SNOWFLAKE_CONFIG

    config = {**SNOWFLAKE_CONFIG, "snowflake.private.key.passphrase.secured": True}
    assert api.post("/destinations", json={"name": "sf", "connector": "snowflake", "config": config}).status_code == 200
    [entry] = api.client.get("/__mock/requests", params={"path": "/destinations"}).json()["result"]
    sent = entry["request_body"]["config"]
    assert sent["snowflake.private.key.passphrase.secured"] is True
    assert sent["snowflake.private.key.passphrase"] == sent["snowflake.private.key"] == "********"
