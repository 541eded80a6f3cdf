"""Bounded work per request with the control plane on: the body limit, user regexes, the journal's size."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
import yaml

from tests.conftest import PG_SOURCE_CONFIG

SOURCE = {"name": "bounded", "connector": "postgresql", "config": PG_SOURCE_CONFIG}


def asgi_call(app, method: str, path: str, headers: list[tuple[bytes, bytes]], chunks: list[bytes],
              http_version: str = "1.1"):
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

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": http_version, "method": method,
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


@pytest.mark.parametrize("http_version,framing", [("1.1", [(b"transfer-encoding", b"chunked")]), ("2", [])],
                         ids=["HTTP/1.1 chunked", "HTTP/2 (no framing header)"])
@pytest.mark.parametrize("with_fault", [False, True], ids=["no fault", "a fault rule is active"])
def test_a_chunked_body_is_cut_off_at_the_limit_as_it_streams(small_limit, with_fault, http_version, framing):
    if with_fault:  # the fault middleware reads the body too, to match body_contains
        small_limit.client.post("/__mock/faults", json={"match": {"path": "/tags"}, "respond": {"status": 503}})
    token = small_limit.token()
    chunks = [b"x" * 4_000] * 50  # 200 kB, no length announced
    status, body, pulled = asgi_call(small_limit.client.app, "POST", "/sources",
                                     [(b"authorization", f"Bearer {token}".encode()),
                                      (b"content-type", b"application/json"), *framing], chunks, http_version)
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



def big_source(index: int, size: int) -> dict:
    """A source create body of about ``size`` bytes, its password in it."""
    tables = ",".join(f"public.table_{index}_{n:06d}" for n in range(size // 22))
    return {"name": f"big-{index}", "connector": "postgresql",
            "config": {**PG_SOURCE_CONFIG, "table.include.list.user.defined": tables}}


def test_a_long_body_is_kept_as_a_masked_excerpt_marked_truncated(api):
    body = big_source(0, 250_000)
    sent = json.dumps(body).encode()
    api.client.post("/sources", content=sent, headers={"Content-Type": "application/json"})  # no token: 401
    entry = api.client.get("/__mock/requests").json()["result"][-1]
    assert entry["request_body_truncated"] is True and entry["request_body_size"] == len(sent)
    excerpt = entry["request_body"]
    assert isinstance(excerpt, str) and 60_000 < len(excerpt) <= 64 * 1024
    assert "secret123" not in excerpt and '"database.password":"********"' in excerpt
    assert excerpt.startswith('{"name":"big-0"')
    assert entry["response_body_truncated"] is False and entry["response_body"]["detail"]
    cassette = yaml.safe_load(api.client.get("/__mock/requests", params={"format": "cassette"}).text)
    assert cassette["interactions"][-1]["request"]["body"] == excerpt


def test_the_journal_drops_its_oldest_entries_past_its_byte_cap(make_api):
    api = make_api(journal_bytes=1_000_000)
    for index in range(40):  # 40 excerpts of 64 KiB: 2.6 MB, more than the cap
        api.client.post("/sources", json=big_source(index, 100_000))
    entries = api.client.get("/__mock/requests").json()["result"]
    assert 10 <= len(entries) < 16  # 1,000,000 bytes hold 15 entries of a 64 KiB excerpt
    assert [e["request_body"][:15] for e in entries][-1] == '{"name":"big-39'
    assert [e["seq"] for e in entries] == list(range(41 - len(entries), 41))
    api.client.delete("/__mock/requests")
    for index in range(3):
        api.client.post("/sources", json=big_source(index, 100_000))
    assert api.client.get("/__mock/requests").json()["total"] == 3  # clearing gave all the bytes back


def test_a_cassette_of_many_entries_is_one_document_in_order(api):
    for index in range(30):
        api.get(f"/tags?page={index + 1}")
    api.get("/tags")
    text = api.client.get("/__mock/requests", params={"format": "cassette"}).text
    cassette = yaml.safe_load(text)
    assert cassette["version"] == 2
    assert [i["id"] for i in cassette["interactions"]] == list(range(32))  # the login first
    assert cassette["interactions"][5]["request"]["url"] == "http://testserver/tags?page=5"
    api.client.delete("/__mock/requests")
    assert yaml.safe_load(api.client.get("/__mock/requests", params={"format": "cassette"}).text) == {
        "version": 2, "interactions": []}


def test_the_journal_byte_cap_comes_from_a_flag_or_its_variable(monkeypatch):
    import uvicorn
    from click.testing import CliRunner

    from mockserver.cli import main

    apps = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, sockets=None: apps.append(server.config.app))
    serve = ["serve", "--port", "0", "--db", ":memory:"]
    assert CliRunner().invoke(main, [*serve, "--journal-bytes", "5000000"]).exit_code == 0
    assert CliRunner().invoke(main, serve, env={"STREAMKAP_MOCK_JOURNAL_BYTES": "7000000"}).exit_code == 0
    assert CliRunner().invoke(main, serve).exit_code == 0
    assert [app.state.control.journal.max_bytes for app in apps] == [5_000_000, 7_000_000, 64 << 20]
    assert CliRunner().invoke(main, [*serve, "--journal-bytes", "0"]).exit_code != 0


def held_request(api, path: str = "/tags"):
    """A request held by a 300 s delay fault, sent on a thread: (its rule id, the thread, its answers)."""
    rule = api.client.post("/__mock/faults", json={"match": {"path": path}, "respond": {"delay": 300}}).json()
    answers: list = []
    thread = threading.Thread(target=lambda: answers.append(api.get(path)), daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while api.client.get("/__mock/faults").json()["result"][0]["hits"] == 0:  # until the fault holds it
        assert time.monotonic() < deadline, "the request never reached the fault"
        time.sleep(0.01)
    return rule["id"], thread, answers


@pytest.mark.parametrize("removal", ["DELETE /__mock/faults/{id}", "DELETE /__mock/faults", "POST /__mock/reset"])
def test_a_request_held_by_a_delay_goes_on_when_its_rule_is_removed(api, removal):
    api.token()
    rule_id, thread, answers = held_request(api)
    method, path = removal.split()
    assert api.client.request(method, path.format(id=rule_id)).status_code == 200
    thread.join(timeout=60)  # far inside the 300 s delay
    assert not thread.is_alive() and answers[0].status_code == 200  # the rule gone, the API answered
    last = api.client.get("/__mock/requests", params={"path": "/tags"}).json()["result"]
    assert removal == "POST /__mock/reset" or last[-1]["fault"] is None  # a reset also empties the journal


@pytest.mark.parametrize("name", ["Content-Length", "transfer-encoding", "Connection", "Keep-Alive", "Upgrade", "TE",
                                  "Trailer", "Proxy-Authenticate", "proxy-connection"])
def test_a_fault_cannot_set_a_framing_or_hop_by_hop_header(api, name):
    response = api.client.post("/__mock/faults", json={"respond": {"status": 503, "headers": {name: "5"}}})
    assert response.status_code == 422
    assert name in json.dumps(response.json()["detail"]) and "headers" in json.dumps(response.json()["detail"])
    assert api.client.get("/__mock/faults").json()["total"] == 0
    assert api.client.post("/__mock/faults", json={"respond": {"status": 503, "headers": {"Retry-After": "5"}}}
                           ).status_code == 201
