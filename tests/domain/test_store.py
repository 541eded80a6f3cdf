"""The TinyDB repository: atomic writes, reads from memory, no lost writes."""

from __future__ import annotations

import json
import os
import threading
from unittest import mock

import pytest

from mockserver.store import Repository


def record(i: int, **extra) -> dict:
    return {"id": f"{i:024x}", "name": f"n{i}", **extra}


def test_records_round_trip_in_insertion_order(tmp_path):
    repo = Repository(str(tmp_path / "db.json"))
    for i in (3, 1, 2):
        repo.insert("things", record(i))
    assert [r["id"] for r in repo.find("things", lambda r: True)] == [f"{i:024x}" for i in (3, 1, 2)]
    assert repo.get("things", f"{1:024x}")["name"] == "n1"
    assert repo.get("things", "missing") is None


def test_returned_records_are_copies(tmp_path):
    repo = Repository(":memory:")
    repo.insert("things", record(1, config={"a": 1}))
    got = repo.get("things", f"{1:024x}")
    got["config"]["a"] = 2
    assert repo.get("things", f"{1:024x}")["config"] == {"a": 1}


def test_replace_swaps_the_whole_record(tmp_path):
    repo = Repository(str(tmp_path / "db.json"))
    repo.insert("things", record(1, extra=True))
    repo.replace("things", record(1, name="new"))
    assert repo.get("things", f"{1:024x}") == {"id": f"{1:024x}", "name": "new"}
    reopened = Repository(str(tmp_path / "db.json"))
    assert reopened.get("things", f"{1:024x}")["name"] == "new"


def test_reads_never_touch_the_file(tmp_path):
    path = tmp_path / "db.json"
    repo = Repository(str(path))
    repo.insert("things", record(1))
    before = path.stat().st_mtime_ns
    with mock.patch("builtins.open", side_effect=AssertionError("read hit the disk")):
        for _ in range(50):
            repo.get("things", f"{1:024x}")
            repo.find("things", lambda r: True)
    assert path.stat().st_mtime_ns == before


def test_a_crash_mid_write_leaves_the_previous_file_intact(tmp_path):
    path = tmp_path / "db.json"
    repo = Repository(str(path))
    repo.insert("things", record(1))
    good = path.read_text()
    with mock.patch("mockserver.store.os.replace", side_effect=OSError("power cut")):
        with pytest.raises(OSError):
            repo.insert("things", record(2))
    assert path.read_text() == good
    assert json.loads(good)["things"]
    assert [p.name for p in tmp_path.iterdir()] == ["db.json"]  # no temp file left behind


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "db.json"
    repo = Repository(str(path))

    def writer(offset: int) -> None:
        for i in range(25):
            repo.insert("things", record(offset + i))

    threads = [threading.Thread(target=writer, args=(n * 1000,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(repo.find("things", lambda r: True)) == 100
    assert len(Repository(str(path)).find("things", lambda r: True)) == 100


def test_file_is_written_with_fsync(tmp_path):
    repo = Repository(str(tmp_path / "db.json"))
    with mock.patch("mockserver.store.os.fsync", wraps=os.fsync) as fsync:
        repo.insert("things", record(1))
    assert fsync.called


def test_a_failed_write_does_not_linger_in_memory(tmp_path):
    repo = Repository(str(tmp_path / "db.json"))
    repo.insert("things", record(1))
    with mock.patch("mockserver.store.os.replace", side_effect=OSError("disk full")):
        with pytest.raises(OSError):
            repo.replace("things", record(1, name="changed"))
        with pytest.raises(OSError):
            repo.insert("things", record(2))
    assert repo.get("things", f"{1:024x}")["name"] == "n1"
    assert repo.get("things", f"{2:024x}") is None
    assert len(repo.find("things", lambda r: True)) == 1


@pytest.mark.parametrize("db", ["file", ":memory:"])
def test_a_failed_transaction_leaves_nothing_behind(tmp_path, db):
    repo = Repository(str(tmp_path / "db.json") if db == "file" else db)
    repo.insert("things", record(1))
    with pytest.raises(RuntimeError):
        with repo.transaction():
            repo.insert("things", record(2))
            repo.replace("things", record(1, name="changed"))
            repo.insert("others", record(3))
            raise RuntimeError("a later check failed")
    assert repo.get("things", f"{2:024x}") is None
    assert repo.get("others", f"{3:024x}") is None
    assert repo.get("things", f"{1:024x}")["name"] == "n1"
    repo.insert("things", record(4))  # the store still works afterwards
    assert [r["id"] for r in repo.find("things", lambda r: True)] == [f"{1:024x}", f"{4:024x}"]


def test_a_transaction_writes_the_file_once(tmp_path):
    repo = Repository(str(tmp_path / "db.json"))
    with mock.patch("mockserver.store.os.replace", wraps=os.replace) as replace:
        with repo.transaction():
            for i in range(5):
                repo.insert("things", record(i))
            with repo.transaction():  # nested blocks join the outer one
                repo.insert("others", record(9))
    assert replace.call_count == 1
    reopened = Repository(str(tmp_path / "db.json"))
    assert len(reopened.find("things", lambda r: True)) == 5 and reopened.get("others", f"{9:024x}")


def test_start_up_removes_what_a_crash_mid_write_left(tmp_path):
    path = tmp_path / "db.json"
    Repository(str(path)).insert("things", record(1))
    leftover = tmp_path / "db.jsonab12cd.tmp"
    leftover.write_text('{"half": ')
    repo = Repository(str(path))
    assert not leftover.exists()
    assert repo.get("things", f"{1:024x}")["name"] == "n1"
