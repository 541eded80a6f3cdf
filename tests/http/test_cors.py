"""--cors lets a browser page on another origin call the API; without it, no CORS headers."""

from __future__ import annotations

PREFLIGHT = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization,content-type"}


def test_allowed_origin_gets_preflight_and_response_headers(make_api):
    api = make_api(cors=("http://localhost:3000",))
    preflight = api.client.options("/sources", headers=PREFLIGHT)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    listed = api.get("/sources", headers={"Origin": "http://localhost:3000"})
    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "x-request-id" in listed.headers["access-control-expose-headers"].lower()


def test_other_origins_and_the_default_get_no_cors_headers(make_api):
    api = make_api(cors=("http://localhost:3000",))
    assert "access-control-allow-origin" not in api.get("/sources", headers={"Origin": "http://evil.test"}).headers
    plain = make_api()
    assert "access-control-allow-origin" not in plain.get("/sources", headers={"Origin": "http://localhost:3000"}).headers
    assert plain.client.options("/sources", headers=PREFLIGHT).status_code == 405
