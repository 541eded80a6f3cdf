"""The access log: the caller named on every authenticated answer, and health probes kept below INFO."""

from __future__ import annotations

import logging

import pytest

ACCESS = "streamkap_mock.access"


def _logged(caplog, method: str, path: str):
    [exchange] = [r.exchange for r in caplog.records
                  if r.name == ACCESS and r.exchange.method == method and r.exchange.path == path]
    return exchange


@pytest.mark.parametrize("as_,headers,status", [
    ("mock-readonly", {}, 403),  # lacks the write permission
    ("mock-client", {"X-Admin-Tenant-Id": "tenant-globex"}, 403),  # admin headers without the right
    ("mock-client", {"X-Tenant-Id": "tenant-globex"}, 403),  # a tenant header that is not the token's
    ("mock-client", {}, 200),
])
def test_an_authenticated_answer_is_logged_with_its_client(api, caplog, as_, headers, status):
    api.token(as_)  # log in first: that request has no caller yet
    caplog.set_level(logging.INFO, logger=ACCESS)
    response = api.post("/tags", as_=as_, headers=headers, json={"name": "t", "type": ["sources"]})
    assert response.status_code == status, response.text
    exchange = _logged(caplog, "POST", "/tags")
    assert (exchange.status, exchange.client_id) == (status, as_)


def test_a_request_without_a_valid_token_is_logged_without_a_client(api, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS)
    response = api.client.get("/tags", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert _logged(caplog, "GET", "/tags").client_id is None


def test_a_health_probe_is_logged_below_info_unless_it_fails(api, caplog):
    caplog.set_level(logging.DEBUG, logger=ACCESS)
    assert api.client.get("/__mock/health").status_code == 200
    assert api.client.get("/openapi.json").status_code == 200
    assert [(r.exchange.path, r.levelno) for r in caplog.records if r.name == ACCESS] == [
        ("/__mock/health", logging.DEBUG), ("/openapi.json", logging.INFO)]
