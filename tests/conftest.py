"""Shared fixtures: an app on a fresh store, a controllable clock, and a logged-in client."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.settings import Settings

ROOT = Path(__file__).resolve().parents[1]

PG_SOURCE_CONFIG = {
    "database.hostname.user.defined": "db.example.com",
    "database.port.user.defined": 5432,
    "database.user": "streamkap",
    "database.password": "secret123",
    "database.dbname": "mydb",
    "schema.include.list": "public",
    "table.include.list.user.defined": "public.users,public.orders",
}
SNOWFLAKE_CONFIG = {
    "snowflake.url.name": "acme.snowflakecomputing.com",
    "snowflake.user.name": "STREAMKAP_USER",
    "snowflake.private.key": "-----BEGIN PRIVATE KEY-----abc",
    "snowflake.private.key.passphrase": "pass",
    "snowflake.database.name": "ANALYTICS",
    "snowflake.schema.name": "RAW",
}


def make_source(api, name="pg", as_="mock-client", tables="public.users,public.orders"):
    """A PostgreSQL source with its own slot and publication, so many can coexist."""
    config = {**PG_SOURCE_CONFIG, "table.include.list.user.defined": tables,
              # a replication slot and publication belong to one source of a tenant
              "slot.name": f"slot_{name}", "publication.name": f"pub_{name}"}
    response = api.post("/sources", as_=as_, json={"name": name, "connector": "postgresql", "config": config})
    assert response.status_code == 200, response.text
    return response.json()


def server_env(**extra: str) -> dict[str, str]:
    """The environment of a live server: the caller's, without any STREAMKAP_* setting of the shell."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("STREAMKAP")}, **extra}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # mutmut stops a mutant's run at its first failing test: the domain tests, a few ms each, go
    # first, or a mutant they kill waits behind hundreds of in-process HTTP tests.
    if os.environ.get("MUTANT_UNDER_TEST"):
        items.sort(key=lambda item: not item.nodeid.startswith("tests/domain/"))


@pytest.fixture(scope="session", autouse=True)
def no_mock_settings_from_the_shell():
    """The CLI reads STREAMKAP_MOCK_* (and CliRunner runs it in-process): none leaks in from the shell."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [k for k in os.environ if k.startswith("STREAMKAP_MOCK_")]:
            patch.delenv(name)
        yield


@pytest.fixture(scope="session", autouse=True)
def hypothesis_home_in_tmp(tmp_path_factory):
    """Hypothesis's caches (and any example database) in a temporary folder, not ./.hypothesis."""
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    yield
    set_hypothesis_home_dir(None)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Api:
    """A test client that logs in with fixture credentials by name."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self._tokens: dict[str, str] = {}

    @property
    def backend(self) -> Any:
        return self.client.app.state.backend

    def disk_text(self) -> str:
        """Everything the store has on disk: the snapshot and the journal."""
        db = Path(self.backend.settings.db)
        journal = db.with_name(db.name + ".journal")
        return "".join(p.read_text() for p in (db, journal) if p.exists())

    def on_disk(self) -> dict:
        """The stored tables, as the snapshot holds them once the journal is folded in."""
        self.backend.repo.compact()
        return json.loads(Path(self.backend.settings.db).read_text())

    def token(self, client_id: str = "mock-client", secret: str | None = None) -> str:
        if client_id not in self._tokens:
            secrets = {c.client_id: c.secret for c in self.backend.directory.fixture_credentials()}
            response = self.client.post("/auth/access-token",
                                        json={"client_id": client_id, "secret": secret or secrets[client_id]})
            assert response.status_code == 200, response.text
            self._tokens[client_id] = response.json()["accessToken"]
        return self._tokens[client_id]

    def request(self, method: str, path: str, *, as_: str = "mock-client", headers: dict | None = None, **kw):
        all_headers = {"Authorization": f"Bearer {self.token(as_)}", **(headers or {})}
        return self.client.request(method, path, headers=all_headers, **kw)

    def ok(self, method: str, path: str, **kw) -> Any:
        """A setup call that must succeed; its body."""
        response = self.request(method, path, **kw)
        assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw):
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_api(tmp_path, clock):
    """Build an Api over a new app; settings overrides as keyword arguments."""
    clients: list[TestClient] = []

    def build(**overrides: Any) -> Api:
        settings = Settings(**{"db": str(tmp_path / "db.json"), **overrides})
        for client in clients:  # one server per database: building another one is a restart
            if client.app.state.backend.settings.db == settings.db:
                client.__exit__(None, None, None)
        client = TestClient(create_app(settings, clock=clock))
        client.__enter__()
        clients.append(client)
        return Api(client)

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def api(make_api) -> Api:
    return make_api()
