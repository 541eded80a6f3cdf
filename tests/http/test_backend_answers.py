"""The backend reference's texts and statuses, and hostile input answered 4xx (never 500, never stored)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import PG_SOURCE_CONFIG, SNOWFLAKE_CONFIG, make_source
from tests.http.test_transforms import created as created_transform


def pg_body(name="pg", **config):
    return {"name": name, "connector": "postgresql",
            "config": {**PG_SOURCE_CONFIG, "slot.name": f"slot_{name}", "publication.name": f"pub_{name}", **config}}


def snowflake_body(name="snow", **config):
    return {"name": name, "connector": "snowflake", "config": {**SNOWFLAKE_CONFIG, **config}}


@pytest.mark.parametrize("path,body", [
    ("/sources", pg_body()),
    ("/destinations", snowflake_body()),
    ("/tags", {"name": "team", "type": ["sources"]}),
])
def test_a_taken_name_is_409_with_the_reference_text(api, path, body):
    assert api.post(path, json=body).status_code == 200
    body = {**body, "config": {**body["config"], "slot.name": "other", "publication.name": "other"}} \
        if path == "/sources" else body
    response = api.post(path, json=body)
    assert (response.status_code, response.json()) == (409, {"detail": "Entity with this name already exists"})


@pytest.mark.parametrize("path", ["/pipelines/6650a1f0c0ffee00000000ff", "/topics/6650a1f0c0ffee00000000ff",
                                  "/tags/6650a1f0c0ffee00000000ff"])
def test_unknown_entities_are_404_entity_not_found(api, path):
    response = api.delete(path)
    assert (response.status_code, response.json()) == (404, {"detail": "Entity not found"})


@pytest.mark.parametrize("path,body", [
    ("/sources", pg_body()),
    ("/destinations", snowflake_body()),
    ("/tags", {"name": "team", "type": ["sources"]}),
    ("/transforms", {"transform": "map_filter", "config": {"transforms.name": "t"}}),
])
def test_created_from_is_the_backends_enum(api, path, body):
    response = api.post(path, json={**body, "created_from": "bogus"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "created_from"]
    assert api.post(path, json={**body, "created_from": "api"}).status_code == 200


def test_unwind_topics_is_a_boolean_and_false_leaves_the_topic_map_out(api):
    source = make_source(api, tables="public.users")
    assert api.get(f"/sources/{source['id']}?unwind_topics=maybe").status_code == 422
    unwound = api.get(f"/sources/{source['id']}").json()["result"][0]
    assert unwound["topic_map"] == {unwound["topic_ids"][0]: unwound["topics"]}
    kept = api.get(f"/sources?unwind_topics=false").json()["result"][0]
    assert kept["topic_map"] == {} and kept["topics"] == unwound["topics"]


@pytest.mark.parametrize("value", [["a"], {"a": 1}, 1.5])
def test_undeclared_source_config_values_are_str_int_bool_or_null(api, value):
    response = api.post("/sources", json=pg_body(**{"custom.key": value}))
    assert response.status_code == 400
    assert response.json()["detail"].startswith('Invalid value for "custom.key": expected a string')
    assert api.get("/sources").json()["total"] == 0


def test_undeclared_destination_config_values_may_also_be_lists_and_objects(api):
    response = api.post("/destinations", json=snowflake_body(**{"custom.list": ["a"], "custom.map": {"b": 1}}))
    assert response.status_code == 200, response.text
    assert response.json()["config"]["custom.list"] == ["a"]
    assert api.post("/destinations", json=snowflake_body("s2", **{"custom.x": 0.5})).status_code == 400


def test_a_declared_field_takes_its_declared_type(api):
    response = api.post("/sources", json=pg_body(**{"database.user": 5}))
    assert (response.status_code, response.json()) == (
        400, {"detail": 'Invalid value for "database.user": expected a string, got integer'})


def test_a_port_of_more_digits_than_python_prints_is_400(api):
    response = api.post("/sources", json=pg_body(**{"database.port.user.defined": "1" * 4301}))
    assert response.status_code == 400
    assert "database.port.user.defined" in response.json()["detail"]


def test_a_version_id_beyond_64_bits_is_400_and_later_writes_still_work(api):
    tid = created_transform(api)["id"]
    for version_id in ("1" * 4300, "1" * 19):
        response = api.put(f"/transforms/{tid}/implementation_details",
                           json={"implementation": {}, "version_id": version_id})
        assert response.status_code == 400, version_id
    largest = api.put(f"/transforms/{tid}/implementation_details",
                      json={"implementation": {}, "version_id": "9" * 18})
    assert largest.status_code == 200
    assert api.put(f"/transforms/{tid}/implementation_details", json={"implementation": {}}).status_code == 200


@pytest.mark.parametrize("method,path,allow", [
    ("PUT", "/sources/brief", {"GET"}),
    ("DELETE", "/destinations/connectors", {"GET"}),
    ("PUT", "/topics/details", {"GET"}),
    ("PATCH", "/sources/6650a1f0c0ffee00000000ff", {"DELETE", "GET", "PUT"}),
])
def test_undeclared_methods_are_405(api, method, path, allow):
    response = api.request(method, path, json={})
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) - {"HEAD"} == allow
