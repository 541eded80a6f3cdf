"""Secrets: masked unless asked for, never in clear in the TinyDB file."""

from __future__ import annotations

from pathlib import Path

from mockserver.domain.secrets import MASK
from tests.conftest import PG_SOURCE_CONFIG


def test_secrets_are_masked_without_the_flag_everywhere(api):
    created = api.post("/sources", json={"name": "s", "connector": "postgresql", "config": PG_SOURCE_CONFIG}).json()
    assert created["config"]["database.password"] == MASK
    entity_id = created["id"]
    views = [
        api.get(f"/sources/{entity_id}").json()["result"][0],
        api.get("/sources").json()["result"][0],
        api.post("/sources/search", json={}).json()["result"][0],
    ]
    for view in views:
        assert view["config"]["database.password"] == MASK
        assert view["config"]["database.user"] == "streamkap"


def test_secrets_come_back_with_the_flag_everywhere(api):
    created = api.post("/sources?secret_returned=true",
                       json={"name": "s", "connector": "postgresql", "config": PG_SOURCE_CONFIG}).json()
    assert created["config"]["database.password"] == "secret123"
    views = [
        api.get(f"/sources/{created['id']}?secret_returned=true").json()["result"][0],
        api.get("/sources?secret_returned=true").json()["result"][0],
        api.post("/sources/search?secret_returned=true", json={}).json()["result"][0],
    ]
    assert all(v["config"]["database.password"] == "secret123" for v in views)


def test_absent_secret_reads_back_as_null(api):
    config = {"snowflake.url.name": "u", "snowflake.user.name": "n", "snowflake.private.key": "k",
              "snowflake.private.key.passphrase.secured": False, "snowflake.private.key.passphrase": None,
              "snowflake.database.name": "d", "snowflake.schema.name": "s"}
    created = api.post("/destinations?secret_returned=true",
                       json={"name": "d", "connector": "snowflake", "config": config})
    assert created.status_code == 200, created.text
    assert created.json()["config"]["snowflake.private.key.passphrase"] is None
    masked = api.get(f"/destinations/{created.json()['id']}").json()["result"][0]
    assert masked["config"]["snowflake.private.key.passphrase"] is None
    assert masked["config"]["snowflake.private.key"] == MASK


def test_secret_never_reaches_the_db_file(api, tmp_path):
    api.ok("POST", "/sources", json={"name": "s", "connector": "postgresql",
                               "config": {**PG_SOURCE_CONFIG, "database.password": "hunter2-very-secret"}})
    text = Path(api.backend.settings.db).read_text()
    assert "hunter2-very-secret" not in text
    assert "database.password" in text  # the key is there, its value sealed


def test_db_key_file_is_private(api):
    key_file = Path(api.backend.settings.db + ".key")
    assert key_file.exists()
    assert key_file.stat().st_mode & 0o077 == 0
