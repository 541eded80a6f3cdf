"""The rules docs/contract-rules.md lists: well-shaped requests the contract cannot tell apart, answered 400."""

from __future__ import annotations

import json

from tests.conftest import PG_SOURCE_CONFIG, SNOWFLAKE_CONFIG, make_source
from tests.http.test_transforms import created as created_transform

MISSING = "6650a1f0c0ffee00000000ff"


def contract_body_schema(api, path: str, method: str, code: str) -> dict:
    """The contract's variant of a body for one connector or transform code."""
    doc = api.client.get("/openapi.json").json()
    body = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return doc["components"]["schemas"][body["discriminator"]["mapping"][code].rsplit("/", 1)[1]]


def test_set_once_keys_cannot_change(api):
    source = make_source(api)
    config = {**PG_SOURCE_CONFIG, "slot.name": "other_slot", "publication.name": "pub_pg"}
    response = api.put(f"/sources/{source['id']}", json={"name": "pg", "connector": "postgresql", "config": config})
    assert (response.status_code, response.json()) == (400, {"detail": '"slot.name" cannot be changed after creation'})
    variant = contract_body_schema(api, "/sources/{id}", "put", "postgresql")
    assert "Set once" in variant["properties"]["config"]["properties"]["slot.name"]["description"]


def test_the_connector_cannot_change(api):
    source = make_source(api)
    response = api.put(f"/sources/{source['id']}", json={"name": "pg", "connector": "mysql", "config": {}})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The connector of an existing source cannot change")


def test_a_json_field_must_parse(api):
    config = {"keyfile": "{not json", "defaultDataset": "d"}
    response = api.post("/destinations", json={"name": "bq", "connector": "bigquery", "config": config})
    assert (response.status_code, response.json()) == (
        400, {"detail": 'Invalid value for "keyfile": expected a string holding valid JSON'})
    config["keyfile"] = json.dumps({"type": "service_account"})
    assert api.post("/destinations", json={"name": "bq", "connector": "bigquery", "config": config}).status_code == 200


def test_pipeline_references_must_exist(api):
    source = make_source(api)
    destination = api.post("/destinations", json={"name": "s", "connector": "snowflake",
                                                  "config": SNOWFLAKE_CONFIG}).json()
    body = {"name": "p", "source": {"id": MISSING, "topics": []}, "destination": {"id": destination["id"]}}
    assert api.post("/pipelines", json=body).json() == {"detail": f"Source {MISSING} not found"}
    body = {**body, "source": {"id": source["id"], "topics": []}, "transforms": [{"id": MISSING}]}
    response = api.post("/pipelines", json=body)
    assert (response.status_code, response.json()) == (400, {"detail": f"Transform {MISSING} not found"})


def test_partitions_only_grow(api):
    topic = make_source(api)["topics"][0]
    assert api.put(f"/topics/{topic}", json={"payload": {"partition_count": 3}}).status_code == 200
    response = api.put(f"/topics/{topic}", json={"payload": {"partition_count": 2}})
    assert response.status_code == 400 and "can only grow" in response.json()["detail"]


def test_transform_body_id_matches_the_path(api):
    first, second = created_transform(api, name="a"), created_transform(api, name="b")
    response = api.put(f"/transforms/{first['id']}", json={"id": second["id"], "transform": "map_filter",
                                                          "config": first["config"]})
    assert (response.status_code, response.json()) == (
        400, {"detail": f"id '{second['id']}' in the body does not match '{first['id']}' in the path"})


def test_job_status_of_an_unknown_transform(api):
    response = api.get(f"/transforms/{MISSING}/job_status")
    assert (response.status_code, response.json()) == (400, {"detail": "Transform not found"})


def test_credentials_need_known_roles(api):
    response = api.post("/auth/client-credentials", json={"role_ids": [""]})
    assert (response.status_code, response.json()) == (400, {"detail": "Unknown role id: "})


def test_whitelist_entries_are_ips(api):
    response = api.post("/kafka-access/kafka-users", json={"username": "u", "password": "S3cret-pass!",
                                                           "whitelist_ips": "not-an-ip"})
    assert (response.status_code, response.json()) == (
        400, {"detail": "whitelist_ips: 'not-an-ip' is not an IP address or CIDR block"})
