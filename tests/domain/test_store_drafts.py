"""Whole states in and out of the repository: a draft in memory, and its changes written back in one transaction."""

from __future__ import annotations

import pytest

from mockserver.store import Repository
from tests.domain.test_store import open_repo, record, rid  # noqa: F401  (open_repo is a fixture)


def journal_lines(tmp_path) -> int:
    return (tmp_path / "db.json.journal").read_bytes().count(b"\n")


def test_a_draft_is_a_copy_in_memory_whose_records_take_the_stored_form(tmp_path, open_repo):
    repo = open_repo(shrink=lambda r: {"id": r["id"]} if r.get("deleted") else r)
    repo.insert_many("things", [record(1), record(9)])
    draft = repo.draft()
    draft.insert("things", record(2, deleted=True))
    draft.replace("things", record(1, name="changed"))
    assert draft.export_state() == {"things": [record(1, name="changed"), record(9), {"id": rid(2)}]}
    with pytest.raises(KeyError), draft.transaction():  # undone: not among what the draft wrote
        draft.insert("things", record(3))
        draft.insert("things", record(3))
    assert draft.wrote() == {"things": [{"id": rid(2)}, record(1, name="changed")]}  # first written first
    assert repo.export_state() == {"things": [record(1), record(9)]}
    assert journal_lines(tmp_path) == 1  # the draft wrote nothing to disk
    assert repo.draft({"others": [record(5)]}).export_state() == {"others": [record(5)]}


def test_merge_state_inserts_new_ids_and_replaces_known_ones_in_one_journal_line(tmp_path, open_repo):
    repo = open_repo()
    repo.insert_many("things", [record(1), record(2)])
    lines = journal_lines(tmp_path)
    repo.merge_state({"things": [record(2, name="changed"), record(3)], "others": [record(4)]})
    assert journal_lines(tmp_path) == lines + 1
    expected = {"others": [record(4)], "things": [record(1), record(2, name="changed"), record(3)]}
    assert repo.export_state() == expected
    repo.close()
    assert open_repo().export_state() == expected


@pytest.mark.parametrize("write", ["replace_state", "merge_state"])
def test_a_state_with_one_id_twice_in_a_table_is_refused_and_changes_nothing(open_repo, write):
    repo = open_repo()
    repo.insert("things", record(1))
    with pytest.raises(ValueError) as refused:
        getattr(repo, write)({"others": [record(2)], "things": [record(3), record(3, name="again")]})
    assert str(refused.value) == f"table things holds two records with id {rid(3)}"
    assert repo.export_state() == {"things": [record(1)]}
    Repository.check_state({"things": [record(3)], "others": [record(3)]})  # one id in two tables is fine
