"""The control plane's state and operations, over the backend it controls.

``control.routes`` is its HTTP face; the pytest plugin drives it through those routes.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from mockserver import __version__
from mockserver.domain import credentials, kafka_users, topics, transforms
from mockserver.domain import status as lifecycle
from mockserver.domain.references import PIPELINES, TAGS
from mockserver.domain.records import iso_now, is_live
from mockserver.control.clock import VirtualClock
from mockserver.control.faults import FaultBook
from mockserver.control.journal import Journal, Masker
from mockserver.control.seed import Seed, Seeder, SeedError
from mockserver.control.snapshots import SnapshotStore
from mockserver.errors import BadRequest, NotFound, StartupError

CONNECTOR_TABLES = ("sources", "destinations")
# Every table the domain writes, as health reports them.
TABLES = (*CONNECTOR_TABLES, transforms.TABLE, PIPELINES, topics.TABLE, TAGS, kafka_users.TABLE, credentials.TABLE)


class ControlPlane:
    def __init__(self, backend: Any, clock: VirtualClock) -> None:
        self.backend = backend
        self.settings = backend.settings
        self.clock = clock
        self._started = time.monotonic()
        self.faults = FaultBook()
        plugins = backend.plugins
        self.journal = Journal(self.settings.journal_size, Masker(lambda: (
            key for kind in ("sources", "destinations", "transforms")
            for plugin in plugins.all(kind) for key in plugin.secret_keys())), self.settings.journal_bytes)
        self.snapshots = SnapshotStore.beside(None if self.settings.in_memory else self.settings.db)
        self.seeder = Seeder(backend)
        self.seed: Seed | None = None
        if self.settings.seed is not None:
            try:
                self.seed = Seed.load(self.settings.seed)
                # A store that already holds the seed's ids (a restart) keeps them as they are.
                asyncio.run(self.seeder.apply(self.seed, skip_existing=True))
            except SeedError as exc:
                raise StartupError(str(exc)) from None

    # ---- health --------------------------------------------------------------

    def health(self) -> dict:
        repo, now = self.backend.repo, self.clock()
        return {
            "status": "ok",
            "version": __version__,
            "uptime_seconds": round(time.monotonic() - self._started, 3),
            "storage": {"kind": "memory", "path": None} if self.settings.in_memory
            else {"kind": "file", "path": self.settings.db},
            # A count without copying any record: health is polled often.
            "entities": {table: repo.select(table, is_live, 0, 0)[0] for table in TABLES},
            "now": iso_now(now),
            "clock_offset_seconds": self.clock.offset,
        }

    # ---- reset ---------------------------------------------------------------

    async def reset(self, tenant: str | None = None, revoke_tokens: bool = False) -> None:
        """Back to the fixtures and the seed: everything (entities, faults, journal, clock), or one tenant's entities."""
        directory = self.backend.directory
        if tenant is not None and tenant not in directory.tenants:
            raise BadRequest(f"Unknown tenant '{tenant}': expected one of {', '.join(directory.tenants)}")
        if tenant is None:
            kept: dict = {}
            self.clock.rewind()
            self.faults.clear()
            self.journal.clear()
        else:
            kept = {table: [r for r in records if r.get("tenant_id") != tenant]
                    for table, records in self.backend.repo.export_state().items()}
        self.backend.repo.replace_state(kept)
        self.backend.tags.seed_system_tags(self.settings.fixtures / "tags.json")
        if self.seed is not None:
            await self.seeder.apply(self.seed, tenant=tenant)
        if revoke_tokens:
            for credential in directory.fixture_credentials():
                if tenant is None or credential.tenant_id == tenant:
                    self.backend.tokens.revoke_client(credential.client_id)

    # ---- seed ----------------------------------------------------------------

    async def add_seed(self, data: Any) -> dict[str, int]:
        """Create the entities of a seed document now (a reset brings back only the start-up seed)."""
        try:
            return await self.seeder.apply(Seed.parse(data, "request body"))
        except SeedError as exc:
            raise BadRequest(str(exc)) from None

    # ---- snapshots -----------------------------------------------------------

    def save_snapshot(self, name: str) -> dict:
        state = self.backend.repo.export_state()
        snapshot = {"name": name, "created": iso_now(time.time()), "state": state}
        self.snapshots.save(snapshot)
        return self._describe(snapshot)

    def restore_snapshot(self, name: str) -> dict:
        snapshot = self.snapshots.load(name)
        self.backend.repo.replace_state(snapshot["state"])
        return self._describe(snapshot)

    def list_snapshots(self) -> list[dict]:
        return [self._describe(self.snapshots.load(name)) for name in self.snapshots.names()]

    @staticmethod
    def _describe(snapshot: dict) -> dict:
        counts = {table: sum(is_live(r) for r in records) for table, records in snapshot["state"].items()}
        return {"name": snapshot["name"], "created": snapshot["created"], "entities": counts}

    # ---- clock ---------------------------------------------------------------

    def clock_state(self) -> dict:
        now = self.clock()
        return {"now": iso_now(now), "epoch_seconds": now, "offset_seconds": self.clock.offset}

    # ---- connector status ----------------------------------------------------

    def force_status(self, entity_id: str, status: str, *, trace: str | None = None,
                     then: str | None = None, after: float = 0.0) -> dict:
        """Set a source's or destination's status as if Kafka Connect had reported it."""
        repo = self.backend.repo
        for table in CONNECTOR_TABLES:
            record = repo.get(table, entity_id)
            if record is not None and is_live(record):
                now = self.clock()
                record["status"] = lifecycle.forced(status, now, trace=trace, then=then, after=after)
                repo.replace(table, record)
                return {"id": entity_id, "entity_type": table,
                        "connector_status": lifecycle.current(record["status"], now),
                        "task_statuses": lifecycle.task_statuses(record["status"], now)}
        raise NotFound(f"No source or destination with id '{entity_id}'")
