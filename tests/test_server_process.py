"""The real console script, started as a subprocess and driven over a socket."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import PG_SOURCE_CONFIG, server_env

SCRIPT = Path(sys.executable).parent / "streamkap-mock"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, db: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = server_env(STREAMKAP_MOCK_PORT=str(self.port))  # the port through its env var
        self.process = subprocess.Popen(
            [str(SCRIPT), "serve", "--db", str(db), "--log-level", "warning"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/__mock/health", timeout=0.5).json()["status"] == "ok":
                    return
            except httpx.TransportError:
                assert self.process.poll() is None, self.process.stdout.read()
                time.sleep(0.05)
        raise AssertionError("server did not answer within 20 s")

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)
        output, _ = self.process.communicate(timeout=10)
        return output


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "state" / "db.json"


def client_for(server: Server) -> httpx.Client:
    token = httpx.post(f"{server.url}/auth/access-token",
                       json={"client_id": "mock-client", "secret": "mock-secret"}).json()["accessToken"]
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_round_trip_over_a_socket_and_state_survives_restart(db):
    server = Server(db)
    try:
        with client_for(server) as http:
            created = http.post("/sources?secret_returned=true&wait=false", json={
                "name": "proc-src", "connector": "postgresql", "config": PG_SOURCE_CONFIG,
                "created_from": "terraform"})
            assert created.status_code == 200, created.text
            entity_id = created.json()["id"]
            got = http.get(f"/sources/{entity_id}?secret_returned=true").json()
            assert got["result"][0]["config"]["database.password"] == "secret123"
            assert [e["id"] for e in http.get("/sources?page=1&page_size=100").json()["result"]] == [entity_id]
            updated = http.put(f"/sources/{entity_id}?secret_returned=true&wait=false", json={
                "name": "proc-src-2", "connector": "postgresql", "config": PG_SOURCE_CONFIG})
            assert updated.json()["name"] == "proc-src-2"
            assert http.post(f"/sources/{entity_id}/actions/pause").json()["connector_status"] == "Paused"
            kept = http.post("/destinations", json={"name": "kept", "connector": "snowflake", "config": {
                "snowflake.url.name": "u", "snowflake.user.name": "n", "snowflake.private.key": "k",
                "snowflake.private.key.passphrase": "p", "snowflake.database.name": "d",
                "snowflake.schema.name": "s"}}).json()["id"]
            assert http.delete(f"/sources/{entity_id}?wait=false").status_code == 200
            assert http.get(f"/sources/{entity_id}").json()["result"] == []
    finally:
        output = server.stop()
    assert "STREAMKAP_CLIENT_ID=mock-client STREAMKAP_SECRET=mock-secret" in output
    assert f"http://127.0.0.1:{server.port}" in output

    restarted = Server(db)
    try:
        with client_for(restarted) as http:
            assert http.get(f"/destinations/{kept}").json()["total"] == 1
            assert http.get("/sources").json()["total"] == 0
    finally:
        restarted.stop()
