"""What `streamkap-mock serve` says when its db or key file is unusable: one clear line, no traceback, no lost data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from mockserver.app import create_app
from mockserver.cli import main
from mockserver.settings import Settings
from tests.conftest import PG_SOURCE_CONFIG


@pytest.fixture(autouse=True)
def no_listening(monkeypatch):
    """`serve` builds the app, then would listen: record that it got that far instead."""
    import uvicorn
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, sockets=None: print("LISTENING"))


def serve(db, *extra):
    """Start-up that must stop with one ``Error: ...`` line (click's exit 1), not an exception."""
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--db", str(db), *extra])
    assert "LISTENING" not in result.output, "served with an unusable db or key"
    # CliRunner catches an escaping exception into result.exception (its traceback never reaches
    # result.output); a handled error is click's SystemExit(1) after printing the message.
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, repr(result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return result


def db_with_a_secret(tmp_path):
    """A db file written by the mock, holding one sealed connector password, and its key file."""
    db = tmp_path / "db.json"
    app = create_app(Settings(db=str(db)))
    backend = app.state.backend
    who = backend.directory.fixture_credentials()[0]
    from starlette.testclient import TestClient
    with TestClient(app) as client:
        token = client.post("/auth/access-token", json={"client_id": who.client_id, "secret": who.secret}).json()["accessToken"]
        created = client.post("/sources", headers={"Authorization": f"Bearer {token}"},
                              json={"name": "pg", "connector": "postgresql", "config": PG_SOURCE_CONFIG})
        assert created.status_code == 200, created.text
    return db


@pytest.mark.parametrize("content", ['{"sources": {"1": {"id": "a"', "[1, 2]", "\xff\xfe garbage"])
def test_an_unreadable_db_file_is_named_in_one_line(tmp_path, content):
    db = tmp_path / "db.json"
    db.write_bytes(content.encode("latin-1"))
    result = serve(db)
    assert str(db) in result.output, result.output
    assert db.read_bytes() == content.encode("latin-1")  # left as it was, for the user to inspect


def test_a_lost_key_file_stops_start_up_instead_of_failing_every_read(tmp_path):
    db = db_with_a_secret(tmp_path)
    key_file = tmp_path / "db.json.key"
    key_file.unlink()
    result = serve(db)
    assert str(key_file) in result.output and "--secret-key" in result.output, result.output
    assert not key_file.exists()  # no new key that would hide the lost one


def test_a_wrong_secret_key_stops_start_up(tmp_path):
    db = db_with_a_secret(tmp_path)
    result = serve(db, "--secret-key", Fernet.generate_key().decode())
    assert "key" in result.output and str(db) in result.output, result.output


def test_a_malformed_key_is_a_clear_message(tmp_path):
    db = db_with_a_secret(tmp_path)
    (tmp_path / "db.json.key").write_text("not-a-key\n")
    result = serve(db)
    assert "db.json.key" in result.output and "Fernet" in result.output, result.output


def test_a_db_without_secrets_may_get_a_new_key(tmp_path):
    db = tmp_path / "db.json"
    db.write_text(json.dumps({"tags": {}}))
    create_app(Settings(db=str(db)))
    assert (tmp_path / "db.json.key").exists()


def test_a_usable_db_gets_as_far_as_listening(tmp_path):
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--db", str(tmp_path / "db.json")])
    assert result.exit_code == 0 and "LISTENING" in result.output, result.output


def fixtures_copy(tmp_path):
    import shutil

    from mockserver.settings import DEFAULT_FIXTURES
    return Path(shutil.copytree(DEFAULT_FIXTURES, tmp_path / "fixtures"))


@pytest.mark.parametrize(("name", "content", "said"), [
    ("tenants.json", '{"roles": [', "JSONDecodeError"),
    ("tenants.json", '{"roles": []}', "missing key 'tenants'"),
    ("tags.json", '{"tags": [{"id": "t1"}]}', "missing key 'name'"),
])
def test_a_malformed_fixture_file_is_named_in_one_line(tmp_path, name, content, said):
    fixtures = fixtures_copy(tmp_path)
    (fixtures / name).write_text(content)
    result = serve(":memory:", "--fixtures", str(fixtures))
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"Error: {fixtures / name} is not a usable fixture file (") and said in line, line


def test_a_db_path_the_process_cannot_create_is_named(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    result = serve(blocker / "db.json")
    assert result.exit_code == 1
    assert str(blocker) in result.output and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_port_in_use_is_one_line_naming_it_and_the_way_out(tmp_path):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port), "--db", str(tmp_path / "db.json")])
    assert result.exit_code == 1
    assert list(tmp_path.iterdir()) == []  # no db or key file made for a server that never ran
    assert result.output.strip().splitlines() == [
        f"Error: port {port} on 127.0.0.1 is already in use; choose another with --port "
        "(or STREAMKAP_MOCK_PORT), or --port 0 for any free port"]


CRASH_AFTER_A_SECRET = """
import os, sys
from starlette.testclient import TestClient
from mockserver.app import create_app
from mockserver.settings import Settings
from tests.conftest import PG_SOURCE_CONFIG
client = TestClient(create_app(Settings(db=sys.argv[1])))  # no lifespan: nothing compacts
token = client.post("/auth/access-token", json={"client_id": "mock-client", "secret": "mock-secret"}).json()
created = client.post("/sources", headers={"Authorization": "Bearer " + token["accessToken"]},
                      json={"name": "pg", "connector": "postgresql", "config": PG_SOURCE_CONFIG})
assert created.status_code == 200, created.text
os._exit(0)  # as after kill -9
"""


def test_a_lost_key_stops_start_up_when_the_secret_is_only_in_the_journal(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    db = tmp_path / "db.json"
    subprocess.run([sys.executable, "-c", CRASH_AFTER_A_SECRET, str(db)], check=True, cwd=ROOT)
    assert b"enc:v1:" in (tmp_path / "db.json.journal").read_bytes()
    assert b"enc:v1:" not in (db.read_bytes() if db.exists() else b"")
    (tmp_path / "db.json.key").unlink()
    result = serve(db)
    assert result.exit_code != 0
    assert "db.json.key" in result.output and "--secret-key" in result.output, result.output


@pytest.mark.parametrize("table,change,named", [
    ("sources", lambda r: r.pop("name"), "name"),
    ("sources", lambda r: r.update(config=[1]), "config"),
    ("topics", lambda r: r.update(partitions="three"), "partitions"),
    ("tags", lambda r: r.update(type=None), "type"),
])
def test_a_record_that_does_not_fit_its_model_stops_start_up_naming_table_and_id(tmp_path, table, change, named):
    db = db_with_a_secret(tmp_path)
    data = json.loads(db.read_text())
    doc_id, record = next(iter(data[table].items()))
    change(record)
    db.write_text(json.dumps(data))
    before = db.read_bytes()
    result = serve(db)
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert f"table {table}, record {record['id']}: {named}" in lines[0] and str(db) in lines[0]
    assert db.read_bytes() == before


def test_a_record_only_in_the_journal_is_checked_though_the_snapshot_is_the_server_s_own(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    db = db_with_a_secret(tmp_path)  # a clean stop: the snapshot is stamped as this server's own
    crash_after_a_tag = CRASH_AFTER_A_SECRET.replace(
        'client.post("/sources"', 'client.post("/tags"').replace(
        'json={"name": "pg", "connector": "postgresql", "config": PG_SOURCE_CONFIG}',
        'json={"name": "team", "type": ["sources"]}')
    subprocess.run([sys.executable, "-c", crash_after_a_tag, str(db)], check=True, cwd=ROOT)
    journal = tmp_path / "db.json.journal"
    (tag,) = [record for table, _, record in json.loads(journal.read_bytes())["put"] if table == "tags"]
    journal.write_text(journal.read_text().replace('"type":["sources"]', '"type":7'))
    result = serve(db)
    assert result.exit_code != 0
    assert f"table tags, record {tag['id']}: type" in result.output, result.output


def test_a_database_holding_every_kind_of_record_the_mock_writes_passes_the_check(make_api):
    from tests.http.test_pipelines import body, make_destination
    from tests.http.test_transforms import created as created_transform
    from tests.conftest import make_source

    api = make_api()
    source, destination, transform = make_source(api), make_destination(api), created_transform(api)
    api.put(f"/transforms/{transform['id']}/deploy-job-live/no-version")
    assert api.post("/pipelines", json=body(source, destination)).status_code == 200
    assert api.post("/tags", json={"name": "team", "type": ["sources"]}).status_code == 200
    assert api.post("/kafka-access/kafka-users", json={"username": "u", "password": "S3cret-pass!"}).status_code == 200
    roles = api.get("/auth/roles").json()
    assert api.post("/auth/client-credentials", json={"role_ids": [roles[0]["id"]]}).status_code == 200
    assert api.client.post("/__mock/tenants").status_code == 201
    api.delete(f"/sources/{make_source(api, name='gone')['id']}")
    from mockserver.domain.stored import MODELS
    assert all(api.backend.repo.find(table, lambda r: True) for table in MODELS)
    Path(api.backend.settings.db + ".lock").unlink()  # no stamp of its own snapshot: check them all
    make_api()  # the same file again: every record fits its model
