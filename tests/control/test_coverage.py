"""GET /__mock/coverage, `streamkap-mock coverage` and the pytest plugin's summary."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import reduce
from pathlib import Path

from click.testing import CliRunner

from mockserver.cli import main
from mockserver.control.coverage import merge
from mockserver.control.testing import MockServer
from tests.conftest import PG_SOURCE_CONFIG, make_source
from tests.provider.configs import v3_config

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[2]
CONTRACT = json.loads((ROOT / "contracts" / "openapi.json").read_text())
OPERATIONS = {spec["operationId"]: (method.upper(), path)
              for path, methods in CONTRACT["paths"].items() for method, spec in methods.items()}


def operation_of(method: str, path: str) -> str | None:
    """The contract operation a request calls, found from contracts/openapi.json alone (literal paths first)."""
    candidates = [(template.count("{"), op_id) for op_id, (verb, template) in OPERATIONS.items()
                  if verb == method and re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), path)]
    return min(candidates)[1] if candidates else None


def test_calls_statuses_and_connector_types_of_the_journal(api):
    source = make_source(api)
    assert api.post("/sources", json={"name": "bad", "connector": "postgresql", "config": {}}).status_code == 400
    api.ok("PUT", f"/sources/{source['id']}", json={"name": "pg2", "connector": "postgresql",
                                                    "config": {**source["config"], **PG_SOURCE_CONFIG}})
    api.get("/sources/brief")
    api.ok("DELETE", f"/sources/{source['id']}")  # the type comes from the create's answer
    transform = api.ok("POST", "/transforms", json={"transform": "map_filter", "config": {
        **v3_config("transforms", "map_filter"), "transforms.name": "t"}})
    api.ok("DELETE", f"/transforms?id={transform['id']}")
    assert api.get("/no-such-thing").status_code == 404
    cov = api.client.get("/__mock/coverage").json()

    calls = {op["operation_id"]: (op["calls"], op["statuses"]) for op in cov["operations"] if op["calls"]}
    assert calls == {"get_access_token": (1, {"200": 1}), "create_source": (2, {"200": 1, "400": 1}),
                     "update_source": (1, {"200": 1}), "brief_sources": (1, {"200": 1}),
                     "delete_source": (1, {"200": 1}), "create_transform": (1, {"200": 1}),
                     "delete_transform_by_query": (1, {"200": 1})}
    assert cov["connectors"] == [
        {"entity_type": "sources", "connector": "postgresql", "creates": 1, "updates": 1, "deletes": 1},
        {"entity_type": "transforms", "connector": "map_filter", "creates": 1, "updates": 0, "deletes": 1}]
    assert (cov["requests"], cov["unmatched"], cov["operations_total"], cov["operations_called"]) == (
        9, 1, len(OPERATIONS), 7)
    assert set(cov["never_called"]) == set(OPERATIONS) - set(calls)
    order = [op["operation_id"] for op in cov["operations"]]
    assert order[:len(cov["never_called"])] == cov["never_called"]  # never-called first


def test_the_command_prints_a_table_never_called_first(tmp_path):
    with MockServer(admin_token="adm") as mock:
        mock.client.get("/tags")
        result = CliRunner().invoke(main, ["coverage", mock.base_url, "--admin-token", "adm"])
        refused = CliRunner().invoke(main, ["coverage", mock.base_url])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["CALLS", "METHOD", "PATH", "OPERATION", "STATUSES"]
    rows = [line.split() for line in lines[1:len(OPERATIONS) + 1]]
    assert [row[0] for row in rows] == ["0"] * (len(OPERATIONS) - 2) + ["1", "1"]
    assert rows[-2:] == [["1", "POST", "/auth/access-token", "get_access_token", "200x1"],
                         ["1", "GET", "/tags", "list_tags", "200x1"]]
    assert lines[-1] == f"2 of {len(OPERATIONS)} operations called, {len(OPERATIONS) - 2} never; 2 requests, " \
                        "0 matched no operation"
    assert refused.exit_code == 1 and "answered 401" in refused.output


def test_coverage_after_the_provider_tests_names_every_operation_they_call_and_no_other(pytester, monkeypatch):
    """The provider replay tests (tests/provider), one mock per module: each mock's coverage before it stops."""
    coverages, expected, stop = [], Counter(), MockServer.stop

    def stop_after_reading(server: MockServer) -> None:
        if server._server is not None:
            coverages.append(server.coverage())
            expected.update(operation_of(e["method"], e["path"]) for e in server.requests())
        stop(server)

    monkeypatch.setattr(MockServer, "stop", stop_after_reading)
    result = pytester.inline_run(str(ROOT / "tests" / "provider"), "-p", "no:cacheprovider", "-q")
    passed, skipped, failed = result.listoutcomes()
    assert passed and not failed
    cov = reduce(merge, coverages)
    unmatched = expected.pop(None, 0)
    assert {op["operation_id"]: op["calls"] for op in cov["operations"] if op["calls"]} == dict(expected)
    assert set(cov["never_called"]) == set(OPERATIONS) - set(expected)
    assert cov["unmatched"] == unmatched and cov["requests"] == sum(expected.values()) + unmatched
    assert {"create_source", "delete_destination", "create_transform"} <= set(expected)
    assert {c["entity_type"] for c in cov["connectors"]} == {"sources", "destinations", "transforms"}


def test_the_plugin_summarises_the_sessions_coverage_when_asked(pytester):
    pytester.makepyfile(test_user="""
        def test_one(streamkap_mock):
            assert streamkap_mock.client.get("/tags").status_code == 200

        def test_two(streamkap_mock):
            assert streamkap_mock.client.get("/sources/" + "0" * 24).status_code == 200
            assert streamkap_mock.client.delete("/tags/" + "0" * 24).status_code == 404
    """)
    asked = pytester.runpytest("-p", "no:cacheprovider", "--streamkap-mock-coverage")
    asked.assert_outcomes(passed=2)
    text = asked.stdout.str()
    summary = text[text.index("streamkap-mock coverage:"):].splitlines()
    # Both tests' calls, though the fixture's reset empties the journal between them; one login per test client.
    assert summary[0] == (f"streamkap-mock coverage: 4 of {len(OPERATIONS)} operations called, "
                          f"{len(OPERATIONS) - 4} never; 4 requests, 0 matched no operation")
    assert summary[1] == f"  never called ({len(OPERATIONS) - 4}):"
    assert "DELETE /tags/{id} 404x1" in text and "GET /tags, " not in text
    assert len(summary) <= 20
    plain = pytester.runpytest("-p", "no:cacheprovider")
    assert "streamkap-mock coverage" not in plain.stdout.str()
