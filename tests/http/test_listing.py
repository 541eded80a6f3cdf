"""Pagination, filters, search and brief listings."""

from __future__ import annotations

import pytest

from tests.conftest import PG_SOURCE_CONFIG


@pytest.fixture
def seven(api):
    ids = []
    for i in range(7):
        config = {**PG_SOURCE_CONFIG, "slot.name": f"slot_{i}"}
        name = f"{'alpha' if i % 2 else 'beta'}-{i}"
        response = api.post("/sources", json={"name": name, "connector": "postgresql", "config": config})
        assert response.status_code == 200
        ids.append(response.json()["id"])
    return ids


def names(body):
    return [e["name"] for e in body["result"]]


def test_default_page_is_the_first_ten_in_creation_order(api, seven):
    body = api.get("/sources").json()
    assert body["total"] == 7 and body["page"] == 1 and body["page_size"] == 10
    assert [e["id"] for e in body["result"]] == seven


def test_pages_split_the_results(api, seven):
    first = api.get("/sources?page=1&page_size=3").json()
    third = api.get("/sources?page=3&page_size=3").json()
    beyond = api.get("/sources?page=4&page_size=3").json()
    assert [e["id"] for e in first["result"]] == seven[:3]
    assert [e["id"] for e in third["result"]] == seven[6:]
    assert beyond["result"] == [] and beyond["total"] == 7


@pytest.mark.parametrize("query,loc", [
    ("page=0", "page"), ("page=-1", "page"), ("page=x", "page"),
    ("page_size=0", "page_size"), ("page_size=101", "page_size"), ("page_size=1.5", "page_size"),
])
def test_out_of_range_paging_is_422(api, query, loc):
    response = api.get(f"/sources?{query}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", loc]


def test_page_size_bounds_are_inclusive(api, seven):
    assert len(api.get("/sources?page_size=1").json()["result"]) == 1
    assert len(api.get("/sources?page_size=100").json()["result"]) == 7


def test_partial_name_filters_by_substring_and_total_counts_matches(api, seven):
    body = api.get("/sources?partial_name=alph&page_size=2").json()
    assert body["total"] == 3
    assert names(body) == ["alpha-1", "alpha-3"]


def test_search_takes_filters_in_the_body(api, seven):
    body = api.post("/sources/search", json={"ids": seven[:4], "partial_name": "beta"}).json()
    assert names(body) == ["beta-0", "beta-2"]
    assert api.post("/sources/search", json={"connector": "mysql"}).json()["total"] == 0
    assert api.post("/sources/search", json={"status": ["Active"]}).json()["total"] == 7
    assert api.post("/sources/search", json={"page_size": 101}).status_code == 422


def test_brief_lists_all_briefly(api, seven):
    result = api.get("/sources/brief").json()["result"]
    assert [e["id"] for e in result] == seven
    assert set(result[0]) == {"id", "name", "connector", "connector_status", "created_timestamp"}


def test_connector_and_status_query_filters(api, seven):
    api.ok("POST", f"/sources/{seven[0]}/actions/pause")
    assert api.get("/sources?status=Paused").json()["total"] == 1
    assert api.get("/sources?connector=postgresql").json()["total"] == 7
    assert api.get("/sources?connector=mysql").json()["total"] == 0
