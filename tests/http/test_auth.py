"""POST /auth/access-token and the bearer rules every other endpoint enforces."""

from __future__ import annotations

import re

import pytest


def login(api, client_id="mock-client", secret="mock-secret", path="/auth/access-token"):
    return api.client.post(path, json={"client_id": client_id, "secret": secret})


@pytest.mark.parametrize("path", ["/auth/access-token", "/api/auth/access-token"])
def test_fixture_credentials_get_a_token(api, path):
    response = login(api, path=path)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"accessToken", "expires", "expiresIn", "refreshToken"}
    assert body["expiresIn"] == 3600
    assert body["expires"].endswith("Z")
    sources = api.client.get("/sources", headers={"Authorization": f"Bearer {body['accessToken']}"})
    assert sources.status_code == 200


def test_second_tenant_credentials_work(api):
    assert login(api, "mock-client-2", "mock-secret-2").status_code == 200


@pytest.mark.parametrize("client_id,secret", [("mock-client", "wrong"), ("nobody", "mock-secret")])
def test_wrong_credentials_are_401(api, client_id, secret):
    response = login(api, client_id, secret)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid client_id or secret"}


def test_token_request_missing_field_is_422(api):
    response = api.client.post("/auth/access-token", json={"client_id": "mock-client"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "secret"]


@pytest.mark.parametrize("header,detail", [
    (None, "Not authenticated"),
    ("Basic abc", "Malformed Authorization header"),
    ("Bearer", "Malformed Authorization header"),
    ("Bearer not-a-token", "Invalid or revoked token"),
])
def test_missing_malformed_or_unknown_bearer_is_401(api, header, detail):
    headers = {"Authorization": header} if header else {}
    response = api.client.get("/sources", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"].startswith(detail)


@pytest.mark.parametrize("path", ["/sources?page=0", "/destinations?page_size=1000", "/tags?tag_type=nope"])
def test_no_token_is_401_before_a_bad_query_is_422(api, path):
    # As on the real API (FastAPI resolves the auth dependency first); these once answered 422.
    response = api.client.get(path)
    assert response.status_code == 401, response.text


def test_expired_token_is_401(make_api, clock):
    api = make_api(token_ttl=60)
    token = api.token()
    clock.advance(59)
    assert api.get("/sources").status_code == 200
    clock.advance(2)
    response = api.client.get("/sources", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Token expired"}


def test_read_only_credential_cannot_write(api):
    assert api.get("/sources", as_="mock-readonly").status_code == 200
    response = api.post("/sources", as_="mock-readonly", json={"name": "x", "connector": "postgresql", "config": {}})
    assert response.status_code == 403
    assert "write" in response.json()["detail"]


def test_tenant_header_must_match_token(api):
    ok = api.get("/sources", headers={"X-Tenant-Id": "tenant-acme"})
    assert ok.status_code == 200
    response = api.get("/sources", headers={"X-Tenant-Id": "tenant-globex"})
    assert response.status_code == 403
    assert "X-Tenant-Id" in response.json()["detail"]


def test_every_response_has_a_request_id(api):
    assert api.get("/sources").headers["x-request-id"]
    assert login(api, secret="wrong").headers["x-request-id"]
    assert api.client.get("/sources", headers={"X-Request-Id": "abc"}).headers["x-request-id"] == "abc"


def test_expired_tokens_are_forgotten_when_new_ones_are_issued(make_api, clock):
    api = make_api(token_ttl=10)
    for _ in range(5):
        login(api)
    clock.advance(11)
    login(api)
    assert len(api.backend.tokens._tokens) == 1


def test_generated_request_ids_hold_no_digits(api):
    # The 3.x provider retries when its error text (which carries the id) contains 429/502/503/504.
    ids = {api.get("/sources/" + "0" * 24 + "/nope").headers["x-request-id"] for _ in range(200)}
    assert len(ids) == 200
    assert not any(re.search(r"[0-9]", request_id) for request_id in ids), ids
