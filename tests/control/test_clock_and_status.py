"""The virtual clock and forced connector statuses, through HTTP."""

from __future__ import annotations

from tests.conftest import make_source


def status_of(api, source_id):
    entity = api.get(f"/sources/{source_id}").json()["result"][0]
    return entity["connector_status"], entity["task_statuses"]["0"]


def test_advancing_the_clock_settles_a_starting_connector(make_api):
    api = make_api(status_delay=30)
    source = make_source(api)
    assert status_of(api, source["id"])[0] == "Starting"
    moved = api.client.post("/__mock/clock/advance", json={"seconds": 29})
    assert moved.status_code == 200 and moved.json()["offset_seconds"] == 29
    assert status_of(api, source["id"])[0] == "Starting"
    api.client.post("/__mock/clock/advance", json={"seconds": 1})
    assert status_of(api, source["id"])[0] == "Active"
    assert api.client.get("/__mock/clock").json()["offset_seconds"] == 30


def test_advancing_the_clock_ends_a_delete_grace_and_expires_tokens(make_api):
    api = make_api(delete_delay=60, token_ttl=100)
    source = make_source(api)
    assert api.delete(f"/sources/{source['id']}?wait=false").status_code == 200
    assert api.get(f"/sources/{source['id']}").json()["total"] == 1  # still within its grace
    api.client.post("/__mock/clock/advance", json={"seconds": 60})
    assert api.get(f"/sources/{source['id']}").json()["total"] == 0
    api.client.post("/__mock/clock/advance", json={"seconds": 40})
    assert api.get("/sources").status_code == 401  # the token issued at the start has expired


def test_advancing_the_clock_moves_transform_jobs(make_api):
    api = make_api(status_delay=10)
    transform = api.post("/transforms", json={"transform": "map_filter", "config": {
        "transforms.name": "clocked", "transforms.input.topic.pattern": "a.*",
        "transforms.output.topic.pattern": "b"}}).json()
    api.put(f"/transforms/{transform['id']}/implementation_details",
            json={"implementation": {"language": "JavaScript", "value_transform": "function f(v){return v}"}})
    assert api.put(f"/transforms/{transform['id']}/deploy-job-live/no-version").status_code == 200
    before = api.get(f"/transforms/{transform['id']}/job_status").json()
    api.client.post("/__mock/clock/advance", json={"seconds": 10})
    after = api.get(f"/transforms/{transform['id']}/job_status").json()
    assert before != after and "RUNNING" in str(after)


def test_the_clock_refuses_to_go_backwards(api):
    response = api.client.post("/__mock/clock/advance", json={"seconds": -5})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "seconds"]


def test_forced_broken_status_shows_its_trace_and_restart_moves_it_on(api):
    source = make_source(api)
    forced = api.client.put(f"/__mock/connectors/{source['id']}/status",
                            json={"status": "Broken", "trace": "org.apache.kafka.connect.errors.ConnectException: boom"})
    assert forced.status_code == 200, forced.text
    assert forced.json()["connector_status"] == "Broken" and forced.json()["entity_type"] == "sources"
    assert status_of(api, source["id"]) == ("Broken", {
        "state": "FAILED", "trace": "org.apache.kafka.connect.errors.ConnectException: boom"})
    assert api.post(f"/sources/{source['id']}/actions/pause").status_code == 409  # Broken cannot pause
    restarted = api.post(f"/sources/{source['id']}/actions/restart").json()
    assert restarted["connector_status"] == "Active" and restarted["task_statuses"]["0"] == {"state": "RUNNING"}


def test_forced_status_on_a_destination_then_settles(api):
    destination = api.post("/destinations", json={"name": "d", "connector": "snowflake", "config": {
        "snowflake.url.name": "u", "snowflake.user.name": "n", "snowflake.private.key": "k",
        "snowflake.private.key.passphrase": "p", "snowflake.database.name": "d",
        "snowflake.schema.name": "s"}}).json()
    answer = api.client.put(f"/__mock/connectors/{destination['id']}/status",
                            json={"status": "Unassigned", "then": "Active", "after": 5})
    assert answer.json()["entity_type"] == "destinations"
    read = lambda: api.get(f"/destinations/{destination['id']}").json()["result"][0]["connector_status"]  # noqa: E731
    assert read() == "Unassigned"
    api.client.post("/__mock/clock/advance", json={"seconds": 5})
    assert read() == "Active"


def test_forced_status_rejects_unknown_statuses_and_ids(api):
    source = make_source(api)
    bad = api.client.put(f"/__mock/connectors/{source['id']}/status", json={"status": "Exploded"})
    assert bad.status_code == 422
    missing = api.client.put("/__mock/connectors/" + "0" * 24 + "/status", json={"status": "Unknown"})
    assert missing.status_code == 404 and "0" * 24 in missing.json()["detail"]
    api.delete(f"/sources/{source['id']}")
    assert api.client.put(f"/__mock/connectors/{source['id']}/status", json={"status": "Unknown"}).status_code == 404
