"""Named snapshots of the whole store: in memory, or files beside the db file (so they survive a restart).

A snapshot holds the store's records as they are stored, secrets sealed, so
writing it to disk shows nothing a db file would not.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

from mockserver.errors import NotFound, Unprocessable
from mockserver.store import Disk

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise Unprocessable([{"loc": ["path", "name"], "type": "string_pattern_mismatch",
                              "msg": "A snapshot name is 1 to 64 letters, digits, '.', '_' or '-'"}])
    return name


class SnapshotStore:
    def __init__(self, directory: Path | None) -> None:
        self._directory = directory  # None: in memory
        self._memory: dict[str, dict] = {}
        self._lock = threading.Lock()

    @classmethod
    def beside(cls, db: str | None) -> "SnapshotStore":
        return cls(None if db is None else Path(db).with_name(Path(db).name + ".snapshots"))

    def save(self, snapshot: dict) -> None:
        name = check_name(snapshot["name"])
        with self._lock:
            if self._directory is None:
                self._memory[name] = json.loads(json.dumps(snapshot))
                return
            self._directory.mkdir(parents=True, exist_ok=True)
            # Atomic, and with the umask's mode like the db's own files (a temporary file would be 0600).
            Disk().replace_file(self._path(name), [json.dumps(snapshot, separators=(",", ":")).encode()])

    def load(self, name: str) -> dict:
        check_name(name)
        with self._lock:
            if self._directory is None:
                found = self._memory.get(name)
                return json.loads(json.dumps(found)) if found is not None else self._missing(name)
            path = self._path(name)
            if not path.exists():
                self._missing(name)
            return json.loads(path.read_text(encoding="utf-8"))

    def names(self) -> list[str]:
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
            path.unlink()

    def _path(self, name: str) -> Path:
        return self._directory / f"{name}.json"

    @staticmethod
    def _missing(name: str) -> dict:
        raise NotFound(f"No snapshot named '{name}'")
