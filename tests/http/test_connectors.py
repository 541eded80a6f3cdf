"""Create, read, update, delete of sources and destinations, with every error status."""

from __future__ import annotations

import pytest

from tests.conftest import PG_SOURCE_CONFIG, SNOWFLAKE_CONFIG

KINDS = {
    "sources": ("postgresql", PG_SOURCE_CONFIG),
    "destinations": ("snowflake", SNOWFLAKE_CONFIG),
}


def create(api, kind="sources", name="my-entity", config=None, **extra):
    connector, base = KINDS[kind]
    body = {"name": name, "connector": connector, "config": dict(config or base), **extra}
    return api.post(f"/{kind}?secret_returned=true&wait=false", json=body)


def get_one(api, kind, entity_id, **params):
    response = api.get(f"/{kind}/{entity_id}", params={"secret_returned": "true", **params})
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("kind", list(KINDS))
def test_create_returns_the_entity_with_every_sent_key(api, kind):
    response = create(api, kind, created_from="terraform")
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["id"]) == 24 and int(body["id"], 16) >= 0
    assert body["name"] == "my-entity"
    assert body["created_from"] == "terraform"
    assert body["tenant_id"] == "tenant-acme" and body["service_id"] == "service-acme-prod"
    assert body["sub_id"] == "sub-acme"
    assert body["created_timestamp"]
    for key, value in KINDS[kind][1].items():
        assert body["config"][key] == value
        assert type(body["config"][key]) is type(value)


def test_numeric_string_port_stays_a_string(api):
    response = create(api, config={**PG_SOURCE_CONFIG, "database.port.user.defined": "5432"})
    assert response.status_code == 200, response.text
    assert response.json()["config"]["database.port.user.defined"] == "5432"


def test_port_of_digits_int_cannot_read_is_400(api):
    # "²" is a digit to str.isdigit() but not to int(): once a 500.
    response = create(api, config={**PG_SOURCE_CONFIG, "database.port.user.defined": "²"})
    assert response.status_code == 400, response.text
    assert response.json()["detail"] == 'Invalid value for "database.port.user.defined": expected an integer, got string'


def test_json_text_nested_too_deep_to_parse_is_400(api):
    keyfile = "[" * 100_000 + "]" * 100_000  # json.loads hits the recursion limit: once a 500
    response = api.post("/destinations", json={"name": "bq", "connector": "bigquery",
                                               "config": {"keyfile": keyfile, "defaultDataset": "raw"}})
    assert response.status_code == 400, response.text
    assert response.json()["detail"] == 'Invalid value for "keyfile": expected a string holding valid JSON'


def test_defaults_and_computed_keys_are_filled(api):
    config = create(api).json()["config"]
    assert config["slot.name"] == "streamkap_pgoutput_slot"
    assert config["database.hostname"] == "db.example.com"
    assert config["table.include.list"] == "public.users,public.orders"


@pytest.mark.parametrize("kind", list(KINDS))
def test_get_by_id_uses_the_list_envelope(api, kind):
    entity_id = create(api, kind).json()["id"]
    body = get_one(api, kind, entity_id)
    assert body["total"] == 1 and body["page"] == 1
    assert body["result"][0]["id"] == entity_id


def test_get_unknown_id_is_an_empty_envelope(api):
    assert get_one(api, "sources", "0" * 24) == {"total": 0, "page_size": 10, "page": 1, "result": []}


@pytest.mark.parametrize("method,path", [("GET", "/sources/not-an-id"), ("DELETE", "/destinations/123"),
                                         ("DELETE", "/sources/" + "G" * 24),
                                         ("POST", "/sources/not-an-id/actions/pause")])
def test_malformed_id_is_404_entity_not_found(api, method, path):
    response = api.request(method, path, json={})
    assert (response.status_code, response.json()) == (404, {"detail": "Entity not found"})


def test_unknown_connector_is_400(api):
    response = api.post("/sources", json={"name": "x", "connector": "nosuchdb", "config": {}})
    assert response.status_code == 400
    assert "Unknown connector 'nosuchdb'" in response.json()["detail"]


@pytest.mark.parametrize("body,loc", [
    ({"connector": "postgresql", "config": {}}, ["body", "name"]),
    ({"name": "x", "config": {}}, ["body", "connector"]),
    ({"name": "x", "connector": "postgresql"}, ["body", "config"]),
    ({"name": 5, "connector": "postgresql", "config": {}}, ["body", "name"]),
    ({"name": "x", "connector": "postgresql", "config": "nope"}, ["body", "config"]),
    ({"name": "x", "connector": "postgresql", "config": {}, "tags": "a"}, ["body", "tags"]),
])
def test_missing_or_mistyped_fields_are_422(api, body, loc):
    response = api.post("/sources", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_body_that_is_not_json_is_422(api):
    response = api.post("/sources", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_missing_required_config_is_400_naming_the_keys(api):
    config = {k: v for k, v in PG_SOURCE_CONFIG.items() if k not in ("database.password", "database.user")}
    response = create(api, config=config)
    assert response.status_code == 400
    assert response.json()["detail"] == "Missing required config: database.password, database.user"
    assert api.get("/sources").json()["total"] == 0  # nothing half-written


@pytest.mark.parametrize("kind", list(KINDS))
def test_duplicate_name_is_409(api, kind):
    assert create(api, kind).status_code == 200
    config = {**KINDS[kind][1]}
    if kind == "sources":
        config["slot.name"] = "other_slot"
    response = create(api, kind, config=config)
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]
    assert api.get(f"/{kind}").json()["total"] == 1


def test_same_name_in_another_tenant_is_fine(api):
    assert create(api).status_code == 200
    response = api.post("/sources", as_="mock-client-2",
                        json={"name": "my-entity", "connector": "postgresql", "config": PG_SOURCE_CONFIG})
    assert response.status_code == 200


def test_name_of_a_deleted_entity_can_be_reused(api):
    entity_id = create(api).json()["id"]
    assert api.delete(f"/sources/{entity_id}").status_code == 200
    assert create(api).status_code == 200


def test_update_is_a_full_replacement(api):
    created = create(api, created_from="terraform", tags=None).json()
    config = {**PG_SOURCE_CONFIG, "database.user": "other", "heartbeat.enabled": False}
    response = api.put(f"/sources/{created['id']}?secret_returned=true&wait=false",
                       json={"name": "renamed", "connector": "postgresql", "config": config, "created_from": "ui"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "renamed"
    assert body["config"]["database.user"] == "other"
    assert body["config"]["heartbeat.enabled"] is False
    assert body["created_from"] == "terraform"  # kept from the create
    assert body["created_timestamp"] == created["created_timestamp"]
    stored = get_one(api, "sources", created["id"])["result"][0]
    assert stored["name"] == "renamed" and stored["config"]["database.user"] == "other"


def test_update_unknown_id_is_404(api):
    response = api.put(f"/sources/{'a' * 24}", json={"name": "x", "connector": "postgresql", "config": PG_SOURCE_CONFIG})
    assert response.status_code == 404
    assert response.json() == {"detail": "Entity not found"}


def test_update_to_a_taken_name_is_409(api):
    create(api, name="one")
    second = create(api, name="two", config={**PG_SOURCE_CONFIG, "slot.name": "s2"}).json()
    response = api.put(f"/sources/{second['id']}",
                       json={"name": "one", "connector": "postgresql", "config": {**PG_SOURCE_CONFIG, "slot.name": "s2"}})
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]
    assert api.get(f"/sources/{second['id']}").json()["result"][0]["name"] == "two"


def test_update_cannot_change_connector(api):
    entity_id = create(api).json()["id"]
    response = api.put(f"/sources/{entity_id}", json={"name": "x", "connector": "mysql", "config": {}})
    assert response.status_code == 400
    assert "cannot change" in response.json()["detail"]


def test_set_once_key_cannot_change(api):
    entity_id = create(api).json()["id"]
    response = api.put(f"/sources/{entity_id}",
                       json={"name": "x", "connector": "postgresql", "config": {**PG_SOURCE_CONFIG, "slot.name": "new"}})
    assert response.status_code == 400
    assert "slot.name" in response.json()["detail"]


def test_slot_and_publication_pair_is_unique_per_tenant(api):
    create(api, name="a")
    response = create(api, name="b")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Replication Slot Name and Publication Name already exist")


@pytest.mark.parametrize("kind", list(KINDS))
def test_delete_is_soft_and_hides_the_entity_everywhere(api, kind):
    entity_id = create(api, kind).json()["id"]
    response = api.delete(f"/{kind}/{entity_id}?secret_returned=true&wait=false")
    assert response.status_code == 200
    assert response.json()["id"] == entity_id
    assert get_one(api, kind, entity_id)["result"] == []
    assert api.get(f"/{kind}").json()["total"] == 0
    assert api.get(f"/{kind}/brief").json()["result"] == []
    assert api.post(f"/{kind}/search", json={"ids": [entity_id]}).json()["total"] == 0
    assert api.put(f"/{kind}/{entity_id}", json={"name": "x", "connector": KINDS[kind][0],
                                                 "config": KINDS[kind][1]}).status_code == 404
    again = api.delete(f"/{kind}/{entity_id}")
    assert again.status_code == 404 and again.json() == {"detail": "Entity not found"}
    stored = api.backend.repo.get(kind, entity_id)
    assert stored["deleted"] is True  # soft: still in the store


def test_delete_with_grace_stays_visible_for_a_while(make_api, clock):
    api = make_api(delete_delay=5)
    entity_id = create(api).json()["id"]
    assert api.delete(f"/sources/{entity_id}?wait=false").status_code == 200
    assert get_one(api, "sources", entity_id)["total"] == 1
    clock.advance(5)
    assert get_one(api, "sources", entity_id)["total"] == 0


def test_an_entity_in_its_delete_grace_cannot_be_changed(make_api, clock):
    # It still reads, but it is deleted: an update or action once revived its topics.
    api = make_api(delete_delay=5)
    entity_id = create(api).json()["id"]
    assert api.delete(f"/sources/{entity_id}?wait=false").status_code == 200
    update = api.put(f"/sources/{entity_id}", json={"name": "my-entity", "connector": "postgresql",
                                                    "config": PG_SOURCE_CONFIG})
    assert update.status_code == 404 and update.json() == {"detail": "Entity not found"}
    action = api.post(f"/sources/{entity_id}/actions/pause")
    assert action.status_code == 404 and action.json() == {"detail": "Entity not found"}
    assert api.get(f"/topics?entity_id={entity_id}").json()["total"] == 0
    assert get_one(api, "sources", entity_id)["result"][0]["connector_status"] == "Active"


def test_wait_flag_is_validated(api):
    response = api.post("/sources?wait=maybe", json={"name": "x", "connector": "postgresql", "config": PG_SOURCE_CONFIG})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "wait"]


def test_source_topics_follow_the_table_list(api):
    body = create(api).json()
    assert body["topics"] == [f"source_{body['id']}.public.users", f"source_{body['id']}.public.orders"]
    assert len(body["topic_ids"]) == 2
    config = {**PG_SOURCE_CONFIG, "table.include.list.user.defined": "public.users"}
    updated = api.put(f"/sources/{body['id']}", json={"name": "my-entity", "connector": "postgresql", "config": config}).json()
    assert updated["topics"] == [f"source_{body['id']}.public.users"]
    assert updated["topic_ids"] == body["topic_ids"][:1]


def test_connectors_lists_every_plugin_with_its_fields(api):
    body = api.get("/sources/connectors").json()["result"]
    postgres = next(c for c in body if c["connector"] == "postgresql")
    assert postgres["display_name"] == "PostgreSQL"
    password = next(f for f in postgres["fields"] if f["name"] == "database.password")
    assert password["secret"] is True and password["required"] is True
    assert {c["connector"] for c in api.get("/destinations/connectors").json()["result"]} >= {"snowflake", "postgresql"}
