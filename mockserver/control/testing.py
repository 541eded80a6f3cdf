"""A live mock for tests: ``MockServer`` runs it in a background thread and drives its control plane.

The server binds port 0 itself and the real port is read back from its socket,
so two runs can never race for a port. The pytest plugin
(``mockserver.pytest_plugin``) builds its ``streamkap_mock`` fixture on this.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import httpx

from mockserver.settings import MEMORY, Settings, seed_path

START_TIMEOUT = 30.0


class _Login(httpx.Auth):
    """Bearer auth that logs in again when the token stops working (an advanced clock expires it)."""

    def __init__(self, server: "MockServer", client_id: str, secret: str) -> None:
        self._server, self._client_id, self._secret = server, client_id, secret
        self._token: str | None = None

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        if self._token is None:
            self._token = self._server.token(self._client_id, self._secret)
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:
            self._token = self._server.token(self._client_id, self._secret)
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request


class Faults:
    """``POST/GET/DELETE /__mock/faults`` as methods."""

    def __init__(self, control: httpx.Client) -> None:
        self._control = control

    def add(self, match: dict | None = None, respond: dict | None = None, **rule: Any) -> dict:
        """Add a rule, e.g. ``add({"method": "POST", "path": "/sources"}, {"status": 429}, times=2)``."""
        body = {"match": match or {}, "respond": respond or {}, **rule}
        return _json(self._control.post("/faults", json=body))

    def preset(self, name: str, match: dict | None = None, **rule: Any) -> dict:
        """Add a rule answering with a named preset, e.g. ``preset("rate_limited", {"path": "/sources"})``."""
        return self.add(match, preset=name, **rule)

    def list(self) -> list[dict]:
        return _json(self._control.get("/faults"))["result"]

    def presets(self) -> list[dict]:
        return _json(self._control.get("/faults/presets"))["result"]

    def remove(self, rule_id: str) -> None:
        _json(self._control.delete(f"/faults/{rule_id}"))

    def clear(self) -> None:
        _json(self._control.delete("/faults"))


class Clock:
    """The mock's virtual clock."""

    def __init__(self, control: httpx.Client) -> None:
        self._control = control

    def advance(self, seconds: float) -> dict:
        return _json(self._control.post("/clock/advance", json={"seconds": seconds}))

    def now(self) -> float:
        return _json(self._control.get("/clock"))["epoch_seconds"]


@dataclass
class Tenant:
    """A tenant of its own (``MockServer.new_tenant``): its ids, credentials and a client for each."""

    id: str
    service_id: str
    name: str
    client_id: str
    secret: str
    readonly_client_id: str
    readonly_secret: str
    client: httpx.Client = field(repr=False)
    readonly_client: httpx.Client = field(repr=False)


def _json(response: httpx.Response) -> Any:
    if response.is_error:
        raise AssertionError(f"{response.request.method} {response.request.url} -> {response.status_code}: "
                             f"{response.text}")
    return response.json()


class MockServer:
    """A streamkap-mock served on a free port of 127.0.0.1 in a background thread.

    Use it as a context manager (``with MockServer() as mock: ...``) or call
    ``start()`` and ``stop()``. Keyword arguments are ``Settings`` fields
    (``status_delay=2``, ``seed="provider-acceptance"`` or a path, ``admin_token="..."``); the store
    is in memory unless ``db`` says otherwise.
    """

    def __init__(self, *, log_level: str = "warning", **settings: Any) -> None:
        if isinstance(settings.get("seed"), str):
            settings["seed"] = seed_path(settings["seed"])
        self.settings = Settings(**{"db": MEMORY, "port": 0, **settings})
        self._log_level = log_level
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._clients: list[httpx.Client] = []
        self._tenants: list[str] = []
        self.base_url = ""

    # ---- life -----------------------------------------------------------------

    def start(self) -> "MockServer":
        import uvicorn

        from mockserver.app import create_app

        self.app = create_app(self.settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level=self._log_level, ws="none")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="streamkap-mock", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("streamkap-mock did not start (see the log above)")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        admin = {"Authorization": f"Bearer {self.settings.admin_token}"} if self.settings.admin_token else {}
        self.control = self._client(httpx.Client(base_url=self.base_url + "/__mock", headers=admin, timeout=30))
        self.faults = Faults(self.control)
        self.clock = Clock(self.control)
        credential = self.credentials[0]
        self.client_id, self.secret = credential["client_id"], credential["secret"]
        self.client = self.client_for(self.client_id, self.secret)
        return self

    def stop(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None

    def __enter__(self) -> "MockServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _client(self, client: httpx.Client) -> httpx.Client:
        self._clients.append(client)
        return client

    # ---- the emulated API -------------------------------------------------------

    @property
    def credentials(self) -> list[dict]:
        """The fixture credentials: ``client_id``, ``secret``, ``tenant_id``, ``roles``; the first writes."""
        directory = self.app.state.backend.directory
        found = [{"client_id": c.client_id, "secret": c.secret, "tenant_id": c.tenant_id, "roles": list(c.roles)}
                 for c in directory.fixture_credentials()]
        return sorted(found, key=lambda c: "write" not in _permissions(directory, c["roles"]))

    def token(self, client_id: str | None = None, secret: str | None = None) -> str:
        """A fresh access token (of the first fixture credential unless told)."""
        client_id = client_id or self.client_id
        if secret is None:
            secret = next(c["secret"] for c in self.credentials if c["client_id"] == client_id)
        response = httpx.post(f"{self.base_url}/auth/access-token",
                              json={"client_id": client_id, "secret": secret}, timeout=30)
        return _json(response)["accessToken"]

    def client_for(self, client_id: str, secret: str | None = None) -> httpx.Client:
        """An ``httpx.Client`` on the base URL, logged in as ``client_id`` (again when its token expires)."""
        if secret is None:
            secret = next(c["secret"] for c in self.credentials if c["client_id"] == client_id)
        return self._client(httpx.Client(base_url=self.base_url, auth=_Login(self, client_id, secret), timeout=30))

    # ---- the control plane ------------------------------------------------------

    def health(self) -> dict:
        return _json(self.control.get("/health"))

    def reset(self, tenant: str | None = None, revoke_tokens: bool = False) -> None:
        _json(self.control.post("/reset", json={"tenant": tenant, "revoke_tokens": revoke_tokens}))

    def seed(self, data: dict | str | Path) -> dict:
        """Create the entities of a seed (a dict, or a JSON file's path); returns the counts created."""
        if not isinstance(data, dict):
            import json

            data = json.loads(Path(data).read_text(encoding="utf-8"))
        return _json(self.control.post("/seed", json=data))["created"]

    def requests(self, **filters: Any) -> list[dict]:
        """Journal entries, oldest first; filters: method, path, path_regex, status, client_id, tenant, since."""
        params = {key: value for key, value in filters.items() if value is not None}
        return _json(self.control.get("/requests", params=params))["result"]

    def cassette(self, **filters: Any) -> str:
        """The journal as a go-vcr v4 cassette (YAML)."""
        response = self.control.get("/requests", params={**filters, "format": "cassette"})
        if response.is_error:
            _json(response)
        return response.text

    def coverage(self) -> dict:
        """Per operation of the contract, the calls and statuses the journal holds; per connector type, the writes."""
        return _json(self.control.get("/coverage"))

    def set_status(self, entity_id: str, status: str, **extra: Any) -> dict:
        """Force a source's or destination's status (``trace=``, ``then=``, ``after=`` as the API takes)."""
        return _json(self.control.put(f"/connectors/{entity_id}/status", json={"status": status, **extra}))

    def new_tenant(self, name: str | None = None) -> Tenant:
        """A fresh tenant nobody else sees, with an admin and a read-only client; ``drop_tenants()`` removes it."""
        created = _json(self.control.post("/tenants", json={"name": name} if name else None))
        admin, reader = (next(c for c in created["credentials"] if c["roles"] == [role])
                         for role in ("admin", "read_only"))
        self._tenants.append(created["tenant_id"])
        return Tenant(id=created["tenant_id"], service_id=created["service_id"], name=created["name"],
                      client_id=admin["client_id"], secret=admin["secret"],
                      readonly_client_id=reader["client_id"], readonly_secret=reader["secret"],
                      client=self.client_for(admin["client_id"], admin["secret"]),
                      readonly_client=self.client_for(reader["client_id"], reader["secret"]))

    def drop_tenants(self) -> None:
        """Delete the tenants ``new_tenant`` made (those a full reset has not dropped already)."""
        while self._tenants:
            response = self.control.delete(f"/tenants/{self._tenants.pop()}")
            if response.status_code != 404:
                _json(response)

    def save_snapshot(self, name: str) -> dict:
        return _json(self.control.post(f"/snapshots/{name}"))

    def restore_snapshot(self, name: str) -> dict:
        return _json(self.control.post(f"/snapshots/{name}/restore"))


def _permissions(directory: Any, roles: list[str]) -> set[str]:
    return {p for key in roles if key in directory.roles for p in directory.roles[key].permissions}
