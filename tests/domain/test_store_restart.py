"""What a later server reads back: the journal a crash left, the snapshot and its stamp, the files searched."""

from __future__ import annotations

import errno
import fcntl
import gc
import json
import logging
import os
import re
import stat
import subprocess
import sys
import threading

import pytest
from tinydb import TinyDB

from mockserver.errors import StartupError, StorageFull
from mockserver.store import Repository
from tests.domain.test_store import FaultyDisk, open_repo, record, rid, without_index_file  # noqa: F401  (open_repo is a fixture)


def crash_after(db, code: str) -> None:
    """Run ``code`` against ``repo`` on ``db`` in another process that then dies without closing it."""
    script = f"import os, sys\nfrom mockserver.store import Repository\nrepo = Repository(sys.argv[1])\n{code}\nos._exit(0)\n"
    subprocess.run([sys.executable, "-c", script, str(db)], check=True)


def ids(records) -> list[str]:
    return [r["id"] for r in records]


def test_after_a_clean_shutdown_a_restart_has_no_record_to_check(open_repo):
    repo = open_repo()
    repo.insert_many("things", [record(1), record(2)])
    repo.close()
    reopened = open_repo()
    assert ids(reopened.find("things")) == [rid(1), rid(2)]
    assert list(reopened.unvouched("things")) == []


def test_after_a_crash_a_restart_checks_only_what_the_journal_replayed(tmp_path, open_repo):
    repo = open_repo()
    repo.insert_many("things", [record(1), record(2), record(3)])
    repo.close()
    crash_after(tmp_path / "db.json", f"repo.replace('things', {record(2, name='new')!r})\n"
                                      f"repo.insert('things', {record(4)!r})")
    reopened = open_repo()
    assert ids(reopened.find("things")) == [rid(1), rid(2), rid(3), rid(4)]
    assert reopened.get("things", rid(2))["name"] == "new"
    assert sorted(ids(reopened.unvouched("things"))) == [rid(2), rid(4)]
    assert list(reopened.unvouched("others")) == []


def test_a_state_replaced_before_a_crash_is_replayed_whole(tmp_path, open_repo):
    repo = open_repo()
    repo.insert_many("things", [record(1), record(2)])
    repo.close()
    state = {"things": [record(5)], "others": [record(6)]}
    crash_after(tmp_path / "db.json", f"repo.replace_state({state!r})\nrepo.insert('things', {record(7)!r})")
    reopened = open_repo()
    assert reopened.export_state() == {"others": [record(6)], "things": [record(5), record(7)]}
    assert sorted(ids(reopened.unvouched("things"))) == [rid(5), rid(7)]
    assert ids(reopened.unvouched("others")) == [rid(6)]


def test_a_snapshot_this_store_did_not_write_is_checked_whole_until_vouched_for(tmp_path, open_repo):
    (tmp_path / "db.json").write_text(json.dumps({"things": {"1": record(1), "2": record(2)}}))
    repo = open_repo()
    assert ids(repo.unvouched("things")) == [rid(1), rid(2)]
    assert list(repo.unvouched("absent")) == []
    repo.vouch()
    assert list(repo.unvouched("things")) == []
    repo.close()
    assert list(open_repo().unvouched("things")) == []


def test_a_snapshot_edited_after_the_server_stopped_is_checked_whole(tmp_path, open_repo):
    repo = open_repo()
    repo.insert_many("things", [record(1), record(2)])
    repo.close()
    snapshot = tmp_path / "db.json"
    data = json.loads(snapshot.read_text())
    data["things"]["2"]["name"] = "edited by hand"
    snapshot.write_text(json.dumps(data))
    reopened = open_repo()
    assert reopened.get("things", rid(2))["name"] == "edited by hand"
    assert ids(reopened.unvouched("things")) == [rid(1), rid(2)]


def test_the_snapshot_numbers_documents_as_tinydb_does(tmp_path, open_repo):
    repo = open_repo()
    for i in (7, 8, 9):
        repo.insert("things", record(i))
    repo.close()
    stored = TinyDB(str(tmp_path / "db.json")).table("things")
    assert [(d.doc_id, d["id"]) for d in stored.all()] == [(1, rid(7)), (2, rid(8)), (3, rid(9))]
    repo = open_repo()
    repo.insert("things", record(10))  # numbered on from the snapshot's last
    repo.close()
    assert [d.doc_id for d in TinyDB(str(tmp_path / "db.json")).table("things").all()] == [1, 2, 3, 4]
    repo = open_repo()
    repo.replace_state({"things": [record(4), record(5)], "others": []})
    repo.insert("others", record(6))  # the first of a table the state left empty
    repo.close()
    stored = TinyDB(str(tmp_path / "db.json"))
    assert [(d.doc_id, d["id"]) for d in stored.table("things").all()] == [(1, rid(4)), (2, rid(5))]
    assert [(d.doc_id, d["id"]) for d in stored.table("others").all()] == [(1, rid(6))]
    crash_after(tmp_path / "db.json", f"repo.insert('things', {record(11)!r})")
    repo = open_repo()
    repo.insert("things", record(12))
    repo.close()
    stored = TinyDB(str(tmp_path / "db.json")).table("things")
    assert [d.doc_id for d in stored.all()] == [1, 2, 3, 4]


SEAL = re.compile(rb'"seal":"(\w+)"')


def test_a_stored_value_is_found_in_the_snapshot_and_in_the_journal(tmp_path, open_repo):
    assert Repository(":memory:").search_stored(SEAL) is None
    repo = open_repo()
    assert repo.search_stored(SEAL) is None  # no file yet
    repo.insert("things", record(1, seal="insnapshot"))
    repo.close()
    reopened = open_repo()
    assert reopened.search_stored(SEAL) == b"insnapshot"
    reopened.close()
    (tmp_path / "db.json").write_text(json.dumps({"things": {"1": record(1)}}))
    crash_after(tmp_path / "db.json", f"repo.insert('things', {record(2, seal='injournal')!r})")
    repo = open_repo()
    assert repo.search_stored(SEAL) == b"injournal"
    assert repo.search_stored(re.compile(rb'"absent":"(\w+)"')) is None


def test_the_lock_beside_the_database_names_its_holder(tmp_path, open_repo):
    open_repo()
    lock = tmp_path / "db.json.lock"
    assert lock.read_text().split("\n")[0] == str(os.getpid())
    with pytest.raises(StartupError) as refused:
        Repository(str(tmp_path / "db.json"))
    assert str(refused.value) == (f"{tmp_path / 'db.json'} is in use by another streamkap-mock server "
                                  f"(pid {os.getpid()}); stop it or give this one another --db")


@pytest.mark.parametrize("content, holder", [(b"", "unknown"), (b"  \n", "unknown"), (b"\xff42\n", "\ufffd42")])
def test_a_lock_held_by_a_process_that_has_not_named_itself_is_still_reported(tmp_path, content, holder):
    lock = tmp_path / "db.json.lock"
    lock.write_bytes(content)
    with open(lock, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(StartupError) as refused:
            Repository(str(tmp_path / "db.json"))
    assert f"(pid {holder});" in str(refused.value)


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o002, 0o664)])
def test_the_journal_and_the_lock_take_their_mode_from_the_umask_as_the_snapshot_does(tmp_path, open_repo,
                                                                                      umask, mode):
    # 002 is the image's: any uid of its group then reuses the files (tests/http/test_file_modes.py).
    previous = os.umask(umask)
    try:
        repo = open_repo()
        repo.insert("things", record(1))
        repo.compact()
    finally:
        os.umask(previous)
    for name in ("db.json", "db.json.journal", "db.json.lock"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name


@pytest.mark.parametrize("content", [b"\xff\xfe\n\xff\n\xff", b"1\n\nnot json\n", b"1\n\nnull\n", b"1\n\n[5]\n"])
def test_a_lock_file_left_in_another_shape_does_not_stop_start_up(tmp_path, open_repo, content):
    repo = open_repo()
    repo.insert("things", record(1))
    repo.close()
    (tmp_path / "db.json.lock").write_bytes(content)
    reopened = open_repo()
    assert ids(reopened.find("things")) == [rid(1)]
    assert list(reopened.unvouched("things")) == [record(1)]  # no stamp of it: checked again


def watch_index_builds(monkeypatch) -> tuple[list, list]:
    """Record each index build (thread name, fields) and each exception a thread leaves unhandled."""
    built: list = []
    crashed: list = []
    build = Repository._buckets

    def recording(self, rows, fields):
        built.append((threading.current_thread().name, fields))
        return build(self, rows, fields)

    monkeypatch.setattr(Repository, "_buckets", recording)
    monkeypatch.setattr(threading, "excepthook", crashed.append)
    return built, crashed


def test_a_restart_warms_an_index_on_a_nested_field(tmp_path, open_repo, monkeypatch):
    slot = ("config", "slot.name")
    repo = open_repo()
    repo.insert_many("things", [record(i, config={"slot.name": f"s{i % 2}"}) for i in range(1, 5)])
    assert ids(repo.find("things", where={slot: "s1"})) == [rid(1), rid(3)]
    repo.close()
    without_index_file(tmp_path)

    built, crashed = watch_index_builds(monkeypatch)
    reopened = open_repo()
    reopened.warm_indexes()
    reopened._indexer.join(10)
    assert crashed == [] and built == [("store-indexer", (slot,))]
    assert ids(reopened.find("things", where={slot: "s1"})) == [rid(1), rid(3)]
    assert len(built) == 1  # the lookup used the warmed index


def test_an_index_remembered_for_a_table_now_gone_does_not_stop_the_others_warming(tmp_path, open_repo, monkeypatch):
    repo = open_repo()
    repo.insert_many("things", [record(i, colour="red") for i in range(1, 4)])
    assert repo.find("gone", where={"colour": "red"}) == []  # remembered, though the table holds nothing
    assert len(repo.find("things", where={"colour": "red"})) == 3
    repo.close()
    without_index_file(tmp_path)

    built, crashed = watch_index_builds(monkeypatch)
    reopened = open_repo()
    reopened.warm_indexes()
    reopened.close()  # waits for the warming to end
    assert crashed == []
    assert ("store-indexer", ("colour",)) in built


def test_a_database_in_folders_not_made_yet_is_created_with_them(tmp_path):
    repo = Repository(str(tmp_path / "a" / "b" / "db.json"))
    repo.insert("things", record(1))
    repo.close()
    assert ids(Repository(str(tmp_path / "a" / "b" / "db.json")).find("things")) == [rid(1)]


def test_opening_a_store_leaves_the_garbage_collector_as_it_found_it(open_repo):
    assert gc.isenabled()
    open_repo()
    assert gc.isenabled()


def test_a_snapshot_of_only_whitespace_is_an_empty_database(tmp_path, open_repo):
    (tmp_path / "db.json").write_bytes(b" \n\t\n")
    assert open_repo().export_state() == {}


def test_an_unreadable_snapshot_stops_start_up_naming_the_file(tmp_path):
    (tmp_path / "db.json").write_bytes(b'{"things": ')
    with pytest.raises(StartupError) as refused:
        Repository(str(tmp_path / "db.json"))
    message = str(refused.value)
    assert message.startswith(f"{tmp_path / 'db.json'} is not a readable database (")
    assert message.endswith("); fix it or move it away")


@pytest.mark.parametrize("snapshot", [
    {"things": {"1": {"name": "no id"}}},
    {"things": {"1": "not a record"}},
    {"things": [record(1)]},
    [record(1)],
])
def test_a_snapshot_that_is_not_tables_of_records_with_ids_stops_start_up(tmp_path, snapshot):
    (tmp_path / "db.json").write_text(json.dumps(snapshot))
    with pytest.raises(StartupError) as refused:
        Repository(str(tmp_path / "db.json"))
    assert str(refused.value) == (f"{tmp_path / 'db.json'} is not a database (not an object of tables of "
                                  "records with ids); fix it or move it away")


def journal_of(tmp_path, count: int) -> list[bytes]:
    """The journal lines of ``count`` inserts made by a server that then crashed."""
    crash_after(tmp_path / "db.json", f"for i in range({count}):\n    repo.insert('things', {{'id': str(i)}})")
    return (tmp_path / "db.json.journal").read_bytes().splitlines(keepends=True)


@pytest.mark.parametrize("corrupt_at", [1, 2])
def test_a_corrupt_or_empty_line_followed_by_written_ones_stops_start_up(tmp_path, corrupt_at):
    lines = journal_of(tmp_path, 3)
    for bad in (b"garbage\n", b"\n"):
        damaged = b"".join(lines[:corrupt_at] + [bad] + lines[corrupt_at:])
        (tmp_path / "db.json.journal").write_bytes(damaged)
        with pytest.raises(StartupError) as refused:
            Repository(str(tmp_path / "db.json"))
        message = str(refused.value)
        assert message.startswith(f"{tmp_path / 'db.json.journal'} line {corrupt_at + 1} is corrupt (")
        assert message.endswith("); fix it or move it away")
        assert (tmp_path / "db.json.journal").read_bytes() == damaged  # left for the user to look at


@pytest.mark.parametrize("torn", [b'{"put":[["things",4,{"id":"x', b'{"put":[["things",4,{"id":"x\n', b"{}"])
def test_a_torn_last_line_is_dropped_with_a_warning(tmp_path, open_repo, caplog, torn):
    lines = journal_of(tmp_path, 2)
    journal = tmp_path / "db.json.journal"
    journal.write_bytes(b"".join(lines) + torn)
    with caplog.at_level(logging.WARNING, logger="streamkap_mock"):
        repo = open_repo()
    assert ids(repo.find("things")) == ["0", "1"]
    assert [r.getMessage() for r in caplog.records] == [
        f"{journal}: dropped a torn last line (a crash mid-write; it was never acknowledged)"]
    assert journal.read_bytes() == b"".join(lines)


def test_after_replaying_a_journal_a_failed_write_cuts_back_only_its_own_line(tmp_path, open_repo):
    lines = journal_of(tmp_path, 3)
    disk = FaultyDisk()
    repo = open_repo(disk=disk)
    disk.fail_write = errno.ENOSPC
    with pytest.raises(StorageFull):
        repo.insert("things", {"id": "3"})
    assert (tmp_path / "db.json.journal").read_bytes() == b"".join(lines)
    disk.heal()
    repo.insert("things", {"id": "4"})
    repo.close()
    assert ids(open_repo().find("things")) == ["0", "1", "2", "4"]


def test_a_process_that_never_closes_its_store_still_exits(tmp_path):
    script = "import sys\nfrom mockserver.store import Repository\nRepository(sys.argv[1]).insert('t', {'id': 'a'})\n"
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "db.json")], check=True, timeout=60)
    assert Repository(str(tmp_path / "db.json")).get("t", "a") == {"id": "a"}
