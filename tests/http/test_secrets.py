"""Secrets: masked unless asked for, never in clear in the TinyDB file."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.requests import Request

from mockserver.domain.secrets import MASK
from mockserver.http.common import show_secrets
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
    text = api.disk_text()
    assert "hunter2-very-secret" not in text
    assert "database.password" in text  # the key is there, its value sealed


def test_db_key_file_is_private(api):
    key_file = Path(api.backend.settings.db + ".key")
    assert key_file.exists()
    assert key_file.stat().st_mode & 0o077 == 0


def test_the_mask_sent_back_keeps_the_stored_secret(api):
    created = api.post("/sources", json={"name": "s", "connector": "postgresql", "config": PG_SOURCE_CONFIG}).json()
    read = api.get(f"/sources/{created['id']}").json()["result"][0]
    assert read["config"]["database.password"] == MASK
    put = api.put(f"/sources/{created['id']}", json={"name": "s", "connector": "postgresql", "config": read["config"]})
    assert put.status_code == 200, put.text
    again = api.get(f"/sources/{created['id']}?secret_returned=true").json()["result"][0]
    assert again["config"]["database.password"] == "secret123"
    # A new value still replaces it.
    api.put(f"/sources/{created['id']}", json={"name": "s", "connector": "postgresql",
                                                "config": {**PG_SOURCE_CONFIG, "database.password": "new"}})
    assert api.get(f"/sources/{created['id']}?secret_returned=true").json()["result"][0][
        "config"]["database.password"] == "new"


@pytest.mark.parametrize("connector,key,config", [
    ("destinations", "http.headers.authorization", {
        "http.url": "https://hooks.example.com", "http.authorization.type": "static",
        "http.headers.authorization": "Bearer abc"}),
    ("sources", "api.key", {"api.key": "k-123"}),
])
def test_credentials_the_reference_leaves_unmarked_are_secret(api, connector, key, config):
    code = "httpsink" if connector == "destinations" else "webhook"
    response = api.post(f"/{connector}", json={"name": "x", "connector": code, "config": config})
    assert response.status_code == 200, response.text
    assert response.json()["config"][key] == MASK
    assert config[key] not in api.disk_text()


def test_read_only_credentials_read_secrets_masked_whatever_they_ask(api):
    created = api.post("/sources", json={"name": "s", "connector": "postgresql", "config": PG_SOURCE_CONFIG}).json()
    for view in (api.get(f"/sources/{created['id']}?secret_returned=true", as_="mock-readonly").json()["result"][0],
                 api.get("/sources?secret_returned=true", as_="mock-readonly").json()["result"][0]):
        assert view["config"]["database.password"] == MASK
    admin = api.get(f"/sources/{created['id']}?secret_returned=true").json()["result"][0]
    assert admin["config"]["database.password"] == "secret123"


def test_secret_returned_shows_nothing_on_a_request_nobody_authenticated():
    request = Request({"type": "http", "query_string": b"secret_returned=true", "headers": []})
    assert show_secrets(request) is False
