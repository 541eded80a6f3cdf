"""The control plane's promises: an operation commits whole or changes nothing, and what it reads is checked first."""

from __future__ import annotations

import errno
import json
import os
import shutil

import pytest

from mockserver.app import create_app
from mockserver.errors import StartupError
from mockserver.settings import Settings
from mockserver.store import Disk
from tests.conftest import make_source
from tests.control.test_seed_and_snapshots import SEED
from tests.domain.test_store import FaultyDisk
from tests.http.test_pipelines import body as pipeline_body, make_destination

SYSTEM_TAG = "670e5bab0d119c0d1f8cda9d"  # fixtures/tags.json: Production
TAG_ID = "650000000000000000000001"
CENTURY = 100 * 365 * 24 * 3600  # how far ahead the clock may run


class SmallDisk(FaultyDisk):
    """A disk with ``room`` bytes left: a journal line longer than that is cut short and refused (ENOSPC)."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def write(self, fd: int, data: bytes) -> None:
        if len(data) > self.room:
            os.write(fd, data[: self.room])
            self.room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        super().write(fd, data)


class FullDisk(Disk):
    """A disk that refuses every file written or removed whole (snapshots): disk full, or an I/O error."""

    def __init__(self, code: int = errno.ENOSPC) -> None:
        self.code = code

    def replace_file(self, path, chunks) -> None:
        raise OSError(self.code, os.strerror(self.code))

    def remove(self, path) -> None:
        raise OSError(self.code, os.strerror(self.code))


def system_tag_ids(api) -> list[str]:
    return [t["id"] for t in api.get("/tags").json()["tags"] if t["system"]]


def test_a_reset_the_disk_refuses_changes_nothing_live_or_after_a_restart(make_api):
    api = make_api()
    kept = make_source(api, "kept")
    tags = system_tag_ids(api)
    assert len(tags) == 3
    # Room for an empty reset's line, not for one that brings the system tags back with it.
    api.backend.repo.disk = SmallDisk(room=100)
    answer = api.client.post("/__mock/reset")
    assert answer.status_code == 507 and "nothing was written" in answer.json()["detail"]
    assert [s["id"] for s in api.get("/sources").json()["result"]] == [kept["id"]]
    assert system_tag_ids(api) == tags
    restarted = make_api()
    assert [s["id"] for s in restarted.get("/sources").json()["result"]] == [kept["id"]]
    assert system_tag_ids(restarted) == tags


@pytest.mark.parametrize("failure, status", [("write", 507), ("fsync", 503)])
def test_a_reset_the_disk_refuses_keeps_the_clock_and_the_faults(api, failure, status):
    source = make_source(api)
    api.client.post("/__mock/clock/advance", json={"seconds": 60})
    api.client.post("/__mock/faults", json={"match": {"path": "/pipelines"}, "respond": {"status": 500}})
    disk = api.backend.repo.disk = SmallDisk(room=0 if failure == "write" else 1 << 20)
    disk.fail_fsync = errno.EIO if failure == "fsync" else None
    assert api.client.post("/__mock/reset").status_code == status
    disk.heal()
    assert [s["id"] for s in api.get("/sources").json()["result"]] == [source["id"]]
    assert api.client.get("/__mock/clock").json()["offset_seconds"] == 60
    assert api.client.get("/__mock/faults").json()["total"] == 1


def test_a_seed_the_disk_refuses_halfway_leaves_nothing_behind(api):
    # Room for the seed's tag alone, written on its own, but not for the whole seed.
    api.backend.repo.disk = SmallDisk(room=600)
    answer = api.client.post("/__mock/seed", json=SEED)
    assert answer.status_code == 507, answer.text
    assert system_tag_ids(api) == [t["id"] for t in api.get("/tags").json()["tags"]]
    assert api.get("/sources").json()["total"] == 0
    api.backend.repo.disk.room = 1 << 20
    assert api.client.post("/__mock/seed", json=SEED).status_code == 201


@pytest.mark.parametrize("operation", ["restore", "status"])
def test_a_restore_or_forced_status_the_disk_refuses_changes_nothing(api, operation):
    source = make_source(api, "kept")
    assert api.client.post("/__mock/snapshots/before-delete").status_code == 201
    api.delete(f"/sources/{source['id']}")
    other = make_source(api, "other")
    before = api.backend.repo.export_state()
    api.backend.repo.disk = SmallDisk(room=0)
    if operation == "restore":
        answer = api.client.post("/__mock/snapshots/before-delete/restore")
    else:
        answer = api.client.put(f"/__mock/connectors/{other['id']}/status", json={"status": "Broken"})
    assert answer.status_code == 507
    assert api.backend.repo.export_state() == before


# ---- seeds: duplicates and files ------------------------------------------------

def test_a_seed_naming_one_id_twice_is_a_409_and_creates_nothing(api):
    twice = {"tags": [{"id": TAG_ID, "name": "one", "type": ["sources"]},
                      {"id": TAG_ID, "name": "two", "type": ["sources"]}]}
    answer = api.client.post("/__mock/seed", json=twice)
    assert answer.status_code == 409
    assert answer.json()["detail"] == (f"seed request body: tags[1] (id {TAG_ID}, 'two'): "
                                       f"Entity with id '{TAG_ID}' already exists")
    assert len(api.get("/tags").json()["tags"]) == 3  # the system tags alone


def test_a_seed_reusing_a_system_tags_id_is_a_409(api):
    answer = api.client.post("/__mock/seed", json={"tags": [{"id": SYSTEM_TAG, "name": "mine", "type": ["sources"]}]})
    assert answer.status_code == 409
    assert answer.json()["detail"].endswith(f"Entity with id '{SYSTEM_TAG}' already exists")
    assert [t["name"] for t in api.get("/tags").json()["tags"] if t["id"] == SYSTEM_TAG] == ["Production"]


@pytest.mark.parametrize("tags, clash", [
    ([{"id": TAG_ID, "name": "one", "type": ["sources"]}, {"id": TAG_ID, "name": "two", "type": ["sources"]}],
     f"tags[1] (id {TAG_ID}, 'two'): Entity with id '{TAG_ID}' already exists"),
    ([{"id": SYSTEM_TAG, "name": "mine", "type": ["sources"]}],
     f"tags[0] (id {SYSTEM_TAG}, 'mine'): Entity with id '{SYSTEM_TAG}' already exists"),
])
def test_a_seed_file_with_a_duplicate_id_stops_start_up_naming_file_and_id(tmp_path, tags, clash):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"tags": tags}))
    with pytest.raises(StartupError) as refused:
        create_app(Settings(db=str(tmp_path / "db.json"), seed=path))
    assert str(refused.value) == f"seed {path}: {clash}"


def test_a_restart_with_the_same_seed_file_still_keeps_what_it_made(make_api, tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(SEED))
    make_api(seed=path).put("/tags/650000000000000000000001", json={"name": "renamed", "type": ["sources"]})
    restarted = make_api(seed=path)
    assert [t["name"] for t in restarted.get("/tags").json()["tags"] if not t["system"]] == ["renamed"]


@pytest.mark.parametrize("special", ["/dev/zero", "fifo", "directory"])
def test_a_seed_that_is_not_a_regular_file_stops_start_up_at_once(tmp_path, special):
    path = {"/dev/zero": "/dev/zero", "fifo": tmp_path / "fifo", "directory": tmp_path}[special]
    if special == "fifo":
        os.mkfifo(path)  # opened for reading, it would wait for a writer forever
    with pytest.raises(StartupError, match=f"^seed {path}: not a readable JSON file"):
        create_app(Settings(db=":memory:", seed=path))


def test_a_seed_file_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as handle:
        handle.truncate((64 << 20) + 1)  # sparse: no disk space used
    with pytest.raises(StartupError, match=r"larger than 67108864 bytes"):
        create_app(Settings(db=":memory:", seed=path))


# ---- snapshots: validated before effect -----------------------------------------

def test_a_snapshot_of_another_database_is_refused_and_this_one_keeps_working(make_api, tmp_path):
    other = make_api(db=str(tmp_path / "other" / "db.json"))
    foreign = make_source(other, "foreign")
    assert other.client.post("/__mock/snapshots/theirs").status_code == 201
    api = make_api()
    mine = make_source(api, "mine")
    (tmp_path / "db.json.snapshots").mkdir()
    shutil.copy(tmp_path / "other" / "db.json.snapshots" / "theirs.json", tmp_path / "db.json.snapshots")
    answer = api.client.post("/__mock/snapshots/theirs/restore")
    assert answer.status_code == 409
    assert answer.json()["detail"] == (
        f"snapshot file {tmp_path / 'db.json.snapshots' / 'theirs.json'}: table sources, record {foreign['id']}: "
        "its secrets were sealed with another key than this database's (a snapshot of another database?); "
        "nothing was restored")
    read = api.get("/sources?secret_returned=true")
    assert read.status_code == 200 and [s["id"] for s in read.json()["result"]] == [mine["id"]]
    listed = api.client.get("/__mock/snapshots").json()["result"]
    assert listed[0]["name"] == "theirs" and "another key" in listed[0]["damaged"]
    restarted = make_api()
    assert restarted.get(f"/sources/{mine['id']}?secret_returned=true").json()["total"] == 1


def damaged_files(folder, source: dict) -> dict[str, tuple[str, str]]:
    """Files that are not snapshots: name -> (content, what the refusal says)."""
    good = json.loads((folder / "good.json").read_text())

    def with_sources(*records) -> str:
        return json.dumps({**good, "state": {**good["state"], "sources": list(records)}})

    nameless = {k: v for k, v in source.items() if k != "name"}
    return {
        "not-json": ("{not json", "not a readable JSON file"),
        "stateless": (json.dumps({"name": "stateless", "created": good["created"]}), "not a snapshot"),
        "a-list": ("[]", "not a snapshot"),
        "nameless": (with_sources(nameless), f"table sources, record {source['id']}: name: Field required"),
        "twice": (with_sources(source, source), f"table sources holds two records with id {source['id']}"),
        "orphan": (json.dumps({**good, "state": {**good["state"], "sources": []}}),
                   f"uses sources record {source['id']}, which is not there"),
    }


def test_files_that_are_not_snapshots_are_listed_as_damaged_and_refused_by_name(api, tmp_path):
    source = make_source(api, "kept")
    destination = make_destination(api)
    assert api.post("/pipelines", json=pipeline_body(source, destination)).status_code == 200
    assert api.client.post("/__mock/snapshots/good").status_code == 201
    folder = tmp_path / "db.json.snapshots"
    stored = next(r for r in json.loads((folder / "good.json").read_text())["state"]["sources"])
    damaged = damaged_files(folder, stored)
    for name, (content, _) in damaged.items():
        (folder / f"{name}.json").write_text(content)
    (folder / "bad name.json").write_text((folder / "good.json").read_text())
    before = api.backend.repo.export_state()

    listing = api.client.get("/__mock/snapshots")
    assert listing.status_code == 200
    by_name = {entry["name"]: entry for entry in listing.json()["result"]}
    assert by_name["good"]["damaged"] is None and by_name["good"]["entities"]["sources"] == 1
    assert "not a snapshot name" in by_name["bad name"]["damaged"]
    for name, (_, why) in damaged.items():
        assert by_name[name]["created"] is None and why in by_name[name]["damaged"], name
        answer = api.client.post(f"/__mock/snapshots/{name}/restore")
        assert answer.status_code == 409, (name, answer.text)
        assert answer.json()["detail"].startswith(f"snapshot file {folder / (name + '.json')}: "), name
        assert why in answer.json()["detail"], name
    assert api.backend.repo.export_state() == before
    assert api.get("/sources").status_code == 200
    assert api.client.post("/__mock/snapshots/good/restore").status_code == 200


def test_a_snapshot_save_or_delete_the_disk_refuses_answers_507_or_503(api, tmp_path):
    control = api.client.app.state.control
    assert api.client.post("/__mock/snapshots/kept").status_code == 201
    control.snapshots.disk = FullDisk()
    answer = api.client.post("/__mock/snapshots/lost")
    assert answer.status_code == 507 and "nothing was written" in answer.json()["detail"]
    assert api.client.delete("/__mock/snapshots/kept").status_code == 507
    control.snapshots.disk = FullDisk(errno.EIO)
    assert api.client.post("/__mock/snapshots/lost").status_code == 503
    assert sorted(p.name for p in (tmp_path / "db.json.snapshots").iterdir()) == ["kept.json"]
    assert [s["name"] for s in api.client.get("/__mock/snapshots").json()["result"]] == ["kept"]


# ---- the clock --------------------------------------------------------------------

def test_the_clock_runs_at_most_a_century_ahead_and_a_refused_advance_moves_nothing(api):
    step = 10 * 365 * 24 * 3600  # the most one call may move it
    for _ in range(CENTURY // step):
        assert api.client.post("/__mock/clock/advance", json={"seconds": step}).status_code == 200
    offset = api.client.get("/__mock/clock").json()["offset_seconds"]
    refused = api.client.post("/__mock/clock/advance", json={"seconds": CENTURY - offset + 1})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "seconds"]
    assert "at most" in refused.json()["detail"][0]["msg"]
    assert api.client.get("/__mock/clock").json()["offset_seconds"] == offset
    assert api.client.post("/__mock/clock/advance", json={"seconds": CENTURY - offset}).status_code == 200
    assert api.client.get("/__mock/health").status_code == 200
    secret = {c.client_id: c.secret for c in api.backend.directory.fixture_credentials()}["mock-client"]
    login = api.client.post("/auth/access-token", json={"client_id": "mock-client", "secret": secret})
    assert login.status_code == 200
    assert api.client.get("/sources", headers={"Authorization": f"Bearer {login.json()['accessToken']}"}).status_code == 200


def test_a_copied_snapshot_file_is_listed_and_restored_under_its_own_name(api, tmp_path):
    make_source(api)
    api.client.post("/__mock/snapshots/original")
    folder = tmp_path / "db.json.snapshots"
    shutil.copy(folder / "original.json", folder / "copy.json")
    assert [s["name"] for s in api.client.get("/__mock/snapshots").json()["result"]] == ["copy", "original"]
    assert api.client.post("/__mock/snapshots/copy/restore").json()["name"] == "copy"


def test_a_seed_file_the_disk_refuses_at_start_up_stops_it_with_one_line(tmp_path, monkeypatch):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(SEED))
    db = str(tmp_path / "db.json")
    create_app(Settings(db=db)).state.backend.repo.close()  # the system tags are stored: only the seed writes

    def full(self, fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Disk, "write", full)
    with pytest.raises(StartupError) as refused:
        create_app(Settings(db=db, seed=path))
    assert str(refused.value).startswith(f"seed {path}: Storage is full")
