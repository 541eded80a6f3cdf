"""Normalising and diffing two answers, reading cassettes and rendering reports: no server involved."""

from __future__ import annotations

import json

import httpx
import pytest

from mockserver.parity import report
from mockserver.parity.cassette import CassetteError, parse
from mockserver.parity.compare import Comparison, Finding, IdMap
from mockserver.parity.replay import Credentials, Replay, ReplayError

SOURCE = "65f0c1a2b3c4d5e6f7a8b9c0"
MOCK_SOURCE = "6b15485b3bd7492bd1be3957"


def diff(recorded, replayed, ids: IdMap | None = None, **options) -> list[tuple[str, str]]:
    return [(f.kind, f.field) for f in Comparison(IdMap() if ids is None else ids, **options)(recorded, replayed)]


def test_each_kind_of_difference_is_named_with_its_field():
    recorded = {"name": "pg", "gone": 1, "port": 5432, "tags": ["a"], "config": {"database.port": 5432}}
    replayed = {"name": "pg2", "port": "5432", "tags": ["a"], "config": {"database.port": 5432, "database.new": True}}
    assert sorted(diff(recorded, replayed)) == [
        ("extra", "$.config['database.new']"), ("missing", "$.gone"), ("type", "$.port"), ("value", "$.name")]


def test_a_flag_that_became_a_number_is_a_type_difference_though_python_calls_them_equal():
    assert diff({"a": {"on": True}, "n": [1]}, {"a": {"on": 1}, "n": [True]}) == [("type", "$.a.on"), ("type", "$.n")]


def test_assigned_ids_are_learned_and_a_wrong_reference_still_shows():
    ids = IdMap()
    assert diff({"id": SOURCE}, {"id": MOCK_SOURCE}, ids) == []
    assert ids.get(SOURCE) == MOCK_SOURCE
    # A later answer naming the recorded id must name the target's own; another id is a difference.
    assert diff({"source": {"id": SOURCE}}, {"source": {"id": MOCK_SOURCE}}, ids) == []
    assert diff({"source": {"id": SOURCE}}, {"source": {"id": "6b15485b3bd7492bd1be0000"}}, ids) == [
        ("value", "$.source.id")]


def test_ids_are_replaced_as_whole_tokens_in_paths_and_texts():
    ids = IdMap()
    ids.learn(SOURCE, MOCK_SOURCE)
    assert ids.apply(f"/topics/source_{SOURCE}.public.orders?entity_id={SOURCE}") == (
        f"/topics/source_{MOCK_SOURCE}.public.orders?entity_id={MOCK_SOURCE}")
    assert ids.apply(f"x{SOURCE}") == f"x{SOURCE}"  # inside a longer word: not an id


def test_timestamps_tokens_request_ids_and_measurements_are_normalised():
    recorded = {"created_timestamp": "2025-03-12T09:14:27.512Z", "expires": 1741770866, "accessToken": "a",
                "request_id": "r1", "messages_7d": 10, "lag": 3}
    replayed = {"created_timestamp": "2026-12-06T11:35:39.972000+00:00", "expires": 1796556939,
                "accessToken": "b", "request_id": "r2", "messages_7d": 99, "lag": 0}
    assert diff(recorded, replayed) == []
    assert diff({"created_timestamp": "2025-03-12T09:14:27Z"}, {"created_timestamp": 1741770866}) == [
        ("type", "$.created_timestamp")]


def test_set_like_lists_ignore_order_and_entities_pair_by_id_then_name():
    assert diff({"type": ["sources", "pipelines"]}, {"type": ["pipelines", "sources"]}) == []
    assert diff({"type": ["sources"]}, {"type": ["pipelines"]}) == [("value", "$.type")]
    recorded = {"result": [{"id": "a" * 24, "name": "one"}, {"id": "b" * 24, "name": "two", "x": 1}]}
    replayed = {"result": [{"id": "d" * 24, "name": "two", "x": 2}, {"id": "c" * 24, "name": "one"}]}
    assert diff(recorded, replayed) == [("value", "$.result[1].x")]
    assert diff({"result": [{"name": "one"}]}, {"result": [{"name": "one"}, {"name": "two"}]}) == [
        ("extra", "$.result[1]")]


def test_redacted_values_and_ignored_fields_are_not_compared():
    recorded = {"config": {"database.password": "[REDACTED]", "snowflake.private.key": "********"},
                "connector_status": "Active", "tasks": [{"status": "RUNNING"}]}
    replayed = {"config": {"database.password": "hunter2", "snowflake.private.key": "k"},
                "connector_status": "Starting", "tasks": [{"status": "PENDING"}]}
    assert diff(recorded, replayed, ignore=("connector_status", "$.tasks[*].status")) == []


def test_cassettes_of_another_format_or_without_answers_are_refused_with_where():
    with pytest.raises(CassetteError, match="format version 1"):
        parse({"version": 1, "interactions": []})
    with pytest.raises(CassetteError, match="interaction 0: missing or malformed 'response'"):
        parse({"version": 2, "interactions": [{"id": 0, "request": {"url": "http://x/tags", "method": "GET"}}]})


def cassette(*interactions) -> dict:
    return {"version": 2, "interactions": [
        {"id": n, "request": {"method": method, "url": f"https://api.streamkap.com{url}", "body": body,
                              "headers": {"Content-Type": ["application/json"]}},
         "response": {"code": status, "body": answer, "headers": {"Content-Type": ["application/json"]}}}
        for n, (method, url, body, status, answer) in enumerate(interactions)]}


def test_replay_logs_in_itself_and_carries_tokens_and_ids_into_later_requests():
    """The provider's recorder deletes Authorization: the replay adds its own token to every request."""
    seen: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/auth/access-token":
            return httpx.Response(200, json={"accessToken": "live-token", "refreshToken": "r", "expiresIn": 60})
        if request.method == "POST":
            return httpx.Response(200, json={"id": MOCK_SOURCE, "name": "pg"})
        return httpx.Response(200, json={"total": 1, "result": [{"id": MOCK_SOURCE, "name": "pg"}]})

    interactions = parse(cassette(
        ("POST", "/auth/access-token", '{"client_id":"ci","secret":"[REDACTED]"}', 200,
         '{"accessToken":"recorded-token","refreshToken":"r0","expiresIn":3600}'),
        ("POST", "/sources?wait=false", '{"name":"pg"}', 200, json.dumps({"id": SOURCE, "name": "pg"})),
        ("GET", f"/sources/{SOURCE}?secret_returned=true", "", 200,
         json.dumps({"total": 1, "result": [{"id": SOURCE, "name": "pg"}]}))))
    session = Replay("http://target", Credentials("mock-client", "mock-secret"),
                     client=httpx.Client(transport=httpx.MockTransport(server)))
    result = session.run(interactions)
    assert result.parity == 1.0 and not result.differences
    assert json.loads(seen[0].content) == {"client_id": "mock-client", "secret": "mock-secret"}
    assert "authorization" not in seen[0].headers
    assert [r.headers["authorization"] for r in seen[1:]] == ["Bearer live-token"] * 2
    assert str(seen[2].url) == f"http://target/sources/{MOCK_SOURCE}?secret_returned=true"


def test_a_status_difference_is_reported_alone_and_an_unanswered_request_too():
    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/tags":
            return httpx.Response(404, json={"detail": "nope"})
        raise httpx.ReadTimeout("slow", request=request)

    interactions = parse(cassette(("GET", "/tags", "", 200, '{"tags":[]}'), ("GET", "/roles", "", 200, "[]")))
    result = Replay("http://target", client=httpx.Client(transport=httpx.MockTransport(server))).run(interactions)
    assert [(o.interaction.label, [(f.kind, f.recorded, f.replayed) for f in o.findings]) for o in result.outcomes] == [
        ("GET /tags", [("status", 200, 404)]), ("GET /roles", [("status", 200, "no answer (ReadTimeout)")])]
    assert result.parity == 0.0


def test_reports_never_show_secrets_or_tokens():
    interactions = parse(cassette(("POST", "/auth/client-credentials?api_key=k1", "{}", 200,
                                   '{"client_id":"c","description":"d"}')))
    leaked = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"

    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"client_id": "c", "description": f"made with {leaked}",
                                         "secret": "s3cr3t-value", "extra": {"password": "pw-value"},
                                         "note": "token mock-secret inside"})

    replay = Replay("http://target", client=httpx.Client(transport=httpx.MockTransport(server)))
    result = replay.run(interactions)
    result.secrets.add("mock-secret")
    kinds = sorted((d["kind"], d["field"]) for d in report.differences(result))
    assert kinds == [("extra", "$.extra"), ("extra", "$.note"), ("extra", "$.secret"), ("value", "$.description")]
    for text in (report.markdown(result), json.dumps(report.as_json(result)), report.summary(result)):
        for secret in (leaked, "s3cr3t-value", "pw-value", "mock-secret", "k1"):
            assert secret not in text
        assert "$.secret" in text and "api_key=********" in text


def test_the_markdown_report_has_the_score_and_one_row_per_difference():
    result_text = report.markdown(_result_with([Finding("value", "$.name", "a", "b|c")]))
    assert "- Parity: **0.0%** (0 of 1 interactions identical after normalisation)" in result_text
    assert "| 0 | `GET /tags` | value | `$.name` | `\"a\"` | `\"b\\|c\"` |" in result_text


def _result_with(findings):
    from mockserver.parity.replay import Outcome, Result

    [interaction] = parse(cassette(("GET", "/tags", "", 200, "{}")))
    return Result(cassette="c.yaml", target="http://t", outcomes=[Outcome(interaction, 200, tuple(findings))])


def test_a_cassette_without_a_login_is_preceded_by_one_which_must_succeed():
    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/access-token":
            ok = json.loads(request.content)["secret"] == "right"
            return httpx.Response(200 if ok else 401, json={"accessToken": "t"} if ok else {"detail": "no"})
        authorized = request.headers.get("authorization") == "Bearer t"
        return httpx.Response(200 if authorized else 401, json={"tags": []})

    interactions = parse(cassette(("GET", "/tags", "", 200, '{"tags":[]}')))
    client = httpx.Client(transport=httpx.MockTransport(server))
    assert Replay("http://target", Credentials("c", "right"), client=client).run(interactions).parity == 1.0
    with pytest.raises(ReplayError, match="logging in at http://target/auth/access-token as c failed: 401"):
        Replay("http://target", Credentials("c", "wrong"), client=client).run(interactions)


def test_an_answer_recorded_as_an_excerpt_is_held_to_its_status_only():
    """The mock's journal keeps long bodies as excerpts; its cassette says so with the full content length."""
    def server(request: httpx.Request) -> httpx.Response:
        status = 200 if request.url.path == "/tags" else 404
        return httpx.Response(status, json={"tags": [{"id": "t", "name": "a" * 100}]})

    document = cassette(("GET", "/tags", "", 200, '{"tags":[{"id":"t","na'),
                        ("GET", "/other", "", 200, '{"tags":[{"id":"t","na'),
                        ("GET", "/tags", "", 200, '{"tags":[{"id":"t","na'))
    for item in document["interactions"][:2]:
        item["response"]["content_length"] = 5000
    interactions = parse(document)
    assert [i.response_excerpt for i in interactions] == [True, True, False]
    result = Replay("http://target", client=httpx.Client(transport=httpx.MockTransport(server))).run(interactions)
    assert [[f.kind for f in o.findings] for o in result.outcomes] == [[], ["status"], ["type"]]
