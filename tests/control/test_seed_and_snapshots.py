"""Seeds and snapshots, through HTTP (in-process) and at start-up."""

from __future__ import annotations

import json

import pytest

from mockserver.app import create_app
from mockserver.errors import StartupError
from mockserver.settings import Settings
from tests.conftest import PG_SOURCE_CONFIG, ROOT, make_source

PROVIDER_SEED = ROOT / "fixtures" / "seeds" / "provider-acceptance.json"
SOURCE_ID = "67adbcc172417ef6338e01a1"
TOPIC = f"source_{SOURCE_ID}.default.tst-junit-2"
TRANSFORMS = ("6891895fb3a70cb60b64ce28", "68936a30d4b5a205c1f14536", "67d43b4ed21e8f093edae34b",
              "67dbe945308e0871a4e1fc49")
V2_TOPICS = {"67d43b4ed21e8f093edae34b": "public.test_transformed", "67dbe945308e0871a4e1fc49": "test"}
SEED = {
    "tags": [{"id": "650000000000000000000001", "name": "seeded-tag", "type": ["sources"], "description": "d"}],
    "sources": [{"id": "650000000000000000000002", "name": "seeded", "connector": "postgresql",
                 "config": {**PG_SOURCE_CONFIG, "slot.name": "seeded", "publication.name": "seeded"},
                 "tags": ["650000000000000000000001"], "created_timestamp": "2024-05-01T10:00:00.000Z"}],
    "topics": [{"name": "source_650000000000000000000002.public.users", "partition_count": 4}],
    "kafka_users": [{"username": "seeded-user", "password": "kafka-pw", "kafka_acls": []}],
}


def test_the_provider_seed_holds_the_fixed_ids_the_acceptance_tests_read(make_api):
    api = make_api(seed=PROVIDER_SEED)
    source = api.get(f"/sources/{SOURCE_ID}?secret_returned=true").json()["result"][0]
    assert source["topics"] == [TOPIC] and source["created_timestamp"].startswith("2025-02-13")
    assert api.get(f"/topics/{TOPIC}?detailed=true").json()["kafka"]["partitions"]["count"] < 25
    for transform_id in TRANSFORMS:
        transform = api.get(f"/transforms/{transform_id}?secret_returned=true&unwind_topics=false").json()
        assert transform["result"][0]["id"] == transform_id
        assert api.get(f"/transforms/{transform_id}/job_status").json()["status"] == "RUNNING"
        if transform_id in V2_TOPICS:  # the topic the 2.x pipeline test names, looked up by 2.x
            assert transform["result"][0]["topics"] == [V2_TOPICS[transform_id]]


def test_seeded_secrets_are_sealed_on_disk(make_api):
    stored = make_api(seed=PROVIDER_SEED).disk_text()
    assert SOURCE_ID in stored and "seed-password" not in stored


def test_post_seed_creates_entities_by_the_api_rules(api):
    created = api.client.post("/__mock/seed", json=SEED)
    assert created.status_code == 201, created.text
    assert created.json()["created"] == {"tags": 1, "sources": 1, "topics": 1, "kafka_users": 1}
    source = api.get("/sources/650000000000000000000002").json()["result"][0]
    assert source["tags"] == ["650000000000000000000001"] and source["created_timestamp"] == "2024-05-01T10:00:00.000Z"
    assert source["config"]["database.password"] == "********"
    topic = api.get("/topics/source_650000000000000000000002.public.users?detailed=true").json()
    assert topic["kafka"]["partitions"]["count"] == 4
    assert [u["username"] for u in api.get("/kafka-access/kafka-users").json()] == ["seeded-user"]
    again = api.client.post("/__mock/seed", json=SEED)  # the same names again: the API's own 409 rules
    assert again.status_code == 409 and "already exists" in again.json()["detail"]


def test_a_bad_seed_names_the_entity_and_leaves_nothing_behind(api):
    bad = {**SEED, "destinations": [{"id": "650000000000000000000009", "name": "d", "connector": "snowflake",
                                     "config": {}}]}
    answer = api.client.post("/__mock/seed", json=bad)
    assert answer.status_code == 400
    detail = answer.json()["detail"]
    assert detail.startswith("seed request body: destinations[0] (id 650000000000000000000009, 'd'): ")
    assert "snowflake" in detail or "Missing" in detail
    assert api.get("/sources").json()["total"] == 0 and api.get("/tags").json()["tags"][0]["system"]
    no_id = api.client.post("/__mock/seed", json={"sources": [{"name": "x", "connector": "postgresql", "config": {}}]})
    assert no_id.status_code == 400 and "sources[0]" in no_id.json()["detail"] and "id" in no_id.json()["detail"]
    assert api.client.post("/__mock/seed", json={"widgets": []}).status_code == 422


def test_a_bad_seed_file_stops_start_up_with_one_line(tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"sources": [{"id": "650000000000000000000002", "name": "s",
                                             "connector": "nope", "config": {}}]}))
    with pytest.raises(StartupError) as err:
        create_app(Settings(db=":memory:", seed=path))
    message = str(err.value)
    assert message.startswith(f"seed {path}: sources[0] (id 650000000000000000000002, 's'): Unknown connector 'nope'")
    assert "\n" not in message
    path.write_text("{not json")
    with pytest.raises(StartupError, match="not a readable JSON file"):
        create_app(Settings(db=":memory:", seed=path))


def test_reset_brings_the_start_up_seed_back_and_a_restart_keeps_it(make_api, tmp_path):
    api = make_api(seed=PROVIDER_SEED)
    api.put(f"/topics/{TOPIC}", json={"payload": {"partition_count": 26}})
    api.delete(f"/transforms?id={TRANSFORMS[0]}")
    assert api.client.post("/__mock/reset").status_code == 200
    assert api.get(f"/topics/{TOPIC}?detailed=true").json()["kafka"]["partitions"]["count"] == 1
    assert api.get(f"/transforms/{TRANSFORMS[0]}").json()["total"] == 1
    api.put(f"/topics/{TOPIC}", json={"payload": {"partition_count": 3}})
    restarted = make_api(seed=PROVIDER_SEED)  # the same db file: the seed's ids are there already
    assert restarted.get(f"/topics/{TOPIC}?detailed=true").json()["kafka"]["partitions"]["count"] == 3


def test_snapshot_save_restore_list_delete(api):
    kept = make_source(api, "kept")
    assert api.client.post("/__mock/snapshots/before").status_code == 201
    make_source(api, "later")
    api.delete(f"/sources/{kept['id']}")
    restored = api.client.post("/__mock/snapshots/before/restore")
    assert restored.status_code == 200 and restored.json()["entities"]["sources"] == 1
    assert [s["name"] for s in api.get("/sources").json()["result"]] == ["kept"]
    assert [s["name"] for s in api.client.get("/__mock/snapshots").json()["result"]] == ["before"]
    assert api.client.delete("/__mock/snapshots/before").json() == {"removed": 1}
    assert api.client.post("/__mock/snapshots/before/restore").status_code == 404
    assert api.client.post("/__mock/snapshots/bad%20name").status_code == 422


def test_snapshots_of_a_file_store_survive_a_restart(make_api, tmp_path):
    api = make_api()
    source = make_source(api)
    api.client.post("/__mock/snapshots/one")
    assert (tmp_path / "db.json.snapshots" / "one.json").exists()
    assert "secret123" not in (tmp_path / "db.json.snapshots" / "one.json").read_text()
    api.delete(f"/sources/{source['id']}")
    restarted = make_api()
    assert restarted.client.post("/__mock/snapshots/one/restore").status_code == 200
    read = restarted.get(f"/sources/{source['id']}?secret_returned=true").json()["result"][0]
    assert read["config"]["database.password"] == "secret123"


def test_a_tenant_reset_brings_back_only_that_tenants_seed(make_api, tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"tags": [
        {"id": "650000000000000000000001", "name": "acme-tag", "type": ["sources"]},  # the first tenant
        {"id": "650000000000000000000002", "name": "globex-tag", "type": ["sources"], "tenant_id": "tenant-globex"},
    ]}))
    api = make_api(seed=path)
    api.delete("/tags/650000000000000000000001")
    api.delete("/tags/650000000000000000000002", as_="mock-client-2")
    assert api.client.post("/__mock/reset", json={"tenant": "tenant-globex"}).status_code == 200
    assert [t["name"] for t in api.get("/tags", as_="mock-client-2").json()["tags"] if not t["system"]] == ["globex-tag"]
    assert [t["name"] for t in api.get("/tags").json()["tags"] if not t["system"]] == []
    bad = api.client.post("/__mock/seed", json={"tags": [{"id": "650000000000000000000003", "name": "x",
                                                            "type": ["sources"], "tenant_id": "tenant-nowhere"}]})
    assert bad.status_code == 400 and "unknown tenant 'tenant-nowhere'" in bad.json()["detail"]
