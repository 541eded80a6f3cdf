"""What one request costs the mock's layers, in machine instructions, beside the bare stack.

    python tools/instructions.py [--ops get,list,put,post] [--count 200]

Each figure is a request made in process (the ASGI app called directly, no HTTP
server, no socket) under ``valgrind --tool=cachegrind`` (Debian: ``apt-get install
valgrind``): the instructions of a run of ``--count`` requests less those of a run
of none, per request. Unlike requests per second, the count hardly moves with the
machine's load, so a change of a few percent shows. The variants:

- ``mock``: as ``serve`` runs by default, the control plane on and an access line
  per request written (to a file);
- ``no access line``: the same at ``--log-level warning``;
- ``no control plane``: ``--no-admin`` (no journal, no faults), access line written;
- ``bare stack``: ``tools/bare_stack.py``'s app on the records the mock presents
  (GET and list only: its writes are an append and an fsync, which the in-process
  run leaves out of the mock's).

Writes run with the fsync of the store left out (the instructions the disk costs
are the kernel's) on the server's loop (the write lane's thread hop is the same
work). Figures only: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging.config
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from benchmark import source_body, update_body  # noqa: E402

RECORDS = 100
VARIANTS = {"mock": ("info", True), "no access line": ("warning", True), "no control plane": ("info", False)}


def _scope(method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]]) -> dict:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
            "headers": [(b"host", b"127.0.0.1:8080"), *headers], "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8080)}


async def _call(app, method: str, path: str, query: bytes = b"", body: bytes = b"",
                headers: tuple = ()) -> tuple[int, bytes]:
    headers = list(headers)
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive() -> dict:
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(_scope(method, path, query, headers), receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def _mock_app(folder: Path, log_level: str, admin: bool):
    from mockserver.app import create_app
    from mockserver.http.access_log import lighten_log_records, logging_config
    from mockserver.settings import Settings
    from mockserver.store import Disk

    config = logging_config("text", log_level)
    config["handlers"]["default"]["stream"] = open(folder / "access.log", "a")  # noqa: SIM115 (lives as long)
    logging.config.dictConfig(config)
    lighten_log_records()
    Disk.fsync = lambda self, fd: None  # the kernel's work, not the server's
    from mockserver.http import routing

    async def on_the_loop(endpoint, request):
        return await endpoint(request)

    routing.WRITE_LANE.run = on_the_loop
    app = create_app(Settings(db=str(folder / "db.json"), admin=admin))
    app.state.backend.repo.warm_indexes()
    return app


async def _requests(op: str, count: int, variant: str) -> None:
    """The in-process run that cachegrind watches (this script calls itself with ``_run``)."""
    folder = Path(tempfile.mkdtemp())
    app = _mock_app(folder, *VARIANTS.get(variant, VARIANTS["mock"]))
    login = json.dumps({"client_id": "mock-client", "secret": "mock-secret"}).encode()
    token = json.loads((await _call(app, "POST", "/auth/access-token", body=login))[1])["accessToken"]
    auth = ((b"authorization", f"Bearer {token}".encode()),)
    ids = []
    for n in range(RECORDS):
        status, body = await _call(app, "POST", "/sources", body=json.dumps(source_body(f"s{n}")).encode(),
                                   headers=auth)
        assert status in (200, 201), body
        ids.append(json.loads(body)["id"])
    if variant == "bare stack":  # the records as the mock presents them, as tools/benchmark.py gives it
        import bare_stack

        records = [json.loads((await _call(app, "GET", f"/sources/{i}", headers=auth))[1])["result"][0]
                   for i in ids]
        (folder / "records.json").write_text(json.dumps(records))
        app = bare_stack.build(folder / "bare.journal", folder / "records.json")
    calls = {
        "get": lambda n: _call(app, "GET", f"/sources/{ids[n % len(ids)]}", headers=auth),
        "list": lambda n: _call(app, "GET", "/sources", b"page=5&page_size=10", headers=auth),
        "put": lambda n: _call(app, "PUT", f"/sources/{ids[n % len(ids)]}", headers=auth,
                               body=json.dumps(update_body(f"put-{n}")).encode()),  # a name no other source holds
        "post": lambda n: _call(app, "POST", "/sources", body=json.dumps(source_body(f"new-{n}")).encode(),
                                headers=auth),
    }
    for n in range(50 + count):  # 50 to warm up, in both runs
        status, body = await calls[op](n)
        assert status in (200, 201), body


def instructions(op: str, count: int, variant: str) -> int:
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
               sys.executable, __file__, "_run", op, str(count), variant]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    return int(re.search(r"I\s+refs:\s+([\d,]+)", output).group(1).replace(",", ""))


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "_run":
        asyncio.run(_requests(sys.argv[2], int(sys.argv[3]), sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", default="get,list,put,post")
    parser.add_argument("--count", type=int, default=200, help="requests measured per op and variant")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian/Ubuntu: apt-get install valgrind)")
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")  # as serve sets it
    variants = [*VARIANTS, "bare stack"]
    print(f"thousands of instructions per request, in process ({RECORDS} stored sources, {args.count} requests)")
    print("| op | " + " | ".join(variants) + " | mock / bare stack |")
    print("|---|" + "---:|" * (len(variants) + 1))
    for op in args.ops.split(","):
        row = {}
        for variant in variants:
            if variant == "bare stack" and op not in ("get", "list"):
                continue
            row[variant] = (instructions(op, args.count, variant) - instructions(op, 0, variant)) / args.count
        ratio = f"{row['mock'] / row['bare stack']:.1f}x" if "bare stack" in row else "-"
        print(f"| {op} | " + " | ".join(f"{row[v] / 1000:,.0f}" if v in row else "-" for v in variants)
              + f" | {ratio} |")


if __name__ == "__main__":
    main()
