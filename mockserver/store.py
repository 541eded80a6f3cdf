"""The storage seam: every read and write of entities goes through ``Repository``.

Strategy (documented in the README, "Storage"):
- All data lives in memory, as a TinyDB document (``{table: {doc_id: record}}``);
  reads never touch the disk.
- On disk: ``<db>`` is a TinyDB JSON snapshot, ``<db>.journal`` holds one JSON
  line per committed transaction since (the records it wrote, whole). A write
  appends its line, so it costs what it changes, not what is stored. The line
  is fsync'd before the response; concurrent writers share one fsync (group
  commit). Start-up loads the snapshot and replays the journal over it; a torn
  last line (a crash mid-append) is dropped.
- Compaction folds the journal into a new snapshot (temporary file, fsync,
  rename, fsync of the directory) when the journal outgrows a threshold, after
  an idle time, and at a clean shutdown, so a stopped server's ``<db>`` opens
  with plain ``TinyDB(path)``.
- A transaction that cannot reach the journal is undone in memory and the
  journal cut back: a failed write leaves no trace, and answers 507 (disk full)
  or 503.
- One server per database: an OS lock on ``<db>.lock`` that names its holder.
- Equality indexes (built on first use, kept up to date on every write) let a
  lookup or a page cost about its result, in creation order.
- ``<db>.index``, written with each snapshot, says where each record lies in it,
  its id, and the indexes built then. A restart that finds it matching the
  snapshot reads the snapshot as bytes and leaves each record encoded until it
  is first read: a large store starts without parsing it.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import contextvars
import errno
import fcntl
import functools
import gc
import heapq
import itertools
import logging
import marshal
import mmap
import operator
import os
import queue
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage

from mockserver.errors import StartupError, StorageFailed, StorageFull
from mockserver.jsoncodec import deep_copy as _copy, dumps, loads, needs_exact

Record = dict[str, Any]
# A record still encoded in the snapshot read at start-up: its offset there << 32 | its length.
Span = int
# Field equalities: a field is a top-level name, or a path into nested objects (``("config", "slot.name")``).
Field = str | tuple[str, ...]
Where = dict[Field, Any]
MEMORY = ":memory:"
log = logging.getLogger("streamkap_mock")

# First line of ``<db>.index``: its format and the marshal it needs, then the snapshot it describes.
_INDEX_FORMAT = f"streamkap-mock-index 1 python{sys.version_info[0]}.{sys.version_info[1]}"

# The write a request made, so the HTTP layer can await its fsync before answering.
_ticket: contextvars.ContextVar[int] = contextvars.ContextVar("streamkap_mock_write_ticket", default=0)


def _key_of(value: Any) -> Any:
    return dumps(value) if isinstance(value, (list, dict)) else value


@functools.lru_cache(maxsize=1024)  # the fields of a lookup, as the code names them: a few dozen
def _index_fields(fields: tuple[Field, ...]) -> tuple[Field, ...]:
    """The index serving a lookup on ``fields``: the same whatever their order."""
    return tuple(sorted(fields, key=repr))


@functools.lru_cache(maxsize=None)  # one per index: a write computes the keys of every index of its table
def _direct_key(fields: tuple[Field, ...]) -> Callable[[Record], tuple]:
    """A record's index key, read directly; KeyError or TypeError where ``Repository._index_key`` must build it."""
    if all(isinstance(field, str) for field in fields):
        if len(fields) > 1:
            return operator.itemgetter(*fields)
        only = fields[0]
        return lambda record: (record[only],)
    paths = [(field,) if isinstance(field, str) else field for field in fields]

    def key(record: Record) -> tuple:
        values = []
        for path in paths:
            value: Any = record
            for part in path:
                value = value[part]
            values.append(value)
        return tuple(values)

    return key


def _rows_of(data: dict[str, list[Record]]) -> dict[str, dict[str, Record]]:
    """A state as ``export_state`` gives it, as the store keeps it: each table's records by doc id, in order."""
    return {table: {str(n): record for n, record in enumerate(records, 1)} for table, records in data.items()}


def _nested(record: Record, path: tuple[str, ...]) -> Any:
    value: Any = record
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


class Disk:
    """Every file operation the store makes; a test swaps in one that fails (disk full, I/O error)."""

    def open_append(self, path: Path) -> int:
        # 0o666 as open() uses: the umask decides (the image's 002 lets any uid of group 0 reuse a volume).
        return os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)

    def write(self, fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]

    def fsync(self, fd: int) -> None:
        os.fsync(fd)

    def truncate(self, fd: int, size: int) -> None:
        os.ftruncate(fd, size)

    def replace_file(self, path: Path, chunks: Iterable[bytes]) -> None:
        """Write ``path`` atomically: a temporary file, fsync, rename, fsync of the directory."""
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                handle.flush()
                self.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self.fsync_dir(path.parent)

    def remove(self, path: Path) -> None:
        """Delete a file, durably."""
        path.unlink()
        self.fsync_dir(path.parent)

    def fsync_dir(self, directory: Path) -> None:
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class _Flusher:
    """The thread that runs the store's fsyncs for the event loop.

    A write waits for its fsync through one thread hop; through the loop's default
    executor the hop cost about three times the CPU (its futures and their chaining).
    """

    def __init__(self, sync: Callable[[int], None]) -> None:
        self._sync = sync
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def request(self, target: int) -> asyncio.Future:
        """A future of the running loop, done once ``sync(target)`` returned (or with what it raised)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="store-fsync", daemon=True)
                self._thread.start()
        self._requests.put((loop, future, target))
        return future

    def _run(self) -> None:
        while (request := self._requests.get()) is not None:
            loop, future, target = request
            try:
                self._sync(target)
                error = None
            except BaseException as exc:  # noqa: BLE001  the waiter raises it, as an executor's would
                error = exc
            with contextlib.suppress(RuntimeError):  # its loop is closed: nobody waits any more
                loop.call_soon_threadsafe(_settle, future, error)

    def stop(self) -> None:
        with self._start:
            if self._thread is not None:
                self._requests.put(None)
                self._thread.join()
                self._thread = None


def _settle(future: asyncio.Future, error: BaseException | None) -> None:
    if not future.cancelled():
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


class _Document(Storage):
    """TinyDB's storage over the in-memory document; the Repository does the persisting."""

    def __init__(self, data: dict) -> None:
        self.data = data

    def read(self) -> dict:
        return self.data

    def write(self, data: dict) -> None:
        self.data = data


def storage_error(exc: OSError) -> StorageFailed:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFull(f"Storage is full ({exc.strerror}); nothing was written. Free space and retry.")
    return StorageFailed(f"Storage failed ({exc.strerror or exc}); nothing was written. Retry later.")


class _Lock:
    """The OS lock that makes a database one server's.

    ``<db>.lock`` holds the holder's pid; the stamp of the last snapshot a server
    wrote or checked: its identity (see ``_identity``) and whether it needs the
    exact JSON parser; and the indexes the last server used. A later server that
    finds that snapshot unchanged need not check its records again, nor scan it for
    the parser it needs; and it builds those indexes before they are asked for.
    """

    def __init__(self, db: Path) -> None:
        real = db.resolve()  # a symlink to a database in use finds its lock
        self.path = real.with_name(real.name + ".lock")
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)  # the umask decides, as in Disk
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self.fd, 32, 0).decode(errors="replace").split("\n")[0].strip() or "unknown"
            os.close(self.fd)
            raise StartupError(f"{db} is in use by another streamkap-mock server (pid {holder}); "
                               "stop it or give this one another --db") from None
        previous = os.pread(self.fd, 1 << 16, 0).decode(errors="replace").split("\n")
        self.snapshot_stamp = previous[1] if len(previous) > 1 else ""
        self.indexes: list[tuple[str, tuple[Field, ...]]] = []
        with contextlib.suppress(ValueError, TypeError, IndexError):  # none, or another version's: none
            self.indexes = [(table, tuple(tuple(f) if isinstance(f, list) else f for f in fields))
                            for table, fields in loads(previous[2].encode())]
        self._write()  # the snapshot is still the one stamped until compaction
        self._held = -1
        try:
            self.hold(db)
        except StartupError:
            os.close(self.fd)
            raise

    def hold(self, db: Path) -> None:
        """Lock the database file itself (its inode): a hard link to it has a lock file of its own.

        Called again for each new snapshot (a new inode); the old one is let go.
        """
        try:
            fd = os.open(db, os.O_RDONLY)
        except FileNotFoundError:  # no snapshot yet: nothing to link to
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StartupError(f"{db} is in use by another streamkap-mock server, under another name "
                               "(a link to the same file); stop it or give this one another --db") from None
        if self._held >= 0:
            os.close(self._held)
        self._held = fd

    def stamp_snapshot(self, stamp: str) -> None:
        """Record the snapshot just written (not fsync'd: a lost stamp only means a full check next time)."""
        self.snapshot_stamp = stamp
        self._write()

    def remember_indexes(self, indexes: list[tuple[str, tuple[Field, ...]]]) -> None:
        self.indexes = indexes
        self._write()

    def _write(self) -> None:
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{os.getpid()}\n{self.snapshot_stamp}\n".encode() + dumps(self.indexes) + b"\n", 0)

    def release(self) -> None:
        if self._held >= 0:
            os.close(self._held)
        os.close(self.fd)  # closing the descriptor releases the lock


def _checked_index(described: Any, loaded: bytes) -> tuple[tuple, dict]:
    """The state (for ``Repository._restore``) and indexes an index file's body describes for the snapshot
    ``loaded``; ValueError (or any error of a body that is not what ``Repository._index_file`` writes) if
    anything in it does not fit: every record must lie, whole, where the snapshot holds it under its key,
    name its own id, and be in each index exactly once. (Ids may repeat: a hand-edited snapshot can do that.)
    """
    tables, following, indexes = described
    rows, ids, end = {}, {}, 0
    for table, (keys, record_ids, spans) in tables.items():
        if not len(keys) == len(record_ids) == len(spans) == len(set(keys)):
            raise ValueError(f"table {table!r}: its keys, ids and places do not pair up")
        for key, record_id, span in zip(keys, record_ids, spans):
            start, length = span >> 32, span & 0xFFFFFFFF
            head = b'"' + key.encode() + b'":'
            stop = start + length
            # Past the previous record, right after its key, a whole object (in the file), naming its own id.
            if (start < end + len(head) or stop > len(loaded) or not loaded.startswith(head, start - len(head))
                    or loaded[stop - 1] != 0x7D or loaded[start] not in b"{ "
                    or loaded.find(b'"id":' + orjson.dumps(record_id), start, stop) < 0):
                raise ValueError(f"table {table!r}: record {key} is not where it says")
            end = stop
        if not all(key.isdigit() for key in keys) or following[table] <= max(map(int, keys), default=0):
            raise ValueError(f"table {table!r}: its record numbers are wrong")
        rows[table], ids[table] = dict(zip(keys, spans)), dict(zip(record_ids, keys))
    built = marshal.loads(indexes)
    for table, by_fields in built.items():
        numbers = sorted(map(int, rows[table]))
        for fields, buckets in by_fields.items():
            if sorted(number for bucket in buckets.values() for number in bucket) != numbers:
                raise ValueError(f"table {table!r}: the index on {fields} does not hold each record once")
    return (rows, ids, dict(following)), built


def _identity(path: Path) -> str:
    """What changes whenever a file is rewritten or edited; "" if there is none."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return ""
    return f"{status.st_size} {status.st_mtime_ns} {status.st_ino}"


class Repository:
    """Tables of records keyed by their string ``id``, in insertion order, durable on every commit.

    ``shrink`` gives the form a record is stored in (e.g. a deleted one without its payload).
    """

    def __init__(self, db: str, *, disk: Disk | None = None, shrink: Callable[[Record], Record] | None = None,
                 compact_bytes: int = 16 << 20, compact_idle: float = 30.0) -> None:
        self._path = None if db == MEMORY else Path(db)
        self.disk = disk or Disk()  # every file operation; a test swaps it to simulate a failing disk
        self._shrink = shrink
        self._compact_bytes = compact_bytes
        self._compact_idle = compact_idle
        self._lock = threading.RLock()
        # A row is a record, or (until first read) the Span of its encoding in ``_loaded``.
        self._doc: dict[str, dict[str, Record | Span]] = {}
        self._loaded = b""  # the snapshot as read at start-up, when its records were left encoded
        # Whether <db>.index describes the snapshot on disk (true of none) and every index built.
        self._index_fits = False
        self._ids: dict[str, dict[str, str]] = {}  # table -> id -> doc_id
        self._next: dict[str, int] = {}
        self._indexes: dict[str, dict[tuple[Field, ...], dict[tuple, list[int]]]] = {}
        # An index being built off the lock: its table, and the keys written since its copy was taken.
        self._warming: tuple[str, set[str]] | None = None
        self._generation = 0  # a whole new state (reset, restore): an index built from the old one is void
        # The open transaction: undo entries, and the records to journal (by (table, doc_id)).
        self._depth = 0
        self._undo: list[tuple[str, str, Record | None]] = []
        self._changes: dict[tuple[str, str], Record | None] = {}
        self._reset: dict | None = None
        self._wrote: dict[tuple[str, str], Record | None] | None = None  # a draft's: every record committed
        # Durability: transactions are numbered; those written but not fsync'd can still be undone.
        self._written_seq = 0
        self._synced_seq = 0
        self._unsynced: list[tuple[int, int, list]] = []  # (seq, journal size before, undo)
        self._lost: list[tuple[int, int]] = []  # seq ranges undone after a failed fsync
        self._journal_size = 0
        self._uncut = False  # the journal may hold bytes past _journal_size that a failed cut left
        self._flushing: asyncio.Future | None = None
        self._flusher = _Flusher(self._sync)
        self._fsync_lock = threading.Lock()
        self._compact_lock = threading.Lock()
        self._last_write = time.monotonic()
        self._wake = threading.Condition(threading.Lock())
        self._closed = False
        self._os_lock: _Lock | None = None
        self._journal_fd = -1
        # What start-up must check: every record, or (the snapshot being this store's own) the journal's.
        self._vouched = True
        self._replayed: dict[str, set[str]] = {}
        self._snapshot_exact: bool | None = None  # whether the snapshot needs the exact parser; None: unknown
        if self._path is not None:
            self._open()
        self._db = TinyDB(self._doc, storage=_Document)
        self._compactor: threading.Thread | None = None
        self._indexer: threading.Thread | None = None
        if self._path is not None:
            self._compactor = threading.Thread(target=self._compact_loop, name="store-compactor", daemon=True)
            self._compactor.start()

    # ---- start-up ------------------------------------------------------------

    @property
    def _journal_path(self) -> Path:
        assert self._path is not None
        return self._path.with_name(self._path.name + ".journal")

    def _open(self) -> None:
        path = self._path
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        self._os_lock = _Lock(path)
        collecting = gc.isenabled()
        # Loading makes millions of objects and no garbage: cycle collections while
        # loading would only re-walk them (most of a large store's start-up time).
        gc.disable()
        try:
            # Temporary files of a crashed writer; only the lock holder may remove them.
            for stale in path.parent.glob(f"{path.name}*.tmp"):
                stale.unlink(missing_ok=True)
            identity = _identity(path)
            stamped, _, parser = self._os_lock.snapshot_stamp.rpartition(" ")
            self._vouched = identity in ("", stamped)
            if identity and identity == stamped:
                self._snapshot_exact = parser == "exact"
                self._index_fits = self._load_indexed(identity)
            if not self._index_fits:
                self._install(self._load_snapshot())
                self._index_fits = not identity  # no snapshot: nothing to describe
            self._replay()
            self._journal_fd = self.disk.open_append(self._journal_path)
            if sum(map(len, self._doc.values())) > 10_000:
                # A large store lives as long as the process: later collections skip it. Frozen
                # before collections resume, or the first one would walk every object just made.
                gc.freeze()
        except BaseException:
            self._os_lock.release()
            raise
        finally:
            if collecting:
                gc.enable()

    def _load_snapshot(self) -> dict:
        path = self._path
        assert path is not None
        try:
            handle = open(path, "rb")
        except FileNotFoundError:
            return {}
        # Parsed from a mapping of the file, not a copy of it: a large snapshot is
        # neither read into a buffer nor freed again (a second of a 450 MB start-up).
        with handle:
            if not os.fstat(handle.fileno()).st_size:
                return {}
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                if re.match(rb"\s*\Z", mapped):
                    return {}
                if self._snapshot_exact is None:
                    self._snapshot_exact = needs_exact(mapped)
                try:
                    data = loads(mapped, exact=self._snapshot_exact)
                except ValueError as exc:  # bad JSON or bad UTF-8
                    raise StartupError(f"{path} is not a readable database ({exc}); "
                                       "fix it or move it away") from None
        # A snapshot this store wrote or checked has this shape; any other is looked at whole.
        if not self._vouched and not (isinstance(data, dict) and all(
                isinstance(rows, dict) and all(isinstance(r, dict) and "id" in r for r in rows.values())
                for rows in data.values())):
            raise StartupError(f"{path} is not a database (not an object of tables of records with ids); "
                               "fix it or move it away")
        return data

    @property
    def _index_path(self) -> Path:
        assert self._path is not None
        return self._path.with_name(self._path.name + ".index")

    def _load_indexed(self, identity: str) -> bool:
        """Install the snapshot as ``<db>.index`` describes it, its records left encoded; False if it does not fit.

        Only a snapshot this store wrote, unchanged since (``identity`` is its stamp), gets here.
        The index file is a cache: one that is not for this snapshot, or that anything is
        wrong with, is passed over with one log line and the snapshot is parsed whole.
        """
        assert self._path is not None
        try:
            with open(self._index_path, "rb") as handle:
                if handle.readline() != f"{_INDEX_FORMAT} {identity}\n".encode():
                    raise ValueError("it describes another snapshot, or is of another version")
                described = marshal.loads(handle.read())  # load() reads piece by piece: 10x slower
            loaded = self._path.read_bytes()
            state, indexes = _checked_index(described, loaded)
        except FileNotFoundError:
            return False
        except Exception as exc:  # noqa: BLE001  any way it can be wrong means the same: parse instead
            log.warning("%s: not used (%s); reading %s whole instead", self._index_path,
                        f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else exc, self._path)
            return False
        self._loaded = loaded
        self._restore(state)
        self._indexes = indexes
        return True

    def _index_file(self, tables: dict[str, dict[str, Record | Span]], ids: dict[str, dict[str, str]],
                    spans: dict[str, list[Span]], following: dict[str, int], indexes: bytes) -> bytes:
        """``<db>.index`` for a snapshot of ``tables`` (with their ``ids``, id -> key) whose records lie at ``spans``."""
        described = {}
        for table, rows in tables.items():
            id_of = {key: record_id for record_id, key in ids.get(table, {}).items()}
            # A record still encoded has its id in the lookup (an index file gave both); a parsed one
            # names its own, even where a hand-edited snapshot gave two records one id.
            described[table] = (list(rows), [id_of[key] if type(row) is int else row["id"] for key, row in rows.items()],
                                spans[table])
        return marshal.dumps((described, following, indexes))

    def _replay(self) -> None:
        journal = self._journal_path
        raw = journal.read_bytes() if journal.exists() else b""
        lines = raw.split(b"\n")
        good = 0
        for number, line in enumerate(lines):
            last = number == len(lines) - 1
            if last and not line:
                break
            try:
                entry = loads(line)
                if last:  # complete JSON but no newline: the append was cut before its end
                    raise ValueError("no end of line")
                self._apply_entry(entry)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                if last or not any(lines[number + 1:]):
                    log.warning("%s: dropped a torn last line (a crash mid-write; it was never acknowledged)",
                                journal)
                    break
                raise StartupError(f"{journal} line {number + 1} is corrupt ({exc}); "
                                   "fix it or move it away") from None
            good += len(line) + 1
        if good != len(raw):
            with open(journal, "r+b") as handle:
                handle.truncate(good)
                os.fsync(handle.fileno())
        self._journal_size = good

    def _apply_entry(self, entry: dict) -> None:
        if "reset" in entry:
            self._install(entry["reset"])
            for table, rows in entry["reset"].items():
                self._replayed.setdefault(table, set()).update(rows)
        for table, key, record in entry.get("put", ()):
            self._put(table, str(key), record)
            self._replayed.setdefault(table, set()).add(str(key))

    def _install(self, data: dict) -> None:
        """Make ``data`` the whole state, rebuilding the id lookups (indexes are rebuilt on use)."""
        self._restore((data, {t: {r["id"]: k for k, r in rows.items()} for t, rows in data.items()},
                       {t: max(map(int, rows), default=0) + 1 for t, rows in data.items()}))

    def _state(self) -> tuple:
        """The whole state, for ``_restore`` (rows copied, records shared)."""
        return ({t: dict(rows) for t, rows in self._doc.items()}, {t: dict(ids) for t, ids in self._ids.items()},
                dict(self._next))

    def _restore(self, state: tuple) -> None:
        self._doc.clear()
        self._doc.update(state[0])
        self._ids, self._next = state[1], state[2]
        self._indexes = {}
        self._generation += 1

    # ---- the in-memory state -------------------------------------------------

    def _encoding(self, span: Span) -> bytes:
        """A record still encoded, as the snapshot read at start-up holds it."""
        start = span >> 32
        return self._loaded[start:start + (span & 0xFFFFFFFF)]

    def _decoded(self, row: Record | Span | None) -> Record | None:
        """A row as a record: one still encoded is parsed (not kept)."""
        return loads(self._encoding(row)) if type(row) is int else row  # type: ignore[return-value]

    def _row(self, rows: dict[str, Record | Span], key: str) -> Record | None:
        """The record at ``key`` of live ``rows``, parsed once and kept if it was still encoded."""
        row = rows.get(key)
        if type(row) is int:
            row = rows[key] = self._decoded(row)  # type: ignore[assignment]
        return row  # type: ignore[return-value]

    def _put(self, table: str, key: str, record: Record | None) -> Record | None:
        """Set one document (None removes it), keeping the lookups in step; returns the old one."""
        rows = self._doc.setdefault(table, {})
        old = self._decoded(rows.get(key))
        ids = self._ids.setdefault(table, {})
        if record is None:
            rows.pop(key, None)
            if old is not None:
                ids.pop(old["id"], None)
        else:
            rows[key] = record
            ids[record["id"]] = key
            self._next[table] = max(self._next.get(table, 1), int(key) + 1)
        if self._warming is not None and self._warming[0] == table:
            self._warming[1].add(key)
        for fields, buckets in self._indexes.get(table, {}).items():
            direct = _direct_key(fields)
            self._move(buckets, int(key), self._key_in(old, fields, direct), self._key_in(record, fields, direct))
        return old

    @staticmethod
    def _move(buckets: dict[tuple, list[int]], number: int, before: tuple | None, after: tuple | None) -> None:
        """Move doc id ``number`` from the bucket of ``before`` to that of ``after`` (None: no bucket)."""
        if before == after:
            return
        if before is not None:
            bucket = buckets[before]
            del bucket[bisect.bisect_left(bucket, number)]
            if not bucket:
                del buckets[before]
        if after is not None:
            bisect.insort(buckets.setdefault(after, []), number)

    @staticmethod
    def _key_in(record: Record | None, fields: tuple[Field, ...], direct: Callable[[Record], tuple]) -> tuple | None:
        """``_index_key``, read by ``direct`` (``_direct_key(fields)``) where the record allows: most hold a plain
        value in every indexed field (an index builds about 2x faster, a 5-field key takes half the time). One
        that lacks a field, has no object on a path, or holds a list or object (unhashable: its key is its JSON)
        takes ``_index_key``."""
        if record is None:
            return None
        try:
            value = direct(record)
            hash(value)  # TypeError for a list or object
        except (KeyError, TypeError):
            value = Repository._index_key(record, fields)
        return value

    @staticmethod
    def _index_key(record: Record | None, fields: tuple[Field, ...]) -> tuple | None:
        if record is None:
            return None
        return tuple([_key_of(record.get(field) if isinstance(field, str) else _nested(record, field))
                      for field in fields])

    def _index(self, table: str, fields: tuple[Field, ...]) -> dict[tuple, list[int]]:
        indexes = self._indexes.setdefault(table, {})
        buckets = indexes.get(fields)
        if buckets is None:
            rows = self._doc.get(table, {})
            for key in rows:  # a build reads every record: keep them parsed for the next one
                self._row(rows, key)
            buckets = indexes[fields] = self._buckets(rows, fields)
            self._index_fits = False  # the index file lacks this index: write it again at the next compaction
        return buckets

    def _built(self) -> list[tuple[str, tuple[Field, ...]]]:
        """Every index built: (table, fields)."""
        return [(table, fields) for table, built in self._indexes.items() for fields in built]

    def _buckets(self, rows: dict[str, Record | Span], fields: tuple[Field, ...]) -> dict[tuple, list[int]]:
        direct = _direct_key(fields)
        buckets: dict[tuple, list[int]] = {}
        for number, record in zip(map(int, rows), rows.values()):
            if type(record) is int:
                record = self._decoded(record)
            value = self._key_in(record, fields, direct)
            bucket = buckets.get(value)
            if bucket is None:
                buckets[value] = [number]
            else:
                bucket.append(number)
        for bucket in buckets.values():
            bucket.sort()
        return buckets

    def warm_indexes(self) -> None:
        """Start building the indexes the last server used, on a thread (call it once serving: nothing waits)."""
        if self._indexer is None and self._os_lock is not None and self._os_lock.indexes:
            self._indexer = threading.Thread(target=self._warm, args=(self._os_lock.indexes,),
                                             name="store-indexer", daemon=True)
            self._indexer.start()

    def _warm(self, indexes: list[tuple[str, tuple[Field, ...]]]) -> None:
        """Build the indexes the last server used, each off the lock, so no request waits for a build.

        Each is built from a copy of its table's rows; the writes made meanwhile are
        then applied to it under the lock. One a request needed first is kept.
        """
        for table, fields in indexes:
            with self._lock:
                if self._closed or fields in self._indexes.get(table, {}):
                    continue
                rows, generation = dict(self._doc.get(table, {})), self._generation
                self._warming = (table, set())
            buckets = self._buckets(rows, fields)
            with self._lock:
                assert self._warming is not None
                changed, self._warming = self._warming[1], None
                if generation != self._generation or fields in self._indexes.get(table, {}):
                    continue
                current = self._doc.get(table, {})
                for key in changed:
                    self._move(buckets, int(key), self._index_key(self._decoded(rows.get(key)), fields),
                               self._index_key(self._decoded(current.get(key)), fields))
                self._indexes.setdefault(table, {})[fields] = buckets
                self._index_fits = False

    def _candidates(self, table: str, where: Where | list[Where] | None) -> _Rows:
        rows = self._doc.get(table, {})
        if where is None:
            return _Rows(self, rows, None)
        lists = []
        for clause in [where] if isinstance(where, dict) else where:
            fields = _index_fields(tuple(clause))
            bucket = self._index(table, fields).get(tuple([_key_of(clause[f]) for f in fields]))
            if bucket:
                lists.append(bucket)
        keys = lists[0] if len(lists) == 1 else list(heapq.merge(*lists))
        return _Rows(self, rows, keys if lists else [])

    # ---- transactions ----------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All the writes of the block reach the journal together, in one line, or none of them do."""
        with self._lock:
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._rollback(self._undo)
                    self._end()
                raise
            self._depth -= 1
            if self._depth == 0:
                try:
                    self._commit()
                finally:
                    self._end()

    def _end(self) -> None:
        self._undo, self._changes, self._reset = [], {}, None

    def _rollback(self, undo: list) -> None:
        for table, key, old in reversed(undo):
            if table == "*":
                self._restore(old)  # type: ignore[arg-type]
            else:
                self._put(table, key, old)

    def _write(self, table: str, record: Record, *, new: bool) -> None:
        """Store ``record`` (already a private copy) inside the open transaction."""
        key = self._ids.get(table, {}).get(record["id"])
        if new:
            if key is not None:
                raise KeyError(f"{table} already holds id {record['id']}")
            key = str(self._next.get(table, 1))
        elif key is None:
            raise KeyError(f"{table} holds no id {record['id']}")
        if self._shrink is not None:
            record = self._shrink(record)
        self._undo.append((table, key, self._put(table, key, record)))
        self._changes[(table, key)] = record

    def _commit(self) -> None:
        if not self._changes and self._reset is None:
            return
        if self._wrote is not None:
            self._wrote.update(self._changes)
        if self._path is None:
            return
        entry: dict[str, Any] = {"put": [[t, int(k), r] for (t, k), r in self._changes.items()]}
        if self._reset is not None:
            entry["reset"] = self._reset
        line = dumps(entry) + b"\n"
        before = self._journal_size
        try:
            if self._uncut:
                # What a failed cut left past the end would be read with this line as one
                # corrupt line: cut it now, or write nothing.
                self.disk.truncate(self._journal_fd, before)
                self._uncut = False
            self.disk.write(self._journal_fd, line)
        except OSError as exc:
            self._rollback(self._undo)
            self._cut_journal(before)
            raise storage_error(exc) from exc
        self._journal_size = before + len(line)
        self._written_seq += 1
        self._unsynced.append((self._written_seq, before, self._undo))
        self._last_write = time.monotonic()
        _ticket.set(self._written_seq)
        if self._journal_size > self._compact_bytes:
            with self._wake:
                self._wake.notify()
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no event loop here to await it on: make it durable now
            self._sync(self._written_seq)

    def _cut_journal(self, size: int) -> None:
        try:
            self.disk.truncate(self._journal_fd, size)
        except OSError:
            log.exception("could not cut %s back to %d bytes", self._journal_path, size)
            self._uncut = True  # the next commit cuts it first

    # ---- durability --------------------------------------------------------------

    def _sync(self, target: int) -> None:
        """fsync the journal; on failure undo every write not yet durable, and raise."""
        try:
            with self._fsync_lock:
                self.disk.fsync(self._journal_fd)
        except OSError as exc:
            with self._lock:
                if self._synced_seq < target:
                    self._undo_unsynced()
            raise storage_error(exc) from exc
        with self._lock:
            if target > self._synced_seq:
                self._synced_seq = target
                self._unsynced = [u for u in self._unsynced if u[0] > target]

    def _undo_unsynced(self) -> None:
        if not self._unsynced:
            return
        for _, _, undo in reversed(self._unsynced):
            self._rollback(undo)
        self._cut_journal(self._unsynced[0][1])
        self._journal_size = self._unsynced[0][1]
        self._lost.append((self._unsynced[0][0], self._written_seq))
        self._synced_seq = self._written_seq
        self._unsynced = []

    def _was_lost(self, seq: int) -> bool:
        return any(first <= seq <= last for first, last in self._lost)

    @staticmethod
    def ticket() -> int:
        """The last transaction this request (task or thread context) committed; 0 if none."""
        return _ticket.get()

    @staticmethod
    def set_ticket(seq: int = 0) -> None:
        """Start a request with no write (0), or carry a write made in another context over to this one."""
        _ticket.set(seq)

    async def durable(self, seq: int) -> None:
        """Wait until transaction ``seq`` is on disk; raises ``StorageFailed`` if it never will be.

        Concurrent callers share one fsync: whoever finds none running starts one
        that covers every transaction written so far.
        """
        while True:
            if self._was_lost(seq):
                raise StorageFailed("Storage failed while saving this change; nothing was written. Retry later.")
            if self._synced_seq >= seq:
                return
            flush = self._flushing
            if flush is None or flush.done():
                # A new fsync covers every transaction written so far, this one included.
                flush = self._flushing = self._flusher.request(self._written_seq)
            try:
                await asyncio.shield(flush)
            except StorageFailed:
                if self._was_lost(seq):
                    raise

    # ---- compaction --------------------------------------------------------------

    @property
    def _index_missing(self) -> bool:
        """Whether idle time or shutdown should write the index file (start-up parsed the snapshot whole,
        or an index was built since): only once the snapshot is vouched for, since a compaction stamps
        it, and a server that dies in its start-up check must leave the next one to check it again."""
        return self._vouched and not self._index_fits

    def _compact_loop(self) -> None:
        failed = False
        while True:
            with self._wake:
                # Writes that passed the threshold during a compaction notified no one: look before waiting.
                if failed or self._journal_size <= self._compact_bytes:
                    self._wake.wait(timeout=self._compact_idle)
            if self._closed:
                return
            failed = False
            idle = time.monotonic() - self._last_write >= self._compact_idle
            if self._journal_size > self._compact_bytes or (idle and (self._journal_size or self._index_missing)):
                try:
                    self.compact()
                except (OSError, StorageFailed) as exc:  # e.g. disk full: the journal still holds everything
                    log.warning("compaction of %s failed (%s); will retry", self._path, exc)
                    failed = True

    def compact(self) -> None:
        """Fold the journal into a new snapshot; the journal keeps only what came after."""
        if self._path is None:
            return
        with self._compact_lock:
            with self._lock:
                if self._unsynced:  # a snapshot holds only what is durable (or it could outlive an undo)
                    self._sync(self._written_seq)
                tables, ids, following = self._state()
                indexes, described = marshal.dumps(self._indexes), self._built()
                mark = self._journal_size
            exact: list[str] = []
            spans: dict[str, list[Span]] = {}
            self.disk.replace_file(self._path, self._snapshot_chunks(tables, exact, spans))
            if self._os_lock is not None:
                with contextlib.suppress(OSError, StartupError):  # a file just made: no one else holds it
                    self._os_lock.hold(self._path)
            identity = self._stamp_snapshot(bool(exact))
            self._index_fits = False
            with contextlib.suppress(OSError):  # without it, the next start-up parses the snapshot
                self.disk.replace_file(self._index_path, [
                    f"{_INDEX_FORMAT} {identity}\n".encode(), self._index_file(tables, ids, spans, following, indexes)])
                with self._lock:  # unless an index was built meanwhile
                    self._index_fits = described == self._built()
            with self._lock, self._fsync_lock:
                tail = os.pread(self._journal_fd, self._journal_size - mark, mark) if self._journal_size > mark else b""
                self.disk.replace_file(self._journal_path, [tail])
                old_fd, self._journal_fd = self._journal_fd, self.disk.open_append(self._journal_path)
                os.close(old_fd)
                # The new journal was fsync'd whole: everything written so far is durable.
                self._journal_size, self._uncut = len(tail), False
                self._synced_seq = self._written_seq
                self._unsynced = []

    def _stamp_snapshot(self, exact: bool) -> str:
        """Stamp the snapshot on disk as this store's; returns its identity."""
        identity = _identity(self._path)
        if self._os_lock is not None:
            self._os_lock.stamp_snapshot(f"{identity} {'exact' if exact else 'orjson'}")
        return identity

    def _snapshot_chunks(self, tables: dict[str, dict[str, Record | Span]], exact: list[str],
                         spans: dict[str, list[Span]]) -> Iterator[bytes]:
        """The TinyDB JSON document, record by record, so other threads run between the pieces.

        Appends to ``exact`` the key of every record only the exact encoder could write,
        and to ``spans[table]`` where each record lies in the document, in row order.
        """
        yield b"{"
        size = 1
        for t_number, (table, rows) in enumerate(tables.items()):
            head = (b"," if t_number else b"") + orjson.dumps(table) + b":{"
            yield head
            size += len(head)
            where = spans[table] = []
            for r_number, (key, record) in enumerate(rows.items()):
                if type(record) is int:  # still as the last snapshot held it: already in its stored form
                    encoded = self._encoding(record)
                else:
                    if self._shrink is not None:
                        record = self._shrink(record)
                    encoded = dumps(record)
                if encoded[:1] == b" ":
                    exact.append(key)
                piece = (b"," if r_number else b"") + orjson.dumps(key) + b":" + encoded
                where.append((size + len(piece) - len(encoded)) << 32 | len(encoded))
                size += len(piece)
                yield piece
            yield b"}"
            size += 1
        yield b"}"

    # ---- the public interface ------------------------------------------------------

    def insert(self, table: str, record: Record) -> Record:
        """Store a copy of ``record``; returns ``record`` itself (the caller's, as it was)."""
        with self.transaction():
            self._write(table, _copy(record), new=True)
        return record

    def insert_many(self, table: str, records: Iterable[Record]) -> None:
        """Insert several records in one transaction."""
        with self.transaction():
            for record in records:
                self._write(table, _copy(record), new=True)

    def get(self, table: str, record_id: str, *, shared: bool = False) -> Record | None:
        """A copy of the record with this id; with ``shared``, the stored one itself (see ``select``)."""
        with self._lock:
            key = self._ids.get(table, {}).get(record_id)
            if key is None:
                return None
            self._row(self._doc[table], key)  # TinyDB reads records, not their encodings
            doc = self._db.table(table).get(doc_id=int(key))
            return doc if doc is None or shared else _copy(doc)

    def replace(self, table: str, record: Record) -> Record:
        """Store a copy of ``record`` in place of the one with its id; returns ``record`` itself."""
        self.replace_many(table, [record])
        return record

    def replace_many(self, table: str, records: Iterable[Record]) -> None:
        """Replace stored records by id, in one transaction."""
        with self.transaction():
            for record in records:
                self._write(table, _copy(record), new=False)

    def find(self, table: str, predicate: Callable[[Record], bool] | None = None, *,
             where: Where | list[Where] | None = None, shared: bool = False) -> list[Record]:
        """Every record matching ``where`` (field equalities, served by an index) and ``predicate``, oldest first;
        ``shared``: see ``select``."""
        return self.select(table, predicate, where=where, shared=shared)[1]

    def select(self, table: str, predicate: Callable[[Record], bool] | None = None,
               start: int = 0, stop: int | None = None, *,
               where: Where | list[Where] | None = None, shared: bool = False) -> tuple[int, list[Record]]:
        """How many records match, and copies of the matches in ``[start:stop]`` (oldest first).

        ``where`` is an equality filter on fields (or a list of them, united) served by
        an index; with no ``predicate`` a page costs only its own size. ``shared``: the
        stored records themselves, not copies, for a caller that only reads them to build
        an answer (copying a page of records cost more than the rest of a list request).
        """
        with self._lock:
            candidates = self._candidates(table, where)
            if predicate is None:
                total, page = len(candidates), candidates[start:stop]
            else:
                matches = [r for r in candidates if predicate(r)]
                total, page = len(matches), matches[start:stop]
            return total, page if shared else [_copy(r) for r in page]

    def search_stored(self, pattern: re.Pattern[bytes]) -> bytes | None:
        """Group 1 of the first match of ``pattern`` in the files (snapshot, then journal); None in memory.

        Reads them mapped, not parsed: a start-up check that a large store answers in a blink.
        """
        for path in (self._path, self._journal_path) if self._path is not None else ():
            if path.exists() and path.stat().st_size:
                with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                    found = pattern.search(data)
                    if found:
                        return bytes(found.group(1))
        return None

    def unvouched(self, table: str) -> Iterator[Record]:
        """At start-up, the loaded records of ``table`` this store cannot vouch for (not copies).

        Those are all of them, unless the snapshot is the one this store last wrote,
        unchanged since (see ``_Lock``); then only those the journal replayed.
        """
        rows = self._doc.get(table, {})
        for key in list(rows) if not self._vouched else self._replayed.get(table, ()):
            if key in rows:
                yield self._row(rows, key)  # type: ignore[misc]

    def vouch(self) -> None:
        """Every record start-up loaded was checked: vouch for this snapshot at the next start-up too."""
        if not self._vouched:
            self._stamp_snapshot(bool(self._snapshot_exact))
            self._vouched = True

    def count(self, table: str, where: Where | None = None) -> int:
        with self._lock:
            return len(self._candidates(table, where))

    def export_state(self) -> dict:
        """A deep, plain-JSON copy of every table: ``{table: [record, ...]}`` in creation order (a snapshot)."""
        with self._lock:
            return {table: [_copy(self._row(rows, k)) for k in sorted(rows, key=int)]
                    for table, rows in sorted(self._doc.items())}

    @staticmethod
    def check_state(data: Any) -> None:
        """ValueError unless ``data`` is a state ``replace_state`` takes: tables of records, ids unique in each."""
        if not (isinstance(data, dict) and all(
                isinstance(records, list) and all(isinstance(r, dict) and isinstance(r.get("id"), str)
                                                  for r in records)
                for records in data.values())):
            raise ValueError("state must be {table: [{id: ..., ...}, ...]}")
        for table, records in data.items():
            seen: set[str] = set()
            for record in records:
                if record["id"] in seen:
                    raise ValueError(f"table {table} holds two records with id {record['id']}")
                seen.add(record["id"])

    def replace_state(self, data: dict) -> None:
        """Make the store hold exactly ``data`` (as ``export_state`` gives it), in one durable transaction."""
        self.check_state(data)
        new = _rows_of(_copy(data))
        with self.transaction():
            old = self._state()
            self._install(new)
            self._undo.append(("*", "", old))  # type: ignore[arg-type]
            self._changes.clear()
            self._reset = new

    def merge_state(self, data: dict) -> None:
        """Write every record of ``data`` (``export_state``'s form): a new id inserted, a known one replaced;
        in one durable transaction."""
        self.check_state(data)
        with self.transaction():
            for table, records in data.items():
                for record in records:
                    self._write(table, _copy(record), new=record["id"] not in self._ids.get(table, {}))

    def draft(self, data: dict | None = None) -> "Repository":
        """A store in memory holding ``data`` (by default a copy of this one's state), its records kept in the
        same form: a change made there in many steps comes back here in one transaction, or not at all
        (``replace_state`` with its ``export_state``, or ``merge_state`` with what it ``wrote``)."""
        if data is None:
            data = self.export_state()  # a copy already
        else:
            self.check_state(data)
            data = _copy(data)
        draft = Repository(MEMORY, shrink=self._shrink)
        draft._install(_rows_of(data))
        draft._wrote = {}
        return draft

    def wrote(self) -> dict:
        """The records a draft's transactions wrote, in ``export_state``'s form, first written first."""
        assert self._wrote is not None, "only a draft keeps what it wrote"
        with self._lock:
            written: dict[str, list[Record]] = {}
            for (table, _), record in self._wrote.items():
                written.setdefault(table, []).append(_copy(record))
            return written

    def close(self) -> None:
        """Stop the compactor, fold the journal into the snapshot, and let go of the database."""
        if self._closed:
            return
        self._closed = True
        if self._compactor is not None:
            with self._wake:
                self._wake.notify()
            self._compactor.join()
        if self._indexer is not None:
            self._indexer.join()
        self._flusher.stop()
        if self._path is None:
            return
        try:
            if self._journal_size or self._index_missing:
                self.compact()
        except (OSError, StorageFailed) as exc:
            log.warning("could not compact %s at shutdown (%s); the journal keeps every write", self._path, exc)
        finally:
            os.close(self._journal_fd)
            if self._os_lock is not None:
                self._os_lock.remember_indexes(self._built())
                self._os_lock.release()


class _Rows:
    """The records of a list of doc ids (None: all of them), sliced without reading the rest."""

    def __init__(self, repo: Repository, rows: dict[str, Record | Span], keys: list[int] | None) -> None:
        self._repo, self._rows, self._keys = repo, rows, keys

    def __len__(self) -> int:
        return len(self._rows if self._keys is None else self._keys)

    def __iter__(self) -> Iterator[Record]:
        return self._records(self._rows if self._keys is None else map(str, self._keys))

    def __getitem__(self, span: slice) -> list[Record]:
        if self._keys is None:
            return list(self._records(itertools.islice(self._rows, span.start, span.stop)))
        return list(self._records(map(str, self._keys[span])))

    def _records(self, keys: Iterable[str]) -> Iterator[Record]:
        row = self._repo._row
        return (row(self._rows, key) for key in keys)  # type: ignore[misc]
