"""What `streamkap-mock serve` tells its user: the banner, the help, one log line per request."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from mockserver import __version__
from mockserver.cli import main
from mockserver.domain.tenancy import Directory
from mockserver.settings import DEFAULT_FIXTURES

SCRIPT = Path(sys.executable).parent / "streamkap-mock"
BANNER = re.compile(r"serving on (http://127\.0\.0\.1:(\d+))")


class Served:
    """The console script on --port 0: the port is read back from the banner."""

    def __init__(self, *extra: str) -> None:
        self.process = subprocess.Popen([str(SCRIPT), "serve", "--port", "0", "--db", ":memory:", *extra],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = self.process.stdout.readline()
        match = BANNER.search(first)
        assert match, first + self.process.stderr.read()
        self.url, self.port = match.group(1), int(match.group(2))
        # Address, docs, a heading, then one export line per fixture credential.
        rest = 2 + len(Directory.load(DEFAULT_FIXTURES / "tenants.json").fixture_credentials())
        self.banner = [first.rstrip("\n")] + [self.process.stdout.readline().rstrip("\n") for _ in range(rest)]

    def stop(self) -> str:
        self.process.terminate()
        _, err = self.process.communicate(timeout=10)
        return err


@pytest.fixture
def served(request):
    server = Served(*getattr(request, "param", ()))
    yield server
    if server.process.poll() is None:
        server.stop()


def test_port_zero_banner_shows_the_bound_port_docs_and_export_lines(served):
    assert served.port != 0
    # The banner is out only once the socket listens: a client that read it is not refused.
    login = httpx.post(f"{served.url}/auth/access-token", json={"client_id": "mock-client", "secret": "mock-secret"})
    assert login.status_code == 200
    assert f"  API docs: {served.url}/docs" in served.banner
    export = f"  export STREAMKAP_HOST={served.url} STREAMKAP_CLIENT_ID=mock-client STREAMKAP_SECRET=mock-secret"
    assert any(line.startswith(export + "  # ") for line in served.banner), served.banner


def test_a_4xx_is_logged_with_its_request_id_caller_and_detail(served):
    token = httpx.post(f"{served.url}/auth/access-token",
                       json={"client_id": "mock-client", "secret": "mock-secret"}).json()["accessToken"]
    missing = httpx.post(f"{served.url}/sources", headers={"Authorization": f"Bearer {token}", "X-Request-Id": "rq-1"},
                         json={"name": "x", "connector": "no-such-connector", "config": {}})
    assert missing.status_code == 400
    log = served.stop()
    [line] = [line for line in log.splitlines() if "req=rq-1" in line]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARNING req=rq-1 127\.0\.0\.1:\d+ mock-client "
                        r"POST /sources 400 [\d.]+ms detail=\".*no-such-connector.*\"", line), line
    # uvicorn's own access log is off: one line per request.
    assert sum("/sources" in line for line in log.splitlines()) == 1, log


@pytest.mark.parametrize("served", [("--log-format", "json")], indirect=True)
def test_json_log_lines(served):
    httpx.get(f"{served.url}/sources", headers={"X-Request-Id": "rq-2"})
    records = [json.loads(line) for line in served.stop().splitlines()]
    [exchange] = [r for r in records if r.get("request_id") == "rq-2"]
    assert exchange["status"] == 401 and exchange["method"] == "GET" and exchange["path"] == "/sources"
    assert exchange["detail"].startswith("Not authenticated") and exchange["time"].endswith("Z")
    assert exchange["client_id"] is None and exchange["duration_ms"] >= 0


def test_version_and_help_name_every_variable():
    assert CliRunner().invoke(main, ["--version"]).output.strip() == "streamkap-mock, version " + __version__
    help_text = CliRunner().invoke(main, ["serve", "--help"], terminal_width=200).output
    options = re.findall(r"^  (--[a-z-]+)", help_text, re.M)
    assert {"--host", "--port", "--db", "--log-format", "--cors"} <= set(options)
    for option in options:
        if option != "--help":
            assert f"STREAMKAP_MOCK_{option[2:].upper().replace('-', '_')}" in help_text, option
    from mockserver.cli import serve
    assert all(param.help for param in serve.params), [p.name for p in serve.params if not p.help]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_an_unhandled_error_keeps_its_traceback_in_either_format(log_format):
    import logging

    from mockserver.http.access_log import JsonFormatter, TextFormatter

    try:
        raise ZeroDivisionError("boom")
    except ZeroDivisionError:
        record = logging.getLogger("streamkap_mock").makeRecord(
            "streamkap_mock", logging.ERROR, __file__, 1, "unhandled error on %s", ("GET /x",), sys.exc_info())
    formatter = {"text": TextFormatter, "json": JsonFormatter}[log_format]()
    out = formatter.format(record)
    if log_format == "json":
        fields = json.loads(out)
        assert fields["message"] == "unhandled error on GET /x" and fields["level"] == "ERROR"
        out = fields["exception"]
    assert "Traceback" in out and "ZeroDivisionError: boom" in out


def test_the_listening_socket_is_tcp_so_connections_get_no_delay():
    # asyncio sets TCP_NODELAY on the connections of a socket whose proto is TCP only; a socket
    # made without it answered every keep-alive request ~40 ms late (Nagle plus delayed ACKs).
    import socket

    from mockserver.cli import _bind

    with _bind("127.0.0.1", 0) as sock:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockname()[1] != 0
