"""Named snapshots of the whole store: in memory, or files beside the db file (so they survive a restart).

A snapshot holds the store's records as they are stored, secrets sealed, so
writing it to disk shows nothing a db file would not. A file is written as the
store writes its own (temporary file, fsync, rename), through the same ``Disk``.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

from mockserver.errors import Conflict, NotFound, Unprocessable
from mockserver.files import read_regular
from mockserver.jsoncodec import dumps
from mockserver.store import Disk, storage_error

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise Unprocessable([{"loc": ["path", "name"], "type": "string_pattern_mismatch",
                              "msg": "A snapshot name is 1 to 64 letters, digits, '.', '_' or '-'"}])
    return name


class DamagedSnapshot(Conflict):
    """A snapshot that cannot be restored into this store: what is wrong, naming the file and the record."""


class SnapshotStore:
    def __init__(self, directory: Path | None, disk: Disk | None = None) -> None:
        self._directory = directory  # None: in memory
        self.disk = disk or Disk()  # a test swaps it to simulate a failing disk
        self._memory: dict[str, dict] = {}
        self._lock = threading.Lock()

    @classmethod
    def beside(cls, db: str | None, disk: Disk | None = None) -> "SnapshotStore":
        return cls(None if db is None else Path(db).with_name(Path(db).name + ".snapshots"), disk)

    def where(self, name: str) -> str:
        """How errors name a snapshot: its file, or its name in memory."""
        return f"snapshot '{name}'" if self._directory is None else f"snapshot file {self._path(name)}"

    def save(self, snapshot: dict) -> None:
        name = check_name(snapshot["name"])
        with self._lock:
            if self._directory is None:
                self._memory[name] = json.loads(json.dumps(snapshot))
                return
            try:
                self._directory.mkdir(parents=True, exist_ok=True)
                self.disk.replace_file(self._path(name), [dumps(snapshot)])
            except OSError as exc:
                raise storage_error(exc) from exc

    def load(self, name: str) -> dict:
        """The snapshot saved under ``name``: 404 if there is none, ``DamagedSnapshot`` if it is not one."""
        check_name(name)
        with self._lock:
            if self._directory is None:
                found = self._memory.get(name)
                return json.loads(json.dumps(found)) if found is not None else self._missing(name)
            path = self._path(name)
            if not path.exists():
                self._missing(name)
            try:
                snapshot: Any = json.loads(read_regular(path))
            except (OSError, ValueError) as exc:
                raise DamagedSnapshot(f"{self.where(name)}: not a readable JSON file ({exc})") from None
        if not (isinstance(snapshot, dict) and isinstance(snapshot.get("created"), str)
                and isinstance(snapshot.get("state"), dict)):
            raise DamagedSnapshot(f"{self.where(name)}: not a snapshot (an object with a created time and a state)")
        return snapshot

    def names(self) -> list[str]:
        """Every snapshot's name, and every file's in the folder that looks like one (a bad name included)."""
        with self._lock:
            if self._directory is None:
                return sorted(self._memory)
            if not self._directory.is_dir():
                return []
            return sorted(path.stem for path in self._directory.glob("*.json"))

    def delete(self, name: str) -> None:
        check_name(name)
        with self._lock:
            if self._directory is None:
                if self._memory.pop(name, None) is None:
                    self._missing(name)
                return
            path = self._path(name)
            if not path.exists():
                self._missing(name)
            try:
                self.disk.remove(path)
            except OSError as exc:
                raise storage_error(exc) from exc

    def _path(self, name: str) -> Path:
        return self._directory / f"{name}.json"

    @staticmethod
    def _missing(name: str) -> dict:
        raise NotFound(f"No snapshot named '{name}'")
