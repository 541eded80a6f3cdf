"""Print start-up time and request latency of a real server against database size.

    python tools/benchmark.py [--sizes 10,1000,3000] [--reads 200]

Starts `streamkap-mock serve` on a free port with a fresh database file, times
how long until it answers, then for each size fills the store with sources and
times reads (get by id, first list page) and writes (create). Figures only:
nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

CONFIG = {
    "database.hostname.user.defined": "db.example.com",
    "database.port.user.defined": 5432,
    "database.user": "streamkap",
    "database.password": "secret123",
    "database.dbname": "mydb",
    "schema.include.list": "public",
    "table.include.list.user.defined": "public.users",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(fn, count: int) -> tuple[float, float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,1000,3000")
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        script = Path(sys.executable).parent / "streamkap-mock"
        started = time.perf_counter()
        server = subprocess.Popen([str(script), "serve", "--port", str(port), "--db", f"{tmp}/db.json",
                                   "--log-level", "warning"], stdout=subprocess.DEVNULL)
        try:
            while True:
                try:
                    httpx.post(f"{url}/auth/access-token", json={}, timeout=0.2)
                    break
                except httpx.TransportError:
                    time.sleep(0.01)
            print(f"ready after {time.perf_counter() - started:.3f} s")
            token = httpx.post(f"{url}/auth/access-token",
                               json={"client_id": "mock-client", "secret": "mock-secret"}).json()["accessToken"]
            http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"})
            count, first_id = 0, None
            print(f"{'sources':>8} {'file KB':>8} {'get p50/p95 ms':>16} {'list p50/p95 ms':>16} {'create p50/p95 ms':>18}")
            for size in sizes:
                while count < size:
                    body = {"name": f"bench-{count}", "connector": "postgresql",
                            "config": {**CONFIG, "slot.name": f"slot_{count}"}}
                    entity_id = http.post("/sources", json=body).json()["id"]
                    first_id = first_id or entity_id
                    count += 1
                get = timed(lambda: http.get(f"/sources/{first_id}"), args.reads)
                listing = timed(lambda: http.get("/sources?page_size=10"), args.reads)

                def create() -> None:
                    nonlocal count
                    http.post("/sources", json={"name": f"bench-{count}", "connector": "postgresql",
                                                "config": {**CONFIG, "slot.name": f"slot_{count}"}})
                    count += 1

                writes = timed(create, 20)
                kb = Path(f"{tmp}/db.json").stat().st_size / 1024
                print(f"{size:>8} {kb:>8.0f} {get[0]:>7.2f}/{get[1]:<8.2f} {listing[0]:>7.2f}/{listing[1]:<8.2f} "
                      f"{writes[0]:>8.2f}/{writes[1]:<8.2f}")
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
