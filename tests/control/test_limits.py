"""Bounded work per request with the control plane on: the body limit, user regexes, the journal's size."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.conftest import PG_SOURCE_CONFIG

SOURCE = {"name": "bounded", "connector": "postgresql", "config": PG_SOURCE_CONFIG}


def asgi_call(app, method: str, path: str, headers: list[tuple[bytes, bytes]], chunks: list[bytes]):
    """Run one request through the app: (status, body, chunks the app pulled from the client)."""
    pulled = 0
    sent: list[dict] = []

    async def receive():
        nonlocal pulled
        if pulled == len(chunks):
            raise AssertionError("the app read past the end of the body the client sent")
        pulled += 1
        return {"type": "http.request", "body": chunks[pulled - 1], "more_body": pulled < len(chunks)}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), *headers], "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, pulled


@pytest.fixture
def small_limit(make_api):
    return make_api(max_body=10_000)


def test_a_content_length_over_the_limit_gets_413_before_any_byte_is_read(small_limit):
    # The client announces 50 MB and has sent none of it yet: nothing may wait for the upload.
    status, body, pulled = asgi_call(small_limit.client.app, "POST", "/sources",
                                     [(b"content-length", b"52428800"), (b"content-type", b"application/json")], [])
    assert (status, pulled) == (413, 0)
    assert "10000 bytes" in json.loads(body)["detail"]


@pytest.mark.parametrize("with_fault", [False, True], ids=["no fault", "a fault rule is active"])
def test_a_chunked_body_is_cut_off_at_the_limit_as_it_streams(small_limit, with_fault):
    if with_fault:  # the fault middleware reads the body too, to match body_contains
        small_limit.client.post("/__mock/faults", json={"match": {"path": "/tags"}, "respond": {"status": 503}})
    token = small_limit.token()
    chunks = [b"x" * 4_000] * 50  # 200 kB, no length announced
    status, body, pulled = asgi_call(small_limit.client.app, "POST", "/sources",
                                     [(b"authorization", f"Bearer {token}".encode()),
                                      (b"content-type", b"application/json")], chunks)
    assert status == 413 and "10000 bytes" in json.loads(body)["detail"]
    assert pulled <= 4  # 12,000 bytes: just past the limit, never the rest of the upload
    journal = small_limit.client.get("/__mock/requests", params={"path": "/sources"}).json()["result"]
    assert [entry["status"] for entry in journal] == [413]


@pytest.mark.parametrize("pattern", [r"(a)\1", r"/sources(?=/)", r"(?<!x)/tags"],
                         ids=["backreference", "lookahead", "lookbehind"])
def test_a_pattern_re2_cannot_run_is_a_400_naming_the_field(api, pattern):
    fault = api.client.post("/__mock/faults", json={"match": {"path_regex": pattern}, "respond": {"status": 503}})
    assert fault.status_code == 400 and fault.json()["detail"].startswith("match.path_regex ")
    assert "RE2" in fault.json()["detail"]
    listed = api.client.get("/__mock/requests", params={"path_regex": pattern})
    assert listed.status_code == 400 and listed.json()["detail"].startswith("path_regex ")
    assert api.client.get("/__mock/faults").json()["total"] == 0


def test_a_pattern_too_large_to_search_quickly_is_a_400(api):
    fault = api.client.post("/__mock/faults", json={"match": {"path_regex": "[a-z]{1000}"}, "respond": {"status": 503}})
    assert fault.status_code == 400 and "too complex" in fault.json()["detail"]

