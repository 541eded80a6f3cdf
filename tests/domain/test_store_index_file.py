"""``<db>.index``: a restart that finds it fitting the snapshot leaves records encoded until they are read.

Whatever a restart takes that path or parses the snapshot whole, the store must answer the same.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import sys
import threading
import time

import pytest
from tinydb import TinyDB

import mockserver.store as store_module
from mockserver.store import Disk, Repository
from tests.domain.test_store import open_repo, record, rid, without_index_file  # noqa: F401  (open_repo is a fixture)
from tests.domain.test_store_restart import crash_after, ids

SLOT = ("config", "slot.name")


def varied(i: int, **fields) -> dict:
    """A record with nested objects, lists, text beyond ASCII and, for some, an integer beyond 64 bits."""
    return record(i, **{"colour": "red" if i % 2 else "blue", "config": {"slot.name": f"s{i % 3}", "tables": [f"t{i}", "é"]},
                        "size": 2 ** 70 + i if i % 4 == 0 else i, **fields})


def parse_counter(monkeypatch) -> list:
    """Every parse of a stored object from now on: the snapshot, a journal line or one record.

    (The list of indexes in the lock file is not one.)
    """
    parsed: list = []
    real = store_module.loads

    def counting(raw, **kw):
        if raw[:1] != b"[":
            parsed.append(len(raw))
        return real(raw, **kw)

    monkeypatch.setattr(store_module, "loads", counting)
    return parsed


def answers(repo: Repository) -> dict:
    """What the store answers to the lookups a server makes."""
    return {
        "state": repo.export_state(),
        "all": repo.find("things"),
        "red": repo.find("things", where={"colour": "red"}),
        "slot": repo.find("things", where={SLOT: "s1"}),
        "either": repo.find("things", where=[{"colour": "blue"}, {SLOT: "s0"}]),
        "page": repo.select("things", None, 2, 5),
        "red page": repo.select("things", None, 1, 3, where={"colour": "red"}),
        "filtered": repo.select("things", lambda r: r["size"] > 5, 1, 4),
        "gets": [repo.get("things", rid(i)) for i in range(0, 13)],
        "count": (repo.count("things"), repo.count("things", {"colour": "blue"}), repo.count("others")),
    }


def a_closed_store(open_repo) -> dict:
    """Twelve varied records in two tables, looked up by the indexes a server uses; what it answered."""
    repo = open_repo()
    repo.insert_many("things", [varied(i) for i in range(1, 13)])
    repo.insert("others", record(1, colour="red"))
    before = answers(repo)
    repo.close()
    return before


def test_a_restart_parses_no_record_until_one_is_read(open_repo, monkeypatch):
    a_closed_store(open_repo)
    parsed = parse_counter(monkeypatch)
    reopened = open_repo()
    assert parsed == []
    assert reopened.count("things", {"colour": "red"}) == 6  # the index came with the file
    assert parsed == []
    assert reopened.get("things", rid(4)) == varied(4)
    assert len(parsed) == 1
    assert reopened.get("things", rid(4)) == varied(4)
    assert len(parsed) == 1  # a record read once stays parsed


def test_an_index_built_since_the_snapshot_is_in_the_index_file_the_next_restart_reads(open_repo, monkeypatch):
    a_closed_store(open_repo)
    repo = open_repo()
    assert ids(repo.find("things", where={"size": 3})) == [rid(3)]
    repo.close()  # no write since the snapshot, but a new index
    built: list = []
    monkeypatch.setattr(Repository, "_buckets", lambda self, rows, fields: built.append(fields))
    parsed = parse_counter(monkeypatch)
    reopened = open_repo()
    reopened.warm_indexes()
    assert ids(reopened.find("things", where={"size": 3})) == [rid(3)]
    assert built == [] and len(parsed) == 1  # neither built nor warmed again: only the match was parsed


def test_a_restart_from_the_index_file_answers_as_one_that_parses_the_snapshot(tmp_path, open_repo, monkeypatch):
    before = a_closed_store(open_repo)
    parsed = parse_counter(monkeypatch)
    reopened = open_repo()
    assert answers(reopened) == before
    assert len(parsed) == 13  # it did take the index file's path: records were parsed as they were read
    reopened.close()
    without_index_file(tmp_path)
    assert answers(open_repo()) == before


def test_records_still_encoded_are_carried_into_the_next_snapshot_unchanged(tmp_path, open_repo):
    a_closed_store(open_repo)
    repo = open_repo()
    repo.replace("things", varied(3, name="changed"))
    repo.insert("things", varied(13))
    repo.close()
    expected = [varied(i) for i in (1, 2)] + [varied(3, name="changed")] + [varied(i) for i in range(4, 14)]
    with TinyDB(tmp_path / "db.json") as plain:
        assert [dict(r) for r in plain.table("things").all()] == expected
    without_index_file(tmp_path)
    assert open_repo().find("things") == expected


def test_writes_over_records_still_encoded_keep_the_indexes_right(open_repo):
    a_closed_store(open_repo)
    repo = open_repo()
    repo.replace("things", varied(1, colour="blue"))
    assert rid(1) not in ids(repo.find("things", where={"colour": "red"}))
    assert ids(repo.find("things", where={"colour": "blue"}))[:2] == [rid(1), rid(2)]
    with contextlib.suppress(RuntimeError), repo.transaction():
        repo.replace("things", varied(3, colour="blue"))
        raise RuntimeError("undo")
    assert repo.get("things", rid(3)) == varied(3)
    assert ids(repo.find("things", where={"colour": "red"})) == [rid(i) for i in (3, 5, 7, 9, 11)]


def test_a_replaced_state_undone_brings_back_the_records_still_encoded(open_repo):
    before = a_closed_store(open_repo)
    repo = open_repo()
    with contextlib.suppress(RuntimeError), repo.transaction():
        repo.replace_state({"things": [record(99)]})
        raise RuntimeError("undo")
    assert answers(repo) == before
    repo.insert("things", varied(13))  # the next doc id is the one it was
    assert repo.find("things")[-1] == varied(13) and len(repo.find("things")) == 13


def test_a_crash_after_writes_over_records_still_encoded_is_replayed(tmp_path, open_repo, monkeypatch):
    a_closed_store(open_repo)
    crash_after(tmp_path / "db.json", f"repo.replace('things', {varied(2, colour='red')!r})\n"
                                      f"repo.insert('things', {varied(13)!r})")
    parsed = parse_counter(monkeypatch)
    reopened = open_repo()
    assert len(parsed) == 3  # the journal's two lines, and record 2 as it was (to move it in the index)
    assert ids(reopened.find("things", where={"colour": "red"})) == [rid(i) for i in (1, 2, 3, 5, 7, 9, 11, 13)]
    assert rid(2) not in ids(reopened.find("things", where={"colour": "blue"}))
    assert sorted(ids(reopened.unvouched("things"))) == [rid(2), rid(13)]


@pytest.mark.parametrize("damage", ["cut short", "garbage", "another snapshot's", "another format"])
def test_an_index_file_that_does_not_fit_the_snapshot_is_ignored_then_rewritten(tmp_path, open_repo, monkeypatch,
                                                                                 damage):
    before = a_closed_store(open_repo)
    index = tmp_path / "db.json.index"
    content = index.read_bytes()
    if damage == "another snapshot's":
        repo = open_repo()
        repo.insert("others", record(2))
        repo.close()  # a new snapshot, and an index file for it
        before["state"]["others"].append(record(2))
        before["count"] = (12, 6, 2)
    head, _, body = content.partition(b"\n")
    index.write_bytes({"cut short": content[:len(content) // 2], "garbage": head + b"\n" + b"\x00garbage" * 9,
                       "another snapshot's": content,
                       "another format": head.replace(b"index 1", b"index 0") + b"\n" + body}[damage])
    first = open_repo()
    assert answers(first) == before
    first.close()
    parsed = parse_counter(monkeypatch)
    assert answers(open_repo()) == before
    assert len(parsed) == len(before["state"]["things"]) + len(before["state"]["others"])  # read one by one


def test_a_snapshot_parsed_whole_gets_its_index_file_once_the_store_is_idle(tmp_path, open_repo):
    a_closed_store(open_repo)
    without_index_file(tmp_path)
    open_repo(compact_idle=0.05)
    assert index_file_written(tmp_path)


def index_file_written(folder) -> bool:
    """Whether the index file appears within 10 s (the compactor writes it on its own thread)."""
    deadline = time.monotonic() + 10
    while not (folder / "db.json.index").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return (folder / "db.json.index").exists()


def test_an_index_first_asked_for_after_a_restart_is_built_from_the_records_still_encoded(open_repo, monkeypatch):
    a_closed_store(open_repo)
    parsed = parse_counter(monkeypatch)
    reopened = open_repo()
    assert ids(reopened.find("things", where={"size": 6})) == [rid(6)]
    assert ids(reopened.find("things", where={("config", "tables"): ["t7", "é"]})) == [rid(7)]
    assert reopened.count("things", {"colour": "blue", SLOT: "s2"}) == 2  # records 2 and 8
    assert len(parsed) == 12  # the first build parsed every record and kept them: the next two parsed none


def test_a_snapshot_whose_every_record_needs_the_exact_parser_reads_back_exactly_when_parsed_whole(tmp_path, open_repo):
    stored = [record(1, size=2 ** 70 + 1), record(2, size=-2 ** 65 - 1)]  # orjson would read floats, not these
    repo = open_repo()
    repo.insert_many("things", stored)
    repo.close()
    without_index_file(tmp_path)
    assert open_repo().find("things") == stored


class IndexlessDisk(Disk):
    """A disk that refuses to write an index file (full) until ``heal()``; every other file it writes."""

    def __init__(self) -> None:
        self.full = True

    def replace_file(self, path, chunks) -> None:
        if self.full and path.name.endswith(".index"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        super().replace_file(path, chunks)

    def heal(self) -> None:
        self.full = False


def test_an_index_file_that_could_not_be_written_is_written_at_shutdown(tmp_path, open_repo, monkeypatch):
    disk = IndexlessDisk()
    repo = open_repo(disk=disk)
    repo.insert_many("things", [varied(i) for i in range(1, 4)])
    repo.compact()  # the snapshot is written without its index file, and that is no failure
    assert not (tmp_path / "db.json.index").exists()
    assert (tmp_path / "db.json.journal").stat().st_size == 0
    disk.heal()
    repo.close()
    parsed = parse_counter(monkeypatch)
    assert open_repo().find("things") == [varied(i) for i in range(1, 4)]
    assert len(parsed) == 3  # one by one as they were read: the index file fits


def writings(folder) -> list[tuple[int, int]]:
    """Which writing of snapshot and index file lies on disk (a rewrite is a new file: replaced, not edited)."""
    return [(f.stat().st_ino, f.stat().st_mtime_ns) for f in (folder / "db.json", folder / "db.json.index")]


def test_a_shutdown_with_nothing_new_since_a_compaction_leaves_snapshot_and_index_file_as_they_are(tmp_path,
                                                                                                    open_repo):
    repo = open_repo()
    repo.insert_many("things", [varied(i) for i in range(1, 4)])
    repo.compact()
    written = writings(tmp_path)
    repo.close()
    assert writings(tmp_path) == written


def test_an_idle_store_with_nothing_new_leaves_snapshot_and_index_file_as_they_are(tmp_path, open_repo):
    a_closed_store(open_repo)
    written = writings(tmp_path)
    open_repo(compact_idle=0.02)
    threading.Event().wait(0.3)  # the compactor has looked several times and found nothing to fold
    assert writings(tmp_path) == written


def test_a_store_never_written_to_leaves_neither_snapshot_nor_index_file(tmp_path, open_repo):
    open_repo().close()
    open_repo(compact_idle=0.02)
    threading.Event().wait(0.3)  # idle, and with no snapshot there is nothing an index file could describe
    assert sorted(f.name for f in tmp_path.iterdir()) == ["db.json.journal", "db.json.lock"]


@pytest.mark.parametrize("ends", ["dies", "is closed"])
def test_a_snapshot_not_yet_vouched_for_is_not_stamped_while_idle_nor_at_shutdown(tmp_path, open_repo, ends):
    # A server that dies in its start-up check (one longer than the idle time) must leave the next one to check again.
    (tmp_path / "db.json").write_text(json.dumps({"things": {"1": record(1, unchecked=True)}}))
    script = ("import os, sys, threading\nfrom mockserver.store import Repository\n"
              "repo = Repository(sys.argv[1], compact_idle=0.02)\nthreading.Event().wait(0.3)\n"
              + ("repo.close()\n" if ends == "is closed" else "os._exit(0)\n"))
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "db.json")], check=True)
    repo = open_repo(compact_idle=0.02)
    assert ids(repo.unvouched("things")) == [rid(1)]
    repo.vouch()  # checked: now an idle round writes its index file
    assert index_file_written(tmp_path)


def test_a_hand_edited_snapshot_giving_two_records_one_id_restarts_as_it_was_read(tmp_path, open_repo):
    (tmp_path / "db.json").write_text(json.dumps({"things": {"1": record(1), "2": record(1, name="twin")}}))
    repo = open_repo()
    read = (repo.find("things"), repo.get("things", rid(1)))
    assert read == ([record(1), record(1, name="twin")], record(1, name="twin"))
    repo.vouch()  # as a server does once it has checked them
    repo.close()  # writes the index file
    reopened = open_repo()
    assert (reopened.find("things"), reopened.get("things", rid(1))) == read
