"""Regressions for what the schemathesis run (tests/contract/test_fuzz.py) found."""

from __future__ import annotations

from tests.conftest import PG_SOURCE_CONFIG


def test_405_allow_names_every_method_of_the_path(api):
    # Found by allow_header_conformance: Starlette named only the first route's methods.
    response = api.request("OPTIONS", "/sources")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, POST"
    assert response.json() == {"detail": "Method Not Allowed"}
    assert api.request("OPTIONS", "/sources/6650a1f0c0ffee0000000001").headers["allow"] == "DELETE, GET, HEAD, PUT"


def test_405_allow_of_a_literal_path_ignores_the_parameter_route_beside_it(api):
    # /sources/brief also matches /sources/{id}; its Allow must not list PUT and DELETE.
    assert api.request("OPTIONS", "/sources/brief").headers["allow"] == "GET, HEAD"
    assert api.request("OPTIONS", "/destinations/search").headers["allow"] == "POST"


def test_search_accepts_an_integral_float_page_size(api):
    # Found by positive_data_acceptance: JSON Schema counts 60.0 as an integer, strict pydantic did not.
    response = api.post("/sources/search", json={"page": 2.0, "page_size": 60.0})
    assert response.status_code == 200, response.text
    assert (response.json()["page"], response.json()["page_size"]) == (2, 60)


def test_search_still_rejects_a_fractional_or_string_page_size(api):
    for bad in (60.5, "60"):
        response = api.post("/sources/search", json={"page_size": bad})
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"] == ["body", "page_size"]


def test_a_deleted_source_reads_as_an_empty_envelope_as_the_document_declares(api):
    # Found by use_after_free in a long run: the read answers 200, not 404, by design
    # (the provider drops an entity from state on an empty result). The document
    # marks such reads x-missing-reads-empty; contract.deleted_reads_empty checks them.
    created = api.post("/sources", json={"name": "pg", "connector": "postgresql", "config": PG_SOURCE_CONFIG})
    assert created.status_code == 200, created.text
    source_id = created.json()["id"]
    assert api.delete(f"/sources/{source_id}").status_code == 200

    response = api.get(f"/sources/{source_id}")
    assert response.status_code == 200
    assert response.json() == {"total": 0, "page_size": 10, "page": 1, "result": []}
    spec = api.client.get("/openapi.json").json()["paths"]["/sources/{id}"]["get"]
    assert spec["x-missing-reads-empty"] is True
