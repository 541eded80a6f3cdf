"""streamkap-mock replay against live mocks: the mock's own cassette, edited copies of it, the provider's layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from mockserver.cli import main
from mockserver.control.testing import MockServer
from tests.parity.scenario import every_operation

PROVIDER_CASSETTE = Path(__file__).parent / "data" / "provider-tag-and-credential.yaml"
CREDENTIALS = {"STREAMKAP_CLIENT_ID": "mock-client", "STREAMKAP_SECRET": "mock-secret"}


@pytest.fixture(scope="module")
def exported() -> dict:
    """The cassette a mock exports after a scripted run of every operation."""
    with MockServer() as recorder:
        every_operation(recorder.base_url)
        return yaml.safe_load(recorder.cassette())


@pytest.fixture(scope="module")
def target():
    with MockServer() as mock:
        yield mock


def replay(target: MockServer, cassette: dict | Path, tmp_path: Path, *args: str) -> tuple[int, str, dict, str]:
    """Replay against a freshly reset target: (exit code, output, JSON report, Markdown report)."""
    target.reset()
    if isinstance(cassette, dict):
        path = tmp_path / "edited.yaml"
        path.write_text(yaml.safe_dump(cassette, sort_keys=False))
    else:
        path = cassette
    report, machine = tmp_path / "report.md", tmp_path / "report.json"
    result = CliRunner().invoke(main, ["replay", str(path), "--against", target.base_url, "--report", str(report),
                                       "--json", str(machine), *args], env=CREDENTIALS)
    return result.exit_code, result.output, json.loads(machine.read_text()), report.read_text()


def test_the_mocks_own_cassette_of_every_operation_replays_with_full_parity(exported, target, tmp_path):
    operations = json.loads((Path(__file__).parents[2] / "contracts" / "openapi.json").read_text())["paths"]
    called = {(i["request"]["method"], i["request"]["url"].split("?")[0]) for i in exported["interactions"]}
    assert len(called) >= sum(len(methods) for methods in operations.values())  # every operation, at least
    code, output, machine, markdown = replay(target, exported, tmp_path)
    assert code == 0, output
    assert "parity 100.0%" in output
    assert machine["parity"] == 1.0 and machine["interactions"] == len(exported["interactions"])
    assert machine["differences"] == [] and "No differences." in markdown


def _tag_read(cassette: dict) -> dict:
    """The first read of a tag by id (GET /tags?tag_ids=...), whose answer the edits change."""
    return next(i for i in cassette["interactions"]
                if i["request"]["method"] == "GET" and "/tags?tag_ids=" in i["request"]["url"])


def _edit_body(change):
    def edit(interaction: dict) -> None:
        body = json.loads(interaction["response"]["body"])
        change(body["tags"][0])
        interaction["response"]["body"] = json.dumps(body)
    return edit


EDITS = {
    "status": (lambda i: i["response"].update(code=404), "$", 404, 200),
    "missing": (_edit_body(lambda tag: tag.update(colour="blue")), "$.tags[0].colour", "blue", None),
    "extra": (_edit_body(lambda tag: tag.pop("custom")), "$.tags[0].custom", None, True),
    "value": (_edit_body(lambda tag: tag.update(description="other")), "$.tags[0].description", "other", "changed"),
    "type": (_edit_body(lambda tag: tag.update(system="false")), "$.tags[0].system", "false", False),
}


@pytest.mark.parametrize("kind", EDITS)
def test_an_edited_answer_is_reported_with_its_kind_and_path_and_fails_the_run(exported, target, tmp_path, kind):
    edit, field, recorded, replayed = EDITS[kind]
    cassette = json.loads(json.dumps(exported))
    interaction = _tag_read(cassette)
    edit(interaction)
    code, output, machine, markdown = replay(target, cassette, tmp_path)
    assert code == 1, output
    [difference] = machine["differences"]
    path = interaction["request"]["url"].split("://", 1)[1].split("/", 1)[1]
    assert difference == {"interaction": interaction["id"], "request": f"GET /{path}", "method": "GET",
                          "kind": kind, "field": field, "recorded": recorded, "replayed": replayed}
    assert machine["differences_by_kind"][kind] == 1
    assert f"| {kind} | `{field}` |" in markdown
    assert f"{kind}  {field}" in output
    total = len(cassette["interactions"])
    assert f"parity {(total - 1) / total:.1%}" in output


def test_max_differences_lets_a_known_drift_through(exported, target, tmp_path):
    cassette = json.loads(json.dumps(exported))
    EDITS["value"][0](_tag_read(cassette))
    code, output, machine, _ = replay(target, cassette, tmp_path, "--max-differences", "1")
    assert code == 0 and len(machine["differences"]) == 1, output


def test_a_cassette_in_the_providers_recorded_layout_replays(target, tmp_path):
    """go-vcr v4 as the provider's recorder writes it: Authorization deleted, secrets "[REDACTED]", other ids."""
    text = PROVIDER_CASSETTE.read_text()
    assert text.startswith("---\nversion: 2\n") and "Authorization" not in text and "[REDACTED]" in text
    code, output, machine, _ = replay(target, PROVIDER_CASSETTE, tmp_path)
    assert code == 0, output
    assert machine["parity"] == 1.0 and machine["interactions"] == 9


def test_the_login_answer_is_compared_by_shape_and_its_tokens_never_reach_a_report(target, tmp_path):
    cassette = yaml.safe_load(PROVIDER_CASSETTE.read_text())
    login = cassette["interactions"][0]
    answer = json.loads(login["response"]["body"])
    recorded_token = answer["accessToken"]
    del answer["refreshToken"]
    login["response"]["body"] = json.dumps(answer)
    code, output, machine, markdown = replay(target, cassette, tmp_path)
    assert code == 1
    assert machine["differences"] == [{"interaction": 0, "request": "POST /auth/access-token", "method": "POST",
                                       "kind": "extra", "field": "$.refreshToken", "recorded": None,
                                       "replayed": "********"}]
    for text in (output, markdown, json.dumps(machine)):
        assert recorded_token not in text and "mock-secret" not in text


def test_a_cassette_it_cannot_read_or_a_server_it_cannot_reach_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ninteractions: []\n")
    result = CliRunner().invoke(main, ["replay", str(bad), "--against", "http://127.0.0.1:9"], env=CREDENTIALS)
    assert result.exit_code == 2 and "format version 1, expected 2" in result.output
    result = CliRunner().invoke(main, ["replay", str(PROVIDER_CASSETTE), "--against", "http://127.0.0.1:9"],
                                env=CREDENTIALS)
    assert result.exit_code == 2 and "cannot reach http://127.0.0.1:9" in result.output


def test_an_id_assigned_under_another_success_status_still_maps_into_later_requests(target, tmp_path):
    cassette = yaml.safe_load(PROVIDER_CASSETTE.read_text())
    created = next(i for i in cassette["interactions"] if i["request"]["url"].endswith("/auth/client-credentials")
                   and i["request"]["method"] == "POST")
    created["response"]["code"] = 201
    code, output, machine, markdown = replay(target, cassette, tmp_path)
    assert code == 1
    # The delete that follows names the credential the target made: only the create's status differs.
    assert [(d["interaction"], d["kind"], d["recorded"], d["replayed"]) for d in machine["differences"]] == [
        (created["id"], "status", 201, 200)]
