"""A malformed query parameter: 422 with FastAPI's list of issues, exactly."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from mockserver.domain.records import Page
from mockserver.errors import Unprocessable
from mockserver.http.common import query_page
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


def test_a_value_outside_the_choices_is_422_listing_them(api):
    response = api.get("/tags?tag_type=nope")
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["query", "tag_type"] and problem["type"] == "enum"
    assert problem["msg"].startswith("Input should be 'environment', 'general', 'sources', 'destinations'")


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


def test_query_page_bounds_the_page_size_by_itself():
    # Routes declare the same bound (routing.PAGE_SIZE) and check it first; a route that omits it stays bounded.
    request = Request({"type": "http", "query_string": b"page=2&page_size=101", "headers": []})
    with pytest.raises(Unprocessable) as err:
        query_page(request)
    assert err.value.detail == issue("page_size", "Input should be less than or equal to 100", "less_than_equal")["detail"]
    assert query_page(Request({"type": "http", "query_string": b"page=2&page_size=100", "headers": []})) \
        == Page(2, 100)
