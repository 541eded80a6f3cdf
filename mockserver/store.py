"""The storage seam: every read and write of entities goes through ``Repository``.

Strategy (documented in the README):
- TinyDB, one table per entity type, one JSON file.
- The file is read once at start-up into memory; reads are served from memory,
  so their cost does not depend on the file size and they never touch the disk.
- Every write rewrites the file atomically: a temporary file in the same
  directory is written, fsync'd and renamed over the old one, so a crash
  mid-write leaves the previous file intact.
- A domain operation that writes several records does it in one
  ``transaction()``: one rewrite of the file, and all of it or nothing.
- One lock serialises writes (and the read-modify-write they do), so concurrent
  requests never lose an update.
- Entities are never removed, only soft-deleted (``deleted: true``).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from tinydb import TinyDB
from tinydb.storages import Storage

from mockserver.errors import StartupError

Record = dict[str, Any]


class AtomicJSONStorage(Storage):
    """A TinyDB storage that keeps the data in memory and persists it atomically.

    With no path it only keeps the data in memory (``--db :memory:``).
    Inside ``transaction()`` writes stay in memory and reach the file once, at
    the end; if the block fails, memory goes back to the last persisted state,
    so no request leaves part of its work behind.
    """

    def __init__(self, path: str | None) -> None:
        self._path = Path(path) if path else None
        self._data: dict | None = None
        self._depth = 0
        self._dirty = False
        self._snapshot: str | None = None  # memory mode: the state to roll back to
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._data = self._open(path)

    def read(self) -> dict | None:
        return self._data

    def write(self, data: dict) -> None:
        self._data = data
        if self._depth:
            self._dirty = True
        else:
            self._persist()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth == 0 and self._path is None:
            self._snapshot = json.dumps(self._data)
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._dirty = False
                self._restore()
            raise
        self._depth -= 1
        if self._depth == 0 and self._dirty:
            self._dirty = False
            self._persist()

    def _open(self, path: str) -> dict | None:
        """The file's data at start-up; a file that is not a database stops the server, untouched."""
        # A crash mid-write leaves its temporary file behind; the database itself is intact.
        for stale in self._path.parent.glob(f"{self._path.name}*.tmp"):
            stale.unlink(missing_ok=True)
        try:
            data = self._load()
        except ValueError as exc:  # bad JSON or bad UTF-8
            raise StartupError(f"{path} is not a readable database ({exc}); fix it or move it away") from None
        if data is not None and not (isinstance(data, dict) and all(isinstance(t, dict) for t in data.values())):
            raise StartupError(f"{path} is not a database (not an object of tables); fix it or move it away")
        return data

    def _load(self) -> dict | None:
        if self._path is None or not self._path.exists() or not self._path.stat().st_size:
            return None
        with self._path.open(encoding="utf-8") as handle:
            return json.load(handle)

    def _restore(self) -> None:
        # TinyDB changes the documents it read in place, so memory already holds
        # what failed to persist: go back to what the file (or snapshot) says.
        self._data = self._load() if self._path is not None else json.loads(self._snapshot or "null")

    def _persist(self) -> None:
        if self._path is None:
            return
        fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=self._path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self._data, handle, separators=(",", ":"))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            self._restore()
            raise

    def close(self) -> None:
        pass


class Repository:
    """Tables of records keyed by their string ``id``, in insertion order."""

    def __init__(self, db: str) -> None:
        self._db = TinyDB(None if db == ":memory:" else db, storage=AtomicJSONStorage)
        self._storage: AtomicJSONStorage = self._db.storage  # type: ignore[assignment]
        self._lock = threading.RLock()
        # id -> TinyDB doc_id, per table, so a lookup by id does not scan.
        self._index: dict[str, dict[str, int]] = {}

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All the writes of the block reach the file together, once, or none of them do."""
        with self._lock:
            try:
                with self._storage.transaction():
                    yield
            except BaseException:
                self._index.clear()  # ids of rolled-back inserts must not linger
                raise

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
        self.replace_many(table, [record])
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
        """Replace stored records by id, in one write of the file."""
        new = {record["id"]: copy.deepcopy(record) for record in records}
        if not new:
            return

        def replace_doc(doc: dict) -> None:
            replacement = new[doc["id"]]
            doc.clear()
            doc.update(replacement)

        with self._lock:
            index = self._table_index(table)
            self._db.table(table).update(replace_doc, doc_ids=[index[record_id] for record_id in new])

    def close(self) -> None:
        self._db.close()

    def export_state(self) -> dict:
        """A deep plain copy of every table: ``{table: [record, ...]}``, each in insertion order."""
        with self._lock:
            return {name: [copy.deepcopy(dict(doc)) for doc in self._db.table(name).all()]
                    for name in sorted(self._db.tables())}

    def replace_state(self, data: dict) -> None:
        """Make the store hold exactly ``data`` (as ``export_state`` gives it), in one durable write."""
        with self.transaction():
            for name in self._db.tables():
                self._db.drop_table(name)
            self._index.clear()
            for name, records in data.items():
                self._db.table(name).insert_multiple(copy.deepcopy(list(records)))
