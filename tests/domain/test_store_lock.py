"""One server per database file, whatever name it is opened under."""

from __future__ import annotations

import os

import pytest

from mockserver.errors import StartupError
from mockserver.store import Repository
from tests.domain.test_store import open_repo, record  # noqa: F401  (open_repo is a fixture)


@pytest.fixture
def in_use(tmp_path, open_repo):
    repo = open_repo()
    repo.insert("things", record(1))
    repo.compact()  # a snapshot file to link to
    return repo


def test_a_symlink_to_a_database_in_use_is_refused(tmp_path, in_use):
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere" / "other.json"
    link.symlink_to(tmp_path / "db.json")
    with pytest.raises(StartupError) as refused:
        Repository(str(link))
    assert str(refused.value).startswith(f"{link} is in use by another streamkap-mock server (pid {os.getpid()})")


def test_a_symlink_to_the_folder_of_a_database_in_use_is_refused(tmp_path, in_use):
    (tmp_path / "alias").symlink_to(tmp_path)
    with pytest.raises(StartupError):
        Repository(str(tmp_path / "alias" / "db.json"))


def test_a_hard_link_to_a_database_in_use_is_refused_also_after_a_new_snapshot(tmp_path, in_use):
    os.link(tmp_path / "db.json", tmp_path / "hard.json")
    with pytest.raises(StartupError) as refused:
        Repository(str(tmp_path / "hard.json"))
    assert "in use by another streamkap-mock server, under another name" in str(refused.value)
    in_use.insert("things", record(2))
    in_use.compact()  # a new file: the link keeps the old one, which no server uses now
    os.link(tmp_path / "db.json", tmp_path / "hard-2.json")
    with pytest.raises(StartupError):
        Repository(str(tmp_path / "hard-2.json"))
    apart = Repository(str(tmp_path / "hard.json"))
    assert [r["id"] for r in apart.find("things")] == [record(1)["id"]]
    apart.close()


def test_a_closed_database_opens_under_any_name(tmp_path, in_use):
    in_use.close()
    (tmp_path / "link.json").symlink_to(tmp_path / "db.json")
    again = Repository(str(tmp_path / "link.json"))
    assert [r["id"] for r in again.find("things")] == [record(1)["id"]]
    again.close()
