"""Request parsing (mockserver.http.common): a malformed query parameter is 422 with FastAPI's list of
issues, exactly; a body that is not JSON, or holds NaN, is refused and nothing is stored."""

from __future__ import annotations

import json

import pytest
from starlette.requests import Request

from mockserver.domain.records import Page
from mockserver.errors import Unprocessable
from mockserver.http.common import query_id, query_page, respond
from tests.conftest import make_source
from tests.http.test_backend_answers import pg_body
from tests.http.test_transforms import created


def issue(name: str, msg: str, kind: str) -> dict:
    return {"detail": [{"loc": ["query", name], "msg": msg, "type": kind}]}


@pytest.mark.parametrize("query,expected", [
    ("page=0", issue("page", "Input should be greater than or equal to 1", "greater_than_equal")),
    ("page_size=101", issue("page_size", "Input should be less than or equal to 100", "less_than_equal")),
    ("page=two", issue("page", "Input should be a valid integer", "int_parsing")),
    ("secret_returned=maybe", issue("secret_returned", "Input should be a valid boolean", "bool_parsing")),
])
def test_a_bad_list_query_is_422_naming_the_parameter(api, query, expected):
    response = api.get(f"/sources?{query}")
    assert response.status_code == 422
    assert response.json() == expected


@pytest.mark.parametrize("path,name,choices", [
    ("/tags", "tag_type", "'environment', 'general', 'sources', 'destinations'"),
    ("/topics", "entity_type", "'sources', 'destinations'"),
])
def test_a_value_outside_the_choices_is_422_listing_them(api, path, name, choices):
    response = api.get(f"{path}?{name}=nope")
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["query", name] and problem["type"] == "enum"
    assert problem["msg"].startswith(f"Input should be {choices}")


def test_a_missing_required_id_is_422(api):
    response = api.delete("/transforms")
    assert response.status_code == 422
    assert response.json() == issue("id", "Field required", "missing")


def test_an_id_in_the_query_must_be_an_object_id(api):
    response = api.delete("/transforms?id=nope")
    assert response.status_code == 422
    assert response.json() == issue("id", "Input should be a 24-character hex ObjectId", "string_pattern_mismatch")
    tid = created(api)["id"]
    deleted = api.delete(f"/transforms?id={tid}")
    assert deleted.status_code == 200 and deleted.json()["id"] == tid




def test_a_malformed_path_id_is_404_before_a_malformed_query_is_looked_at(api):
    response = api.get("/sources/nope?secret_returned=maybe")
    assert (response.status_code, response.json()) == (404, {"detail": "Entity not found"})


def test_a_malformed_flag_refuses_a_delete_before_it_has_any_effect(api):
    source_id = make_source(api)["id"]
    response = api.delete(f"/sources/{source_id}?wait=maybe")
    assert response.status_code == 422
    assert response.json() == issue("wait", "Input should be a valid boolean", "bool_parsing")
    assert api.get(f"/sources/{source_id}").json()["total"] == 1


def test_a_malformed_flag_refuses_a_create_before_anything_is_stored(api):
    response = api.post("/sources?secret_returned=maybe", json=pg_body())
    assert response.status_code == 422
    assert response.json() == issue("secret_returned", "Input should be a valid boolean", "bool_parsing")
    assert api.get("/sources").json()["total"] == 0


@pytest.mark.parametrize("query,name", [("page=0", "page"), ("page_size=101", "page_size"), ("detailed=maybe", "detailed")])
def test_a_malformed_parameter_is_named_when_a_later_one_is_malformed_too(api, query, name):
    # FastAPI lists every issue; the mock may stop at the first, but never skips one.
    response = api.get(f"/topics?{query}&entity_type=nope")
    assert response.status_code == 422
    assert name in [problem["loc"][1] for problem in response.json()["detail"]]

# ---- bodies ---------------------------------------------------------------------

@pytest.mark.parametrize("value,where", [
    ("NaN", "x"), ("Infinity", "x"), ("-Infinity", "x"), ("1e999", "x"), ("[1, NaN]", "x.1"), ('{"y": [NaN]}', "x.y.0"),
])
def test_non_finite_numbers_are_400_naming_where_and_never_stored(api, value, where):
    raw = json.dumps(pg_body()).replace('"database.dbname": "mydb"', f'"database.dbname": "mydb", "x": {value}')
    response = api.post("/sources", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"] == f"Invalid number at body.config.{where}: NaN and infinities are not JSON"
    assert api.get("/sources").json()["total"] == 0


@pytest.mark.parametrize("content_type,content", [
    ("text/plain", json.dumps({"name": "t", "type": ["sources"]})),
    ("application/x-www-form-urlencoded", "name=t&type=sources"),
])
def test_a_body_that_is_not_json_is_422_saying_to_send_json_with_its_header(api, content_type, content):
    response = api.post("/tags", content=content, headers={"Content-Type": content_type})
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body"], "type": "model_attributes_type",
                                          "msg": f"The body was sent as '{content_type}': send JSON, "
                                                 "with the header 'Content-Type: application/json'"}]
    assert "t" not in [t["name"] for t in api.get("/tags").json()["tags"]]


@pytest.mark.parametrize("headers", [{"Content-Type": "application/json; charset=utf-8"},
                                     {"Content-Type": "application/merge-patch+json"}, {}])
def test_a_json_body_is_read_with_a_json_content_type_or_none(api, headers):
    response = api.post("/tags", content=json.dumps({"name": "t", "type": ["sources"]}), headers=headers)
    assert response.status_code == 200, response.text
    assert "t" in [t["name"] for t in api.get("/tags").json()["tags"]]


def test_an_empty_body_is_a_missing_body(api):
    response = api.post("/tags", content=b"", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body"]
    assert "t" not in [t["name"] for t in api.get("/tags").json()["tags"]]


# ---- the helpers, where no route reaches a branch ---------------------------------

def request(query: bytes) -> Request:
    return Request({"type": "http", "query_string": query, "headers": []})


def test_query_id_names_a_missing_id():
    # Routes answer a missing required id in check_params, before query_id runs.
    with pytest.raises(Unprocessable) as err:
        query_id(request(b""))
    assert err.value.detail == issue("id", "Field required", "missing")["detail"]
    assert query_id(request(b"id=" + b"a" * 24)) == "a" * 24


def test_respond_answers_with_the_status_given():
    response = respond(None, {"created": 1}, status=201)
    assert response.status_code == 201 and json.loads(response.body) == {"created": 1}


def test_query_page_bounds_the_page_size_by_itself():
    # Routes declare the same bound (routing.PAGE_SIZE) and check it first; a route that omits it stays bounded.
    with pytest.raises(Unprocessable) as err:
        query_page(request(b"page=2&page_size=101"))
    assert err.value.detail == issue("page_size", "Input should be less than or equal to 100", "less_than_equal")["detail"]
    assert query_page(request(b"page=2&page_size=100")) == Page(2, 100)
