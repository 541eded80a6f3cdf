"""The repository's promises to its callers: lookups, whole-state exchange, errors, and what a failure leaves."""

from __future__ import annotations

import asyncio
import contextvars
import errno
import logging
import os
import threading

import pytest
from tinydb import TinyDB

import mockserver.store as store
from mockserver.errors import StorageFailed, StorageFull
from mockserver.store import Repository
from tests.domain.test_store import FaultyDisk, open_repo, record, rid  # noqa: F401  (open_repo is a fixture)


def ids(records) -> list[str]:
    return [r["id"] for r in records]


@pytest.mark.parametrize("db", ["file", ":memory:"])
def test_lookups_by_list_object_and_nested_fields(tmp_path, db):
    repo = Repository(str(tmp_path / "db.json") if db == "file" else db)
    repo.insert_many("things", [
        record(1, tags=["a", "b"], config={"slot.name": "s1", "opts": {"x": 1}}),
        record(2, tags=["b"], config={"slot.name": "s2"}),
        record(3, tags=["b", "a"], config="not an object"),
        record(4),
    ])
    slot = ("config", "slot.name")
    assert ids(repo.find("things", where={"tags": ["a", "b"]})) == [rid(1)]
    assert ids(repo.find("things", where={slot: "s2"})) == [rid(2)]
    assert ids(repo.find("things", where={slot: None})) == [rid(3), rid(4)]
    assert ids(repo.find("things", where={("config", "opts"): {"x": 1}})) == [rid(1)]
    assert ids(repo.find("things", where=[{slot: "s1"}, {"tags": ["b"]}])) == [rid(1), rid(2)]
    # the indexes built above follow the writes
    repo.insert("things", record(5, tags=["a", "b"], config={"slot.name": "s5"}))
    repo.replace("things", record(5, tags=["c"], config={"slot.name": "s6"}))
    repo.replace("things", record(2, tags=["a", "b"], config="no longer an object"))
    assert ids(repo.find("things", where={"tags": ["a", "b"]})) == [rid(1), rid(2)]
    assert ids(repo.find("things", where={slot: "s6"})) == [rid(5)]
    assert repo.find("things", where={slot: "s2"}) == []
    assert ids(repo.find("things", where={slot: None})) == [rid(2), rid(3), rid(4)]
    assert ids(repo.find("things", where={slot: "s6", "tags": ["c"]})) == [rid(5)]
    assert repo.count("things", where={"tags": ["b"]}) == 0
    repo.close()


def test_an_indexed_filter_selects_what_the_equality_test_selects():
    repo = Repository(":memory:")
    values = [1, 1.0, True, "1", 2, None, 0, False]
    repo.insert_many("things", [record(i, size=value) for i, value in enumerate(values)])
    for wanted in (1, 0, "1", None):
        expected = repo.find("things", lambda r: r.get("size") == wanted)
        assert repo.find("things", where={"size": wanted}) == expected, wanted


@pytest.mark.parametrize("start, stop", [(0, None), (2, None), (0, 3), (2, 4), (5, 9)])
def test_a_page_of_a_whole_table_is_its_slice(start, stop):
    repo = Repository(":memory:")
    repo.insert_many("things", [record(i) for i in range(6)])
    total, page = repo.select("things", None, start, stop)
    assert (total, ids(page)) == (6, [rid(i) for i in range(6)][start:stop])


def test_export_state_keeps_creation_order_past_nine_records():
    repo = Repository(":memory:")
    repo.insert_many("things", [record(i) for i in range(12, 0, -1)])
    assert ids(repo.export_state()["things"]) == [rid(i) for i in range(12, 0, -1)]


@pytest.mark.parametrize("state", [
    [],
    {"things": {"1": record(1)}},
    {"things": [1]},
    {"things": [{"name": "no id"}]},
    {"things": [{"id": 5}]},
])
def test_a_malformed_state_is_refused_and_changes_nothing(open_repo, state):
    repo = open_repo()
    repo.insert("things", record(1))
    with pytest.raises(ValueError) as raised:
        repo.replace_state(state)
    assert str(raised.value) == "state must be {table: [{id: ..., ...}, ...]}"
    assert repo.export_state() == {"things": [record(1)]}


def test_an_id_taken_or_missing_is_a_key_error_naming_it(open_repo):
    repo = open_repo()
    repo.insert("things", record(1))
    with pytest.raises(KeyError) as taken:
        repo.insert("things", record(1, name="again"))
    assert taken.value.args == (f"things already holds id {rid(1)}",)
    with pytest.raises(KeyError) as missing:
        repo.replace("things", record(2))
    assert missing.value.args == (f"things holds no id {rid(2)}",)
    assert repo.export_state() == {"things": [record(1)]}


@pytest.mark.parametrize("failure, error, detail", [
    (OSError(errno.ENOSPC, "No space left on device"), StorageFull,
     "Storage is full (No space left on device); nothing was written. Free space and retry."),
    (OSError(errno.EIO, "Input/output error"), StorageFailed,
     "Storage failed (Input/output error); nothing was written. Retry later."),
    (OSError("the device went away"), StorageFailed,
     "Storage failed (the device went away); nothing was written. Retry later."),
])
def test_a_write_the_disk_refuses_answers_with_the_cause(open_repo, failure, error, detail):
    class Refusing(FaultyDisk):
        def write(self, fd: int, data: bytes) -> None:
            raise failure

    repo = open_repo(disk=Refusing())
    with pytest.raises(error) as raised:
        repo.insert("things", record(1))
    assert type(raised.value) is error
    assert (raised.value.status, raised.value.detail) == (error.status, detail)
    assert repo.find("things") == []


def test_a_journal_that_cannot_be_cut_back_is_logged_with_its_size(tmp_path, open_repo, caplog):
    class Stuck(FaultyDisk):
        def truncate(self, fd: int, size: int) -> None:
            raise OSError(errno.EIO, "Input/output error")

    disk = Stuck()
    repo = open_repo(disk=disk)
    repo.insert("things", record(1))
    size = (tmp_path / "db.json.journal").stat().st_size
    disk.fail_write = errno.EIO
    with caplog.at_level(logging.ERROR, logger="streamkap_mock"), pytest.raises(StorageFailed):
        repo.insert("things", record(2))
    (logged,) = [r for r in caplog.records if r.name == "streamkap_mock"]
    assert logged.getMessage() == f"could not cut {tmp_path / 'db.json.journal'} back to {size} bytes"
    assert logged.exc_info and logged.exc_info[1].errno == errno.EIO
    assert ids(repo.find("things")) == [rid(1)]


def test_a_write_made_on_an_event_loop_and_not_yet_awaited_is_in_the_next_snapshot(tmp_path, open_repo):
    disk = FaultyDisk()
    repo = open_repo(disk=disk)

    async def write() -> None:
        repo.insert("things", record(1))  # on a loop the fsync waits for durable()

    asyncio.run(write())
    assert disk.fsyncs == 0
    repo.compact()
    assert (tmp_path / "db.json.journal").read_bytes() == b""
    assert TinyDB(str(tmp_path / "db.json")).table("things").all() == [record(1)]


def test_a_failed_fsync_keeps_the_writes_already_durable(open_repo):
    disk = FaultyDisk()
    repo = open_repo(disk=disk)
    repo.insert("things", record(1))
    repo.insert("things", record(2))

    async def write() -> None:
        repo.insert("things", record(3))
        disk.fail_fsync = errno.EIO
        await repo.durable(repo.ticket())

    with pytest.raises(StorageFailed):
        asyncio.run(write())
    assert ids(repo.find("things")) == [rid(1), rid(2)]
    disk.heal()
    repo.close()
    assert ids(open_repo().find("things")) == [rid(1), rid(2)]


def test_a_write_undone_by_another_request_s_failed_fsync_is_reported_to_its_own(open_repo):
    disk = FaultyDisk()
    repo = open_repo(disk=disk)

    async def two_writes() -> list[BaseException]:
        repo.insert("things", record(1))
        first = repo.ticket()
        repo.insert("things", record(2))
        second = repo.ticket()
        disk.fail_fsync = errno.EIO
        errors = []
        for ticket in (first, second):
            try:
                await repo.durable(ticket)
            except StorageFailed as exc:
                errors.append(exc)
        return errors

    first, second = asyncio.run(two_writes())
    assert (first.status, first.detail) == (503, "Storage failed (Input/output error); nothing was written. Retry later.")
    assert (second.status, second.detail) == (
        503, "Storage failed while saving this change; nothing was written. Retry later.")
    assert repo.find("things") == []


def test_a_ticket_starts_at_no_write_and_carries_over_to_another_context(open_repo):
    repo = open_repo()

    def request() -> int:
        Repository.set_ticket()
        assert Repository.ticket() == 0
        repo.insert("things", record(1))
        return Repository.ticket()

    written = contextvars.copy_context().run(request)
    assert written > 0

    def carried() -> int:
        Repository.set_ticket(written)
        return Repository.ticket()

    assert contextvars.copy_context().run(carried) == written


def test_warming_indexes_of_a_store_in_memory_does_nothing():
    repo = Repository(":memory:")
    repo.insert("things", record(1, colour="red"))
    repo.warm_indexes()  # no last server, so no index to build
    assert ids(repo.find("things", where={"colour": "red"})) == [rid(1)]


def test_a_snapshot_that_cannot_be_created_is_logged_with_its_cause_and_the_journal_kept(
        tmp_path, open_repo, monkeypatch, caplog):
    repo = open_repo()
    repo.insert("things", record(1))
    real_open = open

    def no_space_for_new_files(path, *args, **kwargs):
        if str(path).endswith(".tmp"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(store, "open", no_space_for_new_files, raising=False)
    with caplog.at_level(logging.WARNING, logger="streamkap_mock"):
        repo.close()
    monkeypatch.undo()
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "streamkap_mock"]
    assert logged == (f"could not compact {tmp_path / 'db.json'} at shutdown ([Errno {errno.ENOSPC}] "
                      "No space left on device); the journal keeps every write")
    assert not (tmp_path / "db.json").exists()
    assert list(tmp_path.glob("*.tmp")) == []
    assert ids(open_repo().find("things")) == [rid(1)]


def test_a_failed_fsync_covering_only_durable_writes_leaves_a_later_write_to_its_own_fsync(open_repo):
    """A flush for seq 1 fails after another fsync made seq 1 durable: seq 2, written meanwhile, is not undone."""
    entered = [threading.Event(), threading.Event()]
    release = [threading.Event(), threading.Event()]

    class Scripted(FaultyDisk):
        def fsync(self, fd: int) -> None:
            call = self.fsyncs
            self.fsyncs += 1
            if call < 2:  # the first fsync succeeds when released, the second fails when released
                entered[call].set()
                assert release[call].wait(10)
                if call == 1:
                    raise OSError(errno.EIO, "Input/output error")
            os.fsync(fd)

    repo = open_repo(disk=Scripted())
    writer = threading.Thread(target=repo.insert, args=("things", record(1)))  # no loop: it syncs at once
    writer.start()
    assert entered[0].wait(10)

    async def scenario() -> None:
        first = asyncio.ensure_future(repo.durable(1))  # its flush waits behind the writer's fsync
        await asyncio.sleep(0)
        release[0].set()
        assert await asyncio.to_thread(entered[1].wait, 10)
        await asyncio.to_thread(writer.join, 10)
        repo.insert("things", record(2))
        second = repo.ticket()
        release[1].set()
        await first  # seq 1 was made durable by the writer's fsync
        await repo.durable(second)  # and seq 2 by its own

    asyncio.run(scenario())
    assert ids(repo.find("things")) == [rid(1), rid(2)]
    repo.close()
    assert ids(open_repo().find("things")) == [rid(1), rid(2)]


def test_a_journal_left_idle_is_folded_into_the_snapshot(tmp_path, open_repo):
    repo = open_repo(compact_idle=0.05)
    repo.insert("things", record(1))
    journal = tmp_path / "db.json.journal"
    for _ in range(500):  # the compactor runs on its own thread, after the idle time
        if not journal.stat().st_size:
            break
        threading.Event().wait(0.02)
    assert journal.read_bytes() == b""
    assert TinyDB(str(tmp_path / "db.json")).table("things").all() == [record(1)]


def test_a_failed_compaction_is_logged_and_retried(tmp_path, open_repo, monkeypatch, caplog):
    real_open = open
    full = threading.Event()
    full.set()

    def no_space_while_full(path, *args, **kwargs):
        if full.is_set() and str(path).endswith(".tmp"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(store, "open", no_space_while_full, raising=False)
    journal = tmp_path / "db.json.journal"
    with caplog.at_level(logging.WARNING, logger="streamkap_mock"):
        repo = open_repo(compact_idle=0.05)
        repo.insert("things", record(1))
        for _ in range(500):  # the compactor thread tries once the journal has been idle
            if caplog.records:
                break
            threading.Event().wait(0.02)
        full.clear()  # space is back: the next round folds the journal
        for _ in range(500):
            if not journal.stat().st_size:
                break
            threading.Event().wait(0.02)
    assert caplog.records[0].getMessage() == (f"compaction of {tmp_path / 'db.json'} failed "
                                              f"([Errno {errno.ENOSPC}] No space left on device); will retry")
    assert journal.read_bytes() == b""
    assert TinyDB(str(tmp_path / "db.json")).table("things").all() == [record(1)]


def test_records_are_stored_and_compacted_in_their_shrunk_form(tmp_path, open_repo):
    def shrink(record: dict) -> dict:
        return {k: v for k, v in record.items() if k != "payload"} if record.get("deleted") else record

    repo = open_repo(shrink=shrink)
    repo.insert("things", record(1, payload="kept"))
    repo.insert("things", record(2, payload="dropped", deleted=True))
    assert repo.get("things", rid(2)) == record(2, deleted=True)
    (line,) = [ln for ln in (tmp_path / "db.json.journal").read_bytes().splitlines() if b'"deleted"' in ln]
    assert b"dropped" not in line
    repo.close()
    assert TinyDB(str(tmp_path / "db.json")).table("things").all() == [
        record(1, payload="kept"), record(2, deleted=True)]


def test_a_store_in_memory_loaded_nothing_so_has_nothing_to_check():
    repo = Repository(":memory:")
    repo.insert("things", record(1))
    assert list(repo.unvouched("things")) == []


def test_the_store_s_background_thread_is_named_for_thread_dumps(open_repo):
    open_repo()
    assert "store-compactor" in [thread.name for thread in threading.enumerate()]


def test_a_first_write_long_after_opening_is_still_compacted_when_idle(tmp_path, open_repo, monkeypatch):
    crashed = []
    monkeypatch.setattr(threading, "excepthook", crashed.append)
    repo = open_repo(compact_idle=0.02)
    threading.Event().wait(0.3)  # the compactor has looked several times and found nothing written
    repo.insert("things", record(1))
    journal = tmp_path / "db.json.journal"
    for _ in range(500):
        if not journal.stat().st_size:
            break
        threading.Event().wait(0.02)
    assert crashed == []
    assert journal.read_bytes() == b""


def test_a_field_name_is_one_key_even_beside_a_path():
    repo = Repository(":memory:")
    # "ab" read as a path would reach 1 through "a" then "b"; as the name it is, the record lacks it
    repo.insert_many("things", [record(1, a={"b": 1}, c={"d": 2}), record(2, ab=1, c={"d": 2})])
    assert ids(repo.find("things", where={"ab": None, ("c", "d"): 2})) == [rid(1)]
    assert ids(repo.find("things", where={"ab": 1, ("c", "d"): 2})) == [rid(2)]
    assert ids(repo.find("things", where={"ab": 1, "id": rid(2)})) == [rid(2)]
