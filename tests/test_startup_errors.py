"""What `streamkap-mock serve` says when its db or key file is unusable: one clear line, no traceback, no lost data."""

from __future__ import annotations

import json

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
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: print("LISTENING"))


def serve(db, *extra):
    """Start-up that must stop with one ``Error: ...`` line (click's exit 1), not an exception."""
    result = CliRunner().invoke(main, ["serve", "--db", str(db), *extra])
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
