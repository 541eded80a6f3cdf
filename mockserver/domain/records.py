"""What every stored entity shares: ids, timestamps, tenancy, soft delete, paging."""

from __future__ import annotations

import contextlib
import functools
import math
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from mockserver.domain import ids
from mockserver.domain.tenancy import Principal
from mockserver.store import Repository

Record = dict[str, Any]
# Ids the next new_id() calls of this context hand out first (entities seeded with fixed ids).
_preset_ids: ContextVar[list[str] | None] = ContextVar("preset_ids", default=None)


@contextlib.contextmanager
def preset_id(entity_id: str) -> Iterator[None]:
    """Within the block, the first new_id() gives ``entity_id``; later ones are new as usual."""
    token = _preset_ids.set([entity_id])
    try:
        yield
    finally:
        _preset_ids.reset(token)


def new_id() -> str:
    """A 24-hex MongoDB-style ObjectId (see ``ids.object_id``), or the preset one."""
    preset = _preset_ids.get()
    if preset:
        return preset.pop()
    return ids.object_id()


@functools.lru_cache(maxsize=4)
def _second(whole: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))


def iso_now(now: float) -> str:
    """UTC to the millisecond, ``2026-01-01T00:00:00.000Z``, as ``datetime`` writes it; the second's text is
    made once per second (every request's access line and journal entry, every write, format one)."""
    fraction, whole = math.modf(now)
    micros = round(fraction * 1_000_000)  # as datetime.fromtimestamp rounds it
    return f"{_second(int(whole) + micros // 1_000_000)}.{micros % 1_000_000 // 1000:03d}Z"


def tags_shown(tags: list[str] | None) -> Record:
    """The ``tags`` of an entity as the backend answers them: left out when there are none (omitempty)."""
    return {"tags": list(tags)} if tags else {}


def owned_by(who: Principal) -> Record:
    return {"tenant_id": who.tenant_id, "service_id": who.service_id, "sub_id": who.sub_id}


def in_scope(record: Record, who: Principal) -> bool:
    return record.get("tenant_id") == who.tenant_id and record.get("service_id") == who.service_id


def is_visible(record: Record, who: Principal, now: float) -> bool:
    """In the caller's tenant and service, and not deleted (or still in its delete grace time)."""
    if not in_scope(record, who):
        return False
    return not record.get("deleted") or now < record.get("visible_until", 0)


def is_live(record: Record) -> bool:
    return not record.get("deleted")


def find_visible(repo: Repository, table: str, who: Principal, entity_id: str, now: float, *,
                 shared: bool = False) -> Record | None:
    """The caller's record by id if it is visible (see ``is_visible``), else None; ``shared``: see ``select_visible``."""
    record = repo.get(table, entity_id, shared=shared)
    return record if record is not None and is_visible(record, who, now) else None


def find_live(repo: Repository, table: str, who: Principal, entity_id: str, *,
              shared: bool = False) -> Record | None:
    """The caller's record by id if it is not deleted (not even within its grace time), else None;
    ``shared``: the stored record itself, which a caller must not change (see ``Repository.select``)."""
    record = repo.get(table, entity_id, shared=shared)
    return record if record is not None and is_live(record) and in_scope(record, who) else None


def mark_deleted(record: Record, now: float, grace: float) -> Record:
    return {**record, "deleted": True, "deleted_at": iso_now(now), "visible_until": now + grace,
            "in_grace": grace > 0}


# What a deleted record keeps once its grace time is over: enough to stay hidden, keep its id
# taken and answer the lookups that scan by these fields; its payload (config, ...) goes.
TOMBSTONE_FIELDS = ("id", "tenant_id", "service_id", "sub_id", "deleted", "deleted_at", "visible_until",
                    "name", "username", "client_id", "entity_type", "entity_id", "connector")


def tombstone(record: Record, now: float) -> Record:
    """How a record is stored: a deleted one past its grace time without its payload."""
    if not record.get("deleted") or now < record.get("visible_until", 0):
        return record
    return {k: record[k] for k in TOMBSTONE_FIELDS if k in record}


def select_visible(repo: Repository, table: str, who: Principal, now: float, start: int, stop: int | None,
                   match: Callable[[Record], bool] | None = None, *, shared: bool = False) -> tuple[int, list[Record]]:
    """How many of the caller's records are visible (and ``match``), and those in ``[start:stop]``, oldest first.

    Served by the store's indexes: with no ``match`` and nothing in a delete grace
    time, a page costs its own size, whatever the size of the table. ``shared``: the
    stored records, not copies, for a caller that only presents them (never changes them).
    """
    scope = {"tenant_id": who.tenant_id, "service_id": who.service_id}
    live, grace = {**scope, "deleted": False}, {**scope, "deleted": True, "in_grace": True}
    if match is None and not repo.count(table, grace):
        return repo.select(table, None, start, stop, where=live, shared=shared)
    return repo.select(table, lambda r: is_visible(r, who, now) and (match is None or match(r)),
                       start, stop, where=[live, grace], shared=shared)


@dataclass(frozen=True)
class Timing:
    """How long things take in this emulated backend (both 0 by default)."""

    status_delay: float = 0.0  # seconds a started connector or job stays starting
    delete_delay: float = 0.0  # seconds a DELETE ?wait=false stays visible
    deploy_delay: float = 0.0  # seconds a deployed transform job stays DEPLOYING


@dataclass(frozen=True)
class Page:
    page: int = 1
    page_size: int = 10

    @property
    def bounds(self) -> tuple[int, int]:
        """The ``[start, stop)`` of this page in the full list."""
        start = (self.page - 1) * self.page_size
        return start, start + self.page_size


def envelope(page: Page, total: int, result: Iterable[Any]) -> dict:
    return {"total": total, "page_size": page.page_size, "page": page.page, "result": list(result)}


def envelope_of_one(item: Any | None) -> dict:
    """How the backend answers a read by id: the list envelope, empty when the entity is gone."""
    result = [] if item is None else [item]
    return envelope(Page(), len(result), result)


Clock = Callable[[], float]
