"""``<db>.index`` is a cache: one that parses but lies about the snapshot is passed over, with one log line."""

from __future__ import annotations

import logging
import marshal

import pytest

from mockserver.app import create_app
from mockserver.settings import Settings
from tests.domain.test_store import open_repo, rid  # noqa: F401  (open_repo is a fixture)
from tests.domain.test_store_index_file import a_closed_store, answers, parse_counter


def shifted(described):
    tables, following, indexes = described
    keys, ids, spans = tables["things"]
    return {**tables, "things": (keys, ids, [span + (1 << 32) for span in spans])}, following, indexes


def swapped_ids(described):
    tables, following, indexes = described
    keys, ids, spans = tables["things"]
    return {**tables, "things": (keys, [ids[1], ids[0], *ids[2:]], spans)}, following, indexes


def one_record_less(described):
    tables, following, indexes = described
    keys, ids, spans = tables["things"]
    return {**tables, "things": (keys[:-1], ids[:-1], spans[:-1])}, following, indexes


def index_missing_a_record(described):
    tables, following, indexes = described
    built = marshal.loads(indexes)
    for buckets in built["things"].values():
        next(iter(buckets.values())).pop()
    return tables, following, marshal.dumps(built)


def not_a_tuple(described):
    return [1, 2, 3]


def tables_not_a_dict(described):
    return ["things"], described[1], described[2]


DAMAGES = [shifted, swapped_ids, one_record_less, index_missing_a_record, not_a_tuple, tables_not_a_dict]


def damage_index_file(folder, change) -> None:
    """Rewrite ``<db>.index`` with a body that still parses as marshal data, changed by ``change``."""
    index = folder / "db.json.index"
    head, _, body = index.read_bytes().partition(b"\n")
    index.write_bytes(head + b"\n" + marshal.dumps(change(marshal.loads(body))))


@pytest.mark.parametrize("change", DAMAGES, ids=[damage.__name__ for damage in DAMAGES])
def test_an_index_file_that_lies_is_passed_over_with_one_log_line(tmp_path, open_repo, monkeypatch, caplog, change):
    before = a_closed_store(open_repo)
    damage_index_file(tmp_path, change)
    parsed = parse_counter(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="streamkap_mock"):
        repo = open_repo()
    assert len(parsed) == 1  # the snapshot, parsed whole
    (logged,) = [r for r in caplog.records if r.name == "streamkap_mock"]
    assert logged.getMessage().startswith(f"{tmp_path / 'db.json.index'}: not used (")
    assert str(tmp_path / "db.json") in logged.getMessage() and not logged.exc_info
    assert answers(repo) == before


def test_a_server_on_a_db_whose_index_file_lies_starts_and_answers(tmp_path, caplog):
    settings = Settings(db=str(tmp_path / "db.json"))
    app = create_app(settings)
    app.state.backend.repo.insert("things", {"id": rid(1), "name": "kept"})
    app.state.backend.repo.close()
    damage_index_file(tmp_path, shifted)
    with caplog.at_level(logging.WARNING, logger="streamkap_mock"):
        app = create_app(settings)  # it blamed fixtures/tags.json
    assert app.state.backend.repo.get("things", rid(1))["name"] == "kept"
    assert len(app.state.backend.repo.find("tags")) == 3
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [str(tmp_path / "db.json.index")]
    app.state.backend.repo.close()
