"""Durability of a real ``serve`` process: one server per file, clean shutdown, kill -9 mid-burst.

``STREAMKAP_KILL_ROUNDS=20 pytest tests/test_durability_process.py`` for a longer kill -9 run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

from pathlib import Path

import httpx
import pytest
from tinydb import TinyDB

from tests.conftest import PG_SOURCE_CONFIG
from tests.test_server_process import SCRIPT, Server, client_for


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "state" / "db.json"


def source(name: str) -> dict:
    return {"name": name, "connector": "postgresql",
            "config": {**PG_SOURCE_CONFIG, "slot.name": f"slot_{name}", "publication.name": f"pub_{name}"}}


def test_a_second_server_on_the_same_db_exits_at_once_naming_the_holder(db):
    first = Server(db)
    try:
        started = time.monotonic()
        second = subprocess.run([str(SCRIPT), "serve", "--db", str(db), "--port", "0"],
                                capture_output=True, text=True, timeout=20)
        assert time.monotonic() - started < 10
        assert second.returncode != 0
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert str(db) in lines[0] and f"pid {first.process.pid}" in lines[0]
        with client_for(first) as http:  # the first one never noticed
            assert http.post("/sources", json=source("still-mine")).status_code == 200
    finally:
        first.stop()
    # A clean shutdown folds the journal into the file, which plain TinyDB opens.
    assert db.with_name(db.name + ".journal").read_bytes() == b""
    assert [s["name"] for s in TinyDB(str(db)).table("sources").all()] == ["still-mine"]


def burst(server: Server, acknowledged: list[str], stop: threading.Event, worker: int) -> None:
    try:
        with client_for(server) as http:
            n = 0
            while not stop.is_set():
                n += 1
                response = http.post("/sources", json=source(f"w{worker}_{n}"))
                if response.status_code == 200:
                    acknowledged.append(response.json()["id"])
    except httpx.HTTPError:
        return  # the server died under us: this write was never acknowledged


def test_kill_9_during_a_write_burst_loses_no_acknowledged_write(db):
    acknowledged: list[str] = []
    for round_ in range(int(os.environ.get("STREAMKAP_KILL_ROUNDS", "3"))):
        server = Server(db)  # the database always opens, whatever the last kill left
        try:
            with client_for(server) as http:
                # Writes cut off by the kill may be stored too, unacknowledged: page through them all.
                total = http.get("/sources?page_size=1").json()["total"]
                listed = {s["id"] for page in range(1, total // 100 + 2)
                          for s in http.get(f"/sources?page_size=100&page={page}").json()["result"]}
            assert set(acknowledged) <= listed, f"round {round_}: lost {len(set(acknowledged) - listed)} writes"
        except BaseException:
            server.stop()  # leave no server behind
            raise
        stop = threading.Event()
        workers = [threading.Thread(target=burst, args=(server, acknowledged, stop, round_ * 10 + w))
                   for w in range(6)]
        for worker in workers:
            worker.start()
        target, deadline = len(acknowledged) + 30, time.monotonic() + 30
        while len(acknowledged) < target and time.monotonic() < deadline:  # kill in the middle of a burst
            time.sleep(0.01)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        stop.set()
        for worker in workers:
            worker.join(timeout=10)
        server.process.stdout.close()
    assert len(acknowledged) >= 90  # the bursts did write
    final = Server(db)
    try:
        with client_for(final) as http:
            for entity_id in acknowledged:
                assert http.get(f"/sources/{entity_id}").json()["total"] == 1, entity_id
    finally:
        final.stop()
