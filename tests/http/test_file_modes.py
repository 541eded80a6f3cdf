"""Who may use the files the server creates: the umask decides, so a volume can be shared by a group.

The image runs the server with umask 002 in a /data folder that is group-writable (group 0): any
uid of that group (``docker run --user 12345:0``) must be able to open a database another uid made.
tests/test_container.py does that with two uids; this checks the modes without a container.
"""

from __future__ import annotations

import os
import stat

import pytest


@pytest.fixture
def umask():
    """Set the process's umask for the test (``umask(0o002)``); the old one comes back after."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


def _every_file(api, folder) -> dict[str, int]:
    api.post("/tags", json={"name": "t", "type": ["sources"]})
    assert api.client.post("/__mock/snapshots/before").status_code == 201
    api.backend.repo.compact()  # the snapshot and its index file, beside the journal
    return {str(path.relative_to(folder)): stat.S_IMODE(path.stat().st_mode) for path in folder.rglob("*")}


def test_with_umask_002_in_a_group_writable_folder_everything_is_group_writable(tmp_path, make_api, umask):
    umask(0o002)
    data = tmp_path / "data"
    data.mkdir(mode=0o775)
    modes = _every_file(make_api(db=str(data / "db.json")), data)
    assert {"db.json", "db.json.journal", "db.json.index", "db.json.lock", "db.json.key",
            "db.json.snapshots", "db.json.snapshots/before.json"} <= set(modes)
    assert {name: mode for name, mode in modes.items() if mode & 0o060 != 0o060} == {}
    assert {name: mode for name, mode in modes.items() if mode & 0o007 not in (0, 0o004, 0o005)} == {}
    assert modes["db.json.key"] == 0o660  # the key is never readable by others


def test_with_the_usual_umask_in_a_private_folder_the_key_stays_private(tmp_path, make_api, umask):
    umask(0o022)
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    modes = _every_file(make_api(db=str(data / "db.json")), data)
    assert modes["db.json.key"] == 0o600
    assert modes["db.json"] == modes["db.json.journal"] == modes["db.json.lock"] == 0o644
    assert modes["db.json.snapshots/before.json"] == 0o644
