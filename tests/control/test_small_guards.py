"""Small guards of issue 18: client values in text logs, client request ids, the control document's token."""

from __future__ import annotations

import logging

import pytest

from mockserver.http.access_log import TextFormatter

HOSTILE = "/sources\n2030-01-01T00:00:00.000Z INFO req=forged 1.2.3.4:5 admin DELETE /everything 200 0.1ms"


def access_lines(caplog) -> list[str]:
    formatter = TextFormatter()
    return [formatter.format(r) for r in caplog.records if r.name == "streamkap_mock.access"]


def test_a_path_cannot_forge_a_text_log_line(api, caplog):
    token = api.token()
    with caplog.at_level(logging.INFO, logger="streamkap_mock.access"):
        caplog.clear()
        api.client.get(HOSTILE.replace("\n", "%0A").replace(" ", "%20"), headers={"Authorization": f"Bearer {token}"})
    [line] = access_lines(caplog)
    assert "\n" not in line and line.count(" INFO ") == 1
    assert ' "/sources\\n2030-01-01T00:00:00.000Z INFO req=forged' in line and line.endswith("ms detail=\"Not Found\"")


def test_plain_values_stay_as_they_are_in_a_text_log_line(api, caplog):
    api.token()
    with caplog.at_level(logging.INFO, logger="streamkap_mock.access"):
        caplog.clear()
        api.get("/sources?page=1", headers={"X-Request-Id": "rq-1.a_b"})
    [line] = access_lines(caplog)
    assert " req=rq-1.a_b testclient:50000 mock-client GET /sources?page=1 200 " in line


@pytest.mark.parametrize("sent", ["rq 1", "a\"b", "x" * 129, "é".encode("latin-1"), "rq-1\tINFO", ""])
def test_a_request_id_that_is_not_plain_is_replaced_by_a_fresh_one(api, sent):
    answer = api.get("/sources", headers={"X-Request-Id": sent})
    assert answer.status_code == 200
    assert answer.headers["x-request-id"] != sent and answer.headers["x-request-id"].isalpha()
    assert api.client.get("/__mock/requests").json()["result"][-1]["request_id"] == answer.headers["x-request-id"]


def test_a_plain_request_id_of_128_characters_is_kept(api):
    sent = "A-z.0_9" * 18 + "ab"
    assert len(sent) == 128 and api.get("/sources", headers={"X-Request-Id": sent}).headers["x-request-id"] == sent


def test_the_control_document_wants_the_admin_token_when_there_is_one(make_api):
    api = make_api(admin_token="adm")
    assert api.client.get("/__mock/openapi.json").status_code == 401
    assert api.client.get("/__mock/openapi.json", headers={"Authorization": "Bearer nope"}).status_code == 401
    document = api.client.get("/__mock/openapi.json", headers={"Authorization": "Bearer adm"})
    assert document.status_code == 200 and "/__mock/health" in document.json()["paths"]
    assert api.client.get("/__mock/health").status_code == 200  # health alone stays open
