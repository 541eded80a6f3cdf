"""State survives a restart with the same --db; :memory: does not touch the disk."""

from __future__ import annotations

import json

from tests.conftest import PG_SOURCE_CONFIG


def test_entities_survive_a_restart(make_api, tmp_path):
    first = make_api()
    created = first.post("/sources?secret_returned=true",
                         json={"name": "kept", "connector": "postgresql", "config": PG_SOURCE_CONFIG}).json()
    deleted = first.post("/destinations", json={"name": "gone", "connector": "snowflake", "config": {
        "snowflake.url.name": "u", "snowflake.user.name": "n", "snowflake.private.key": "k",
        "snowflake.private.key.passphrase": "p", "snowflake.database.name": "d", "snowflake.schema.name": "s"}}).json()
    first.post(f"/sources/{created['id']}/actions/pause")
    first.delete(f"/destinations/{deleted['id']}")
    first.client.__exit__(None, None, None)

    second = make_api()  # same db file, new app, new process state
    body = second.get(f"/sources/{created['id']}?secret_returned=true").json()
    assert body["total"] == 1
    entity = body["result"][0]
    assert entity["config"]["database.password"] == "secret123"  # the key file survived too
    assert entity["connector_status"] == "Paused"
    assert second.get("/destinations").json()["total"] == 0


def test_memory_store_writes_no_file(make_api, tmp_path):
    api = make_api(db=":memory:")
    assert api.post("/sources", json={"name": "m", "connector": "postgresql", "config": PG_SOURCE_CONFIG}).status_code == 200
    assert api.get("/sources").json()["total"] == 1
    assert list(tmp_path.iterdir()) == []


def test_db_file_is_plain_tinydb_json(make_api, tmp_path):
    api = make_api()
    api.ok("POST", "/sources", json={"name": "m", "connector": "postgresql", "config": PG_SOURCE_CONFIG})
    api.client.__exit__(None, None, None)  # a clean shutdown folds the journal into the file
    data = json.loads((tmp_path / "db.json").read_text())
    assert {"sources", "topics"} <= set(data)
    (record,) = data["sources"].values()
    assert record["name"] == "m" and record["tenant_id"] == "tenant-acme"
