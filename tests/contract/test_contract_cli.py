"""``streamkap-mock contract-test`` against a live mock started as a subprocess."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import server_env

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _streamkap_mock(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mockserver", *args], check=False, cwd=ROOT, env=server_env(PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def live_mock():
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "mockserver", "serve", "--db", ":memory:", "--port", str(port)],
                              cwd=ROOT, env=server_env(PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base_url + "/openapi.json", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the mock did not start") from None
                time.sleep(0.1)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_contract_test_passes_against_a_live_mock(live_mock):
    result = _streamkap_mock("contract-test", "--base-url", live_mock,
                             "--client-id", "mock-client", "--secret", "mock-secret", "--max-examples", "5")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "POST /sources " in result.stdout and "GET /sources/{id} " in result.stdout
    assert "0 failed, 0 errors" in result.stdout


def test_contract_test_fails_when_the_server_breaks_the_contract(live_mock, tmp_path):
    # A contract the mock does not honour: a list envelope without a "total" field.
    doc = json.loads((ROOT / "contracts" / "openapi.json").read_text())
    envelope = doc["components"]["schemas"]["ConnectorEnvelope"]
    envelope["properties"]["totally"] = envelope["properties"].pop("total")
    envelope["required"] = [name if name != "total" else "totally" for name in envelope["required"]]
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(doc))

    token = json.loads(urllib.request.urlopen(urllib.request.Request(
        live_mock + "/auth/access-token", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"client_id": "mock-client", "secret": "mock-secret"}).encode())).read())["accessToken"]
    result = _streamkap_mock("contract-test", "--base-url", live_mock, "--spec", str(spec),
                             "--token", token, "--max-examples", "3")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "GET /sources  " in result.stdout
    assert "FAILED response_schema_conformance" in result.stdout


def test_client_id_without_secret_is_a_usage_error():
    result = _streamkap_mock("contract-test", "--base-url", "http://127.0.0.1:9", "--client-id", "x", timeout=60)
    assert result.returncode == 2
    assert "--client-id and --secret go together" in result.stderr
