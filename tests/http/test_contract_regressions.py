"""Regressions for what the schemathesis run (tests/contract/test_fuzz.py) found."""

from __future__ import annotations


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
