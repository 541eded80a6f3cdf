"""The repository: a journal per transaction, group commit, compaction, undo on failure, one server per file."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import subprocess
import sys
import threading
from unittest import mock

import pytest
from tinydb import TinyDB

from mockserver.errors import StartupError, StorageFailed, StorageFull
from mockserver.store import Disk, Repository


def record(i: int, **extra) -> dict:
    return {"id": f"{i:024x}", "name": f"n{i}", **extra}


def rid(i: int) -> str:
    return f"{i:024x}"


class FaultyDisk(Disk):
    """A disk whose next writes (or fsyncs) fail with ``errno`` until ``heal()``."""

    def __init__(self) -> None:
        self.fail_write: int | None = None
        self.fail_fsync: int | None = None
        self.fail_truncate: int | None = None
        self.fsyncs = 0

    def write(self, fd: int, data: bytes) -> None:
        if self.fail_write is not None:
            # A full disk takes part of the line before it refuses the rest.
            os.write(fd, data[: len(data) // 2])
            raise OSError(self.fail_write, os.strerror(self.fail_write))
        super().write(fd, data)

    def fsync(self, fd: int) -> None:
        self.fsyncs += 1
        if self.fail_fsync is not None:
            raise OSError(self.fail_fsync, os.strerror(self.fail_fsync))
        super().fsync(fd)

    def truncate(self, fd: int, size: int) -> None:
        if self.fail_truncate is not None:
            raise OSError(self.fail_truncate, os.strerror(self.fail_truncate))
        super().truncate(fd, size)

    def heal(self) -> None:
        self.fail_write = self.fail_fsync = self.fail_truncate = None


@pytest.fixture
def open_repo(tmp_path):
    """Open repositories on ``tmp_path/db.json``; every one still open is closed at the end."""
    opened: list[Repository] = []

    def build(**kw) -> Repository:
        repo = Repository(str(tmp_path / "db.json"), **kw)
        opened.append(repo)
        return repo

    yield build
    for repo in opened:
        repo.close()


def test_records_round_trip_in_insertion_order(open_repo):
    repo = open_repo()
    for i in (3, 1, 2):
        repo.insert("things", record(i))
    assert [r["id"] for r in repo.find("things")] == [rid(i) for i in (3, 1, 2)]
    assert repo.get("things", rid(1))["name"] == "n1"
    assert repo.get("things", "missing") is None


def test_returned_records_are_copies():
    repo = Repository(":memory:")
    repo.insert("things", record(1, config={"a": 1}))
    got = repo.get("things", rid(1))
    got["config"]["a"] = 2
    assert repo.get("things", rid(1))["config"] == {"a": 1}


def test_a_write_appends_one_journal_line_and_close_compacts_to_plain_tinydb(tmp_path, open_repo):
    repo = open_repo()
    repo.insert("things", record(1, extra=True))
    repo.replace("things", record(1, name="new"))
    journal = tmp_path / "db.json.journal"
    assert len(journal.read_bytes().splitlines()) == 2
    repo.close()
    assert journal.read_bytes() == b""
    assert TinyDB(str(tmp_path / "db.json")).table("things").all() == [{"id": rid(1), "name": "new"}]
    assert open_repo().get("things", rid(1)) == {"id": rid(1), "name": "new"}


def test_reads_never_touch_the_file(tmp_path, open_repo):
    repo = open_repo()
    repo.insert("things", record(1))
    with mock.patch("builtins.open", side_effect=AssertionError("read hit the disk")), \
            mock.patch("mockserver.store.os.read", side_effect=AssertionError("read hit the disk")):
        for _ in range(50):
            repo.get("things", rid(1))
            repo.find("things")


def test_a_transaction_is_one_journal_line(tmp_path, open_repo):
    repo = open_repo()
    with repo.transaction():
        for i in range(5):
            repo.insert("things", record(i))
        with repo.transaction():  # nested blocks join the outer one
            repo.insert("others", record(9))
    (line,) = (tmp_path / "db.json.journal").read_bytes().splitlines()
    assert len(json.loads(line)["put"]) == 6


def test_a_write_is_fsynced_before_it_returns(open_repo):
    disk = FaultyDisk()
    repo = open_repo(disk=disk)
    repo.insert("things", record(1))
    assert disk.fsyncs == 1


def test_concurrent_writers_lose_nothing(tmp_path, open_repo):
    repo = open_repo()

    def writer(offset: int) -> None:
        for i in range(25):
            repo.insert("things", record(offset + i))

    threads = [threading.Thread(target=writer, args=(n * 1000,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(repo.find("things")) == 100
    repo.close()
    assert len(open_repo().find("things")) == 100


def test_writers_on_an_event_loop_share_one_fsync(open_repo):
    disk = FaultyDisk()
    repo = open_repo(disk=disk)

    async def burst() -> None:
        async def one(i: int) -> None:
            repo.insert("things", record(i))
            await repo.durable(repo.ticket())
        await asyncio.gather(*(one(i) for i in range(20)))

    asyncio.run(burst())
    assert len(repo.find("things")) == 20
    assert 1 <= disk.fsyncs < 20


@pytest.mark.parametrize("code, error", [(errno.ENOSPC, StorageFull), (errno.EIO, StorageFailed)])
def test_a_failed_write_leaves_no_trace_and_the_next_one_works(tmp_path, open_repo, code, error):
    disk = FaultyDisk()
    repo = open_repo(disk=disk)
    repo.insert("things", record(1))
    journal = (tmp_path / "db.json.journal").read_bytes()
    disk.fail_write = code
    with pytest.raises(error):
        repo.replace("things", record(1, name="changed"))
    with pytest.raises(error):
        with repo.transaction():
            repo.insert("things", record(2))
            repo.insert("others", record(3))
    assert repo.get("things", rid(1))["name"] == "n1"
    assert repo.get("things", rid(2)) is None and repo.get("others", rid(3)) is None
    assert repo.find("things", where={"name": "n2"}) == []
    assert (tmp_path / "db.json.journal").read_bytes() == journal  # the half line was cut off
    disk.heal()  # space is back: no restart needed
    repo.insert("things", record(2))
    repo.close()
    assert [r["id"] for r in open_repo().find("things")] == [rid(1), rid(2)]


def a_half_line_that_cannot_be_cut(open_repo) -> tuple[Repository, FaultyDisk]:
    """A store holding record 1, whose journal ends with half of record 2's refused line."""
    disk = FaultyDisk()
    repo = open_repo(disk=disk)
    repo.insert("things", record(1))
    disk.fail_write = disk.fail_truncate = errno.EIO
    with pytest.raises(StorageFailed):
        repo.insert("things", record(2))
    return repo, disk


def test_no_write_is_appended_to_a_half_line_that_could_not_be_cut_back(tmp_path, open_repo):
    repo, disk = a_half_line_that_cannot_be_cut(open_repo)
    disk.fail_write = None
    with pytest.raises(StorageFailed):
        repo.insert("things", record(3))  # refused while that half line cannot be cut
    disk.heal()
    repo.insert("things", record(4))  # acknowledged
    assert [r["id"] for r in repo.find("things")] == [rid(1), rid(4)]
    assert ids_after_a_crash(tmp_path) == [rid(1), rid(4)]


def test_a_compaction_leaves_out_a_half_line_that_could_not_be_cut_back(tmp_path, open_repo):
    repo, disk = a_half_line_that_cannot_be_cut(open_repo)
    disk.heal()
    repo.compact()
    repo.insert("things", record(3))
    assert ids_after_a_crash(tmp_path) == [rid(1), rid(3)]


def without_index_file(folder) -> None:
    """Take away the snapshot's index file, as a crash before it was written or an older server leaves it."""
    (folder / "db.json.index").unlink()


def ids_after_a_crash(folder) -> list[str]:
    """The ids a new server reads from a copy of the files as a crash now would leave them."""
    crashed = folder / "crashed"
    crashed.mkdir()
    for name in ("db.json", "db.json.journal"):
        if (folder / name).exists():
            (crashed / name).write_bytes((folder / name).read_bytes())
    reopened = Repository(str(crashed / "db.json"))
    try:
        return [r["id"] for r in reopened.find("things")]
    finally:
        reopened.close()


def test_a_failed_fsync_undoes_every_write_it_covered(tmp_path, open_repo):
    disk = FaultyDisk()
    repo = open_repo(disk=disk)
    repo.insert("things", record(1))

    async def burst() -> list:
        async def one(i: int) -> None:
            repo.insert("things", record(i))
            await repo.durable(repo.ticket())
        disk.fail_fsync = errno.EIO
        return await asyncio.gather(*(one(i) for i in range(2, 6)), return_exceptions=True)

    results = asyncio.run(burst())
    assert all(isinstance(r, StorageFailed) for r in results)
    assert [r["id"] for r in repo.find("things")] == [rid(1)]
    disk.heal()
    repo.close()
    assert [r["id"] for r in open_repo().find("things")] == [rid(1)]


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
    assert repo.get("things", rid(2)) is None
    assert repo.get("others", rid(3)) is None
    assert repo.get("things", rid(1))["name"] == "n1"
    assert repo.find("things", where={"name": "changed"}) == []
    repo.insert("things", record(4))  # the store still works afterwards
    assert [r["id"] for r in repo.find("things")] == [rid(1), rid(4)]
    repo.close()


CRASHING_WRITER = """
import os, sys
from mockserver.store import Repository
repo = Repository(sys.argv[1])
for i in range(int(sys.argv[2])):
    repo.insert("things", {"id": f"{i:024x}", "name": f"n{i}"})
os._exit(0)  # no close: no compaction, as after kill -9
"""


def test_a_crashed_server_s_journal_is_replayed_at_start_up(tmp_path, open_repo):
    subprocess.run([sys.executable, "-c", CRASHING_WRITER, str(tmp_path / "db.json"), "30"], check=True)
    assert len((tmp_path / "db.json.journal").read_bytes().splitlines()) == 30
    assert len(open_repo().find("things")) == 30


def test_a_torn_last_journal_line_is_dropped_not_fatal(tmp_path, open_repo):
    subprocess.run([sys.executable, "-c", CRASHING_WRITER, str(tmp_path / "db.json"), "3"], check=True)
    journal = tmp_path / "db.json.journal"
    whole = journal.read_bytes()
    journal.write_bytes(whole + b'{"put":[["things",4,{"id":"x')
    repo = open_repo()
    assert len(repo.find("things")) == 3
    assert journal.read_bytes() == whole  # cut back, so the next line starts clean
    repo.insert("things", record(7))
    repo.close()
    assert len(open_repo().find("things")) == 4


def test_a_corrupt_line_inside_the_journal_stops_start_up(tmp_path):
    subprocess.run([sys.executable, "-c", CRASHING_WRITER, str(tmp_path / "db.json"), "3"], check=True)
    journal = tmp_path / "db.json.journal"
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(lines[0] + b"garbage\n" + b"".join(lines[1:]))
    with pytest.raises(StartupError, match="line 2 is corrupt"):
        Repository(str(tmp_path / "db.json"))


def test_a_second_repository_on_the_same_file_is_refused(tmp_path, open_repo):
    open_repo()
    with pytest.raises(StartupError, match=rf"db.json is in use .*pid {os.getpid()}"):
        Repository(str(tmp_path / "db.json"))


def test_start_up_removes_what_a_crash_mid_write_left(tmp_path, open_repo):
    repo = open_repo()
    repo.insert("things", record(1))
    repo.close()
    leftover = tmp_path / "db.json.4242.tmp"
    leftover.write_text('{"half": ')
    assert open_repo().get("things", rid(1))["name"] == "n1"
    assert not leftover.exists()


def test_compaction_keeps_writes_made_after_it_started(tmp_path, open_repo):
    repo = open_repo()
    repo.insert("things", record(1))
    real_replace = Disk.replace_file

    def write_then_race(self, path, chunks):
        real_replace(self, path, chunks)
        if path.name == "db.json":  # between the snapshot and the journal swap
            repo.insert("things", record(2))

    with mock.patch.object(Disk, "replace_file", write_then_race):
        repo.compact()
    lines = (tmp_path / "db.json.journal").read_bytes().splitlines()
    assert [json.loads(line)["put"][0][2]["id"] for line in lines] == [rid(2)]
    repo.close()
    assert [r["id"] for r in open_repo().find("things")] == [rid(1), rid(2)]


def test_the_journal_is_compacted_past_its_size_threshold(tmp_path, open_repo):
    repo = open_repo(compact_bytes=2_000)
    compacted, compact = threading.Condition(), repo.compact

    def compact_and_tell() -> None:  # the background compactor calls it
        compact()
        with compacted:
            compacted.notify_all()

    repo.compact = compact_and_tell
    for i in range(100):
        repo.insert("things", record(i, pad="x" * 100))
    journal = tmp_path / "db.json.journal"
    with compacted:  # each compaction wakes the test up to look (the timeout only stops a hang)
        assert compacted.wait_for(lambda: journal.stat().st_size < 2_000 + 200, timeout=300)
    assert len(TinyDB(str(tmp_path / "db.json")).table("things")) >= 80


def test_indexed_lookups_follow_every_change(open_repo):
    repo = open_repo()
    for i in range(6):
        repo.insert("things", record(i, tenant="a" if i % 2 else "b", deleted=False))
    assert [r["id"] for r in repo.find("things", where={"tenant": "a", "deleted": False})] == [rid(1), rid(3), rid(5)]
    repo.replace("things", record(3, tenant="a", deleted=True))
    assert repo.select("things", None, 1, 2, where={"tenant": "a", "deleted": False}) == (2, [repo.get("things", rid(5))])
    united = repo.find("things", where=[{"tenant": "a", "deleted": True}, {"tenant": "b", "deleted": False}])
    assert [r["id"] for r in united] == [rid(0), rid(2), rid(3), rid(4)]


# Records of every shape an indexed field meets: a plain value, none, null, a list or object
# (keyed by their JSON), and a path that ends early or crosses a value that is not an object.
SHAPES = [
    {"tenant": "a", "config": {"slot": "s1"}},
    {"tenant": "a"},
    {"tenant": None, "config": None},
    {"tenant": ["a"], "config": {"slot": ["s1"]}},
    {"tenant": {"a": 1}, "config": "s1"},
    {"config": {"slot": None}},
    {"tenant": "a", "config": {"slot": {"deep": 1}}},
    {"tenant": "b", "config": {"other": "s1"}},
    {"tenant": "a", "config": ["slot"]},
]


@pytest.mark.parametrize("where", [
    {"tenant": "a"}, {"tenant": None}, {"tenant": ["a"]}, {"tenant": {"a": 1}},
    {"tenant": "a", ("config", "slot"): "s1"}, {("config", "slot"): None}, {("config", "slot"): ["s1"]},
    {("config", "slot"): {"deep": 1}}, {"tenant": "b", ("config", "slot"): None},
])
def test_an_index_finds_what_a_scan_finds_whatever_the_records_hold(open_repo, where):
    def value(found: dict, field):
        for part in [field] if isinstance(field, str) else field:
            found = found.get(part) if isinstance(found, dict) else None
        return found

    repo = open_repo()
    repo.insert_many("things", [record(i, **shape) for i, shape in enumerate(SHAPES)])
    expected = [r["id"] for r in repo.find("things", lambda r: all(value(r, f) == v for f, v in where.items()))]
    assert expected, "each clause matches some record"
    assert [r["id"] for r in repo.find("things", where=where)] == expected  # the index, built from the table
    repo.replace("things", record(0, tenant="z"))  # and kept up to date by a write
    repo.insert("things", record(len(SHAPES), **SHAPES[0]))
    expected = [r["id"] for r in repo.find("things", lambda r: all(value(r, f) == v for f, v in where.items()))]
    assert [r["id"] for r in repo.find("things", where=where)] == expected


def test_export_and_replace_state(tmp_path, open_repo):
    repo = open_repo()
    repo.insert("things", record(1))
    saved = repo.export_state()
    repo.insert("things", record(2))
    repo.insert("others", record(3))
    repo.replace_state(saved)
    assert [r["id"] for r in repo.find("things")] == [rid(1)] and repo.find("others") == []
    repo.insert("things", record(4))
    assert saved == {"things": [record(1)]}  # the export was a copy
    with pytest.raises(ValueError):
        repo.replace_state({"things": {"1": record(9)}})
    repo.close()
    reopened = open_repo()
    assert [r["id"] for r in reopened.find("things")] == [rid(1), rid(4)] and reopened.find("others") == []


@pytest.mark.parametrize("write, state", [("replace_state", {}),
                                          ("merge_state", {"things": [record(1, name="changed"), record(2)]})])
def test_a_whole_state_that_cannot_be_written_changes_nothing(open_repo, write, state):
    disk = FaultyDisk()
    repo = open_repo(disk=disk)
    repo.insert("things", record(1))
    disk.fail_write = errno.ENOSPC
    with pytest.raises(StorageFull):
        getattr(repo, write)(state)
    assert repo.export_state() == {"things": [record(1)]}


def test_integers_beyond_64_bits_are_kept_exactly(open_repo):
    big, bigger = 2 ** 70 + 1, -(2 ** 80) - 1  # no float holds either: a float read back is caught
    repo = open_repo()
    repo.insert("things", record(1, big=big, small=-(2 ** 63)))
    assert repo.get("things", rid(1))["big"] == big
    repo.close()
    reopened = open_repo()
    assert reopened.get("things", rid(1))["big"] == big
    reopened.insert("things", record(2, big=bigger))
    reopened.close()
    assert open_repo().get("things", rid(2))["big"] == bigger


def test_a_snapshot_written_by_hand_keeps_its_big_integers_after_it_is_vouched_for(tmp_path, open_repo):
    big = 2 ** 70 + 1
    (tmp_path / "db.json").write_text(json.dumps({"things": {"1": record(1, big=big)}}))
    repo = open_repo()
    assert repo.get("things", rid(1))["big"] == big
    repo.vouch()  # as start-up does once every record was checked
    repo.close()
    assert open_repo().get("things", rid(1))["big"] == big


def test_a_restart_builds_the_indexes_the_last_server_used_taking_in_the_writes_made_meanwhile(tmp_path, 
        open_repo, monkeypatch):
    repo = open_repo()
    repo.insert_many("things", [record(i, colour="red") for i in range(1, 6)])
    assert len(repo.find("things", where={"colour": "red"})) == 5
    repo.close()
    without_index_file(tmp_path)

    copied, go, builds = threading.Event(), threading.Event(), []
    build = Repository._buckets

    def build_slowly(self, rows, fields):
        builds.append(fields)
        copied.set()
        go.wait(10)  # the writes below land between the copy of the rows and the index going live
        return build(self, rows, fields)

    monkeypatch.setattr(Repository, "_buckets", build_slowly)
    reopened = open_repo()
    reopened.warm_indexes()
    assert copied.wait(10)
    reopened.replace("things", record(1, colour="blue"))
    reopened.insert("things", record(9, colour="red"))
    reopened.replace("things", record(2, colour="red", size=3))
    go.set()
    reopened._indexer.join(10)
    red = reopened.find("things", where={"colour": "red"})
    assert [r["id"] for r in red] == [rid(2), rid(3), rid(4), rid(5), rid(9)]
    assert reopened.find("things", where={"colour": "blue"}) == [record(1, colour="blue")]
    assert builds == [("colour",)]  # built once, off the lock: no request had to build it


def test_an_index_built_in_the_background_is_dropped_when_the_whole_state_is_replaced(tmp_path, open_repo, monkeypatch):
    repo = open_repo()
    repo.insert_many("things", [record(i, colour="red") for i in range(1, 4)])
    assert repo.find("things", where={"colour": "red"})
    repo.close()
    without_index_file(tmp_path)

    copied, go = threading.Event(), threading.Event()
    build = Repository._buckets

    def build_slowly(self, rows, fields):
        if threading.current_thread().name == "store-indexer":
            copied.set()
            go.wait(10)
        return build(self, rows, fields)

    monkeypatch.setattr(Repository, "_buckets", build_slowly)
    reopened = open_repo()
    reopened.warm_indexes()
    assert copied.wait(10)
    reopened.replace_state({"things": [record(7, colour="red")]})
    go.set()
    reopened._indexer.join(10)
    assert [r["id"] for r in reopened.find("things", where={"colour": "red"})] == [rid(7)]
