"""The storage seam: every read and write of entities goes through ``Repository``.

Strategy (documented in the README):
- TinyDB, one table per entity type, one JSON file.
- The file is read once at start-up into memory; reads are served from memory,
  so their cost does not depend on the file size and they never touch the disk.
- Every write rewrites the file atomically: a temporary file in the same
  directory is written, fsync'd and renamed over the old one, so a crash
  mid-write leaves the previous file intact.
- One lock serialises writes (and the read-modify-write they do), so concurrent
  requests never lose an update.
- Entities are never removed, only soft-deleted (``deleted: true``).
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Iterable

from tinydb import TinyDB
from tinydb.storages import MemoryStorage, Storage

from mockserver.errors import StartupError

Record = dict[str, Any]


class AtomicJSONStorage(Storage):
    """A TinyDB storage that keeps the data in memory and persists each write atomically."""

    def __init__(self, path: str) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._data: dict | None = None
        if self._path.exists() and self._path.stat().st_size:
            try:
                with self._path.open(encoding="utf-8") as handle:
                    self._data = json.load(handle)
            except ValueError as exc:  # bad JSON or bad UTF-8
                raise StartupError(f"{path} is not a readable database ({exc}); fix it or move it away") from None
            if not (isinstance(self._data, dict) and all(isinstance(t, dict) for t in self._data.values())):
                raise StartupError(f"{path} is not a database (not an object of tables); fix it or move it away")

    def read(self) -> dict | None:
        return self._data

    def write(self, data: dict) -> None:
        fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=self._path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, separators=(",", ":"))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._data = data

    def close(self) -> None:
        pass


class Repository:
    """Tables of records keyed by their string ``id``, in insertion order."""

    def __init__(self, db: str) -> None:
        storage = MemoryStorage if db == ":memory:" else AtomicJSONStorage
        args = () if db == ":memory:" else (db,)
        self._db = TinyDB(*args, storage=storage)
        self._lock = threading.RLock()
        # id -> TinyDB doc_id, per table, so a lookup by id does not scan.
        self._index: dict[str, dict[str, int]] = {}

    def _table_index(self, table: str) -> dict[str, int]:
        index = self._index.get(table)
        if index is None:
            index = {doc["id"]: doc.doc_id for doc in self._db.table(table).all()}
            self._index[table] = index
        return index

    def insert(self, table: str, record: Record) -> Record:
        with self._lock:
            doc_id = self._db.table(table).insert(record)
            self._table_index(table)[record["id"]] = doc_id
        return copy.deepcopy(record)

    def get(self, table: str, record_id: str) -> Record | None:
        with self._lock:
            doc_id = self._table_index(table).get(record_id)
            if doc_id is None:
                return None
            doc = self._db.table(table).get(doc_id=doc_id)
            return copy.deepcopy(dict(doc)) if doc is not None else None

    def replace(self, table: str, record: Record) -> Record:
        with self._lock:
            doc_id = self._table_index(table)[record["id"]]
            self._db.table(table).update(_replace_with(record), doc_ids=[doc_id])
        return copy.deepcopy(record)

    def find(self, table: str, predicate: Callable[[Record], bool]) -> list[Record]:
        """Every record matching ``predicate``, oldest first."""
        return self.select(table, predicate)[1]

    def select(self, table: str, predicate: Callable[[Record], bool],
               start: int = 0, stop: int | None = None) -> tuple[int, list[Record]]:
        """How many records match, and copies of the matches in ``[start:stop]`` (oldest first).

        Only the slice is copied, so a page of a long list stays cheap.
        """
        with self._lock:
            matches = [doc for doc in self._db.table(table).all() if predicate(doc)]
            return len(matches), [copy.deepcopy(dict(doc)) for doc in matches[start:stop]]

    def replace_many(self, table: str, records: Iterable[Record]) -> None:
        with self._lock:
            for record in records:
                self.replace(table, record)

    def close(self) -> None:
        self._db.close()


def _replace_with(record: Record) -> Callable[[dict], None]:
    new = copy.deepcopy(record)

    def transform(doc: dict) -> None:
        doc.clear()
        doc.update(new)

    return transform
