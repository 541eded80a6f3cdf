"""The repository hands out and keeps copies: no caller can change a stored record behind its back."""

from __future__ import annotations

from mockserver.store import Repository


def test_replace_keeps_a_deep_copy_whatever_the_caller_changes_later():
    repo = Repository(":memory:")
    repo.insert("sources", {"id": "a", "config": {"k": "v"}})
    record = {"id": "a", "config": {"k": "new"}}
    returned = repo.replace("sources", record)
    record["config"]["k"] = "changed by the caller"
    returned["config"]["k"] = "changed through the answer"
    assert repo.get("sources", "a") == {"id": "a", "config": {"k": "new"}}
    many = [{"id": "a", "config": {"k": "many"}}]
    repo.replace_many("sources", many)
    many[0]["config"]["k"] = "changed by the caller"
    assert repo.get("sources", "a") == {"id": "a", "config": {"k": "many"}}


def test_a_shared_read_is_the_stored_record_and_a_write_replaces_it_without_changing_it():
    repo = Repository(":memory:")
    repo.insert("sources", {"id": "a", "config": {"k": "v"}})
    read = repo.get("sources", "a", shared=True)
    _, page = repo.select("sources", shared=True)
    repo.replace("sources", {"id": "a", "config": {"k": "new"}})
    # What a presenter holds stays as it was read; the store holds the write.
    assert read == page[0] == {"id": "a", "config": {"k": "v"}}
    assert repo.get("sources", "a") == {"id": "a", "config": {"k": "new"}}
