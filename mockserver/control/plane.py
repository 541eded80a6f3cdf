"""The control plane's state and operations, over the backend it controls.

``control.routes`` is its HTTP face; the pytest plugin drives it through those routes.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from mockserver import __version__
from mockserver.domain import credentials, ids, kafka_users, topics, transforms
from mockserver.domain import tenants as runtime_tenants
from mockserver.domain import status as lifecycle
from mockserver.domain.references import PIPELINES, TAGS
from mockserver.domain.records import iso_now, is_live
from mockserver.control.clock import VirtualClock
from mockserver.control.faults import FaultBook
from mockserver.control.journal import Journal, Masker
from mockserver.control.seed import Seed, Seeder, SeedError
from mockserver.control.snapshots import DamagedSnapshot, SnapshotStore
from mockserver.domain.stored import state_problem
from mockserver.errors import (ApiError, BadRequest, Conflict, NotFound, StartupError, StorageFailed,
                               Unprocessable)
from mockserver.settings import shipped_seeds

CONNECTOR_TABLES = ("sources", "destinations")
# Every table the domain writes, as health reports them.
TABLES = (*CONNECTOR_TABLES, transforms.TABLE, PIPELINES, topics.TABLE, TAGS, kafka_users.TABLE, credentials.TABLE)


class ControlPlane:
    def __init__(self, backend: Any, clock: VirtualClock, run: ids.Source | None = None) -> None:
        self.backend = backend
        self.run = run  # with --id-seed: a full reset starts the run again
        self.settings = backend.settings
        self.clock = clock
        self._started = time.monotonic()
        self.faults = FaultBook()
        plugins = backend.plugins
        self.journal = Journal(self.settings.journal_size, Masker(lambda: (
            key for kind in ("sources", "destinations", "transforms")
            for plugin in plugins.all(kind) for key in plugin.secret_keys())), self.settings.journal_bytes)
        self.snapshots = SnapshotStore.beside(None if self.settings.in_memory else self.settings.db, backend.repo.disk)
        self.seed: Seed | None = None
        if self.settings.seed is not None:
            try:
                self.seed = Seed.load(self.settings.seed)
                # A store that already holds the seed's ids (a restart) keeps them as they are.
                asyncio.run(self._add(self.seed, skip_existing=True))
            except SeedError as exc:
                raise StartupError(str(exc)) from None
            except StorageFailed as exc:
                raise StartupError(f"seed {self.settings.seed}: {exc.detail}") from None

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
        """Back to the fixtures and the seed: everything (entities, faults, journal, clock), or one tenant's entities.

        The new state is made in a draft and replaces the store's in one transaction:
        a reset the disk refuses changes nothing.
        """
        directory = self.backend.directory
        if tenant is not None and directory.tenant(tenant) is None:
            raise BadRequest(f"Unknown tenant '{tenant}': expected one of {', '.join(self._tenant_ids())}")
        repo = self.backend.repo
        kept = {} if tenant is None else {table: [r for r in records if r.get("tenant_id") != tenant]
                                          for table, records in repo.export_state().items()}
        draft = repo.draft(kept)
        if tenant is None and self.run is not None:
            self.run.restart()  # before the seed: it draws the same values as at start-up
        # A full reset rewinds the clock: its seed is made at real time.
        staged = self.backend.on(draft, self.clock if tenant is not None else self.clock.real)
        staged.tags.seed_system_tags(self.settings.fixtures / "tags.json")
        if self.seed is not None:
            try:
                await Seeder(staged).apply(self.seed, tenant=tenant)
            except SeedError as exc:
                raise _refusal(exc) from None
        repo.replace_state(draft.export_state())
        await repo.durable(repo.ticket())  # a reset the disk undoes must leave the rest as it was too
        if tenant is None:
            self.clock.rewind()
            self.faults.clear()
            self.journal.clear()
        if revoke_tokens:
            for credential in directory.fixture_credentials():
                if tenant is None or credential.tenant_id == tenant:
                    self.backend.tokens.revoke_client(credential.client_id)

    # ---- tenants created at run time -----------------------------------------

    def create_tenant(self, name: str | None = None) -> dict:
        """A new tenant with one service, an admin and a read-only credential (their secrets shown only here)."""
        created = self.backend.runtime_tenants.create(name)
        described = self._describe_tenant(created.record["id"])
        for credential in described["credentials"]:
            credential["secret"] = created.secrets[credential["client_id"]]
        return described

    def delete_tenant(self, tenant_id: str) -> dict:
        """Drop a runtime tenant with everything it owns; its credentials stop working at once."""
        self.backend.runtime_tenants.deletable(tenant_id)
        described = self._describe_tenant(tenant_id)
        repo = self.backend.repo
        repo.replace_state({table: [r for r in records if r.get("tenant_id") != tenant_id
                                    and not (table == runtime_tenants.TABLE and r["id"] == tenant_id)]
                            for table, records in repo.export_state().items()})
        for credential in described["credentials"]:
            self.backend.tokens.revoke_client(credential["client_id"])
        return described

    def list_tenants(self) -> list[dict]:
        return [self._describe_tenant(tenant_id) for tenant_id in self._tenant_ids()]

    def _tenant_ids(self) -> list[str]:
        return [*self.backend.directory.tenants, *(r["id"] for r in self.backend.runtime_tenants.runtime())]

    def _describe_tenant(self, tenant_id: str) -> dict:
        directory = self.backend.directory
        tenant = directory.tenant(tenant_id)
        return {"tenant_id": tenant.id, "name": tenant.name, "sub_id": tenant.sub_id,
                "service_id": tenant.service_ids[0], "service_ids": list(tenant.service_ids),
                "fixture": tenant.id in directory.tenants,
                "credentials": [{"client_id": c.client_id, "roles": list(c.roles), "description": c.description}
                                for c in directory.builtin_credentials(tenant.id)]}

    # ---- seed ----------------------------------------------------------------

    async def add_seed(self, data: Any) -> dict[str, int]:
        """Create the entities of a seed document now (a reset brings back only the start-up seed)."""
        try:
            return await self._add(Seed.parse(data, "request body"))
        except SeedError as exc:
            raise _refusal(exc) from None

    async def _add(self, seed: Seed, *, skip_existing: bool = False) -> dict[str, int]:
        """Make the seed's entities in a draft of the store, then write them in one transaction: all or none."""
        draft = self.backend.repo.draft()
        created = await Seeder(self.backend.on(draft)).apply(seed, skip_existing=skip_existing)
        self.backend.repo.merge_state(draft.wrote())
        return created

    async def add_shipped_seed(self, name: str) -> dict[str, int]:
        """Create the entities of a shipped seed (``streamkap-mock seeds``), by name."""
        path = shipped_seeds().get(name)
        if path is None:
            raise NotFound(f"No shipped seed named '{name}' (shipped: {', '.join(shipped_seeds()) or 'none'})")
        try:
            return await self._add(Seed.load(path))
        except SeedError as exc:
            raise _refusal(exc) from None

    # ---- snapshots -----------------------------------------------------------

    def save_snapshot(self, name: str) -> dict:
        state = self.backend.repo.export_state()
        snapshot = {"name": name, "created": iso_now(time.time()), "state": state}
        self.snapshots.save(snapshot)
        return self._describe(name, snapshot)

    def restore_snapshot(self, name: str) -> dict:
        snapshot = self._checked(name)
        self.backend.repo.replace_state(snapshot["state"])
        return self._describe(name, snapshot)

    def list_snapshots(self) -> list[dict]:
        """Every snapshot; a file that cannot be restored is listed with what is wrong with it."""
        listed = []
        for name in self.snapshots.names():
            try:
                listed.append({**self._describe(name, self._checked(name)), "damaged": None})
            except (DamagedSnapshot, Unprocessable) as exc:
                damaged = exc.detail if isinstance(exc, DamagedSnapshot) else \
                    f"{self.snapshots.where(name)}: not a snapshot name ({exc.detail[0]['msg']})"
                listed.append({"name": name, "created": None, "entities": {}, "damaged": damaged})
        return listed

    def _checked(self, name: str) -> dict:
        """The snapshot of that name, checked as start-up checks a database (its records, its secrets' key)."""
        snapshot = self.snapshots.load(name)
        problem = state_problem(snapshot["state"], self.backend.box)
        if problem is not None:
            raise DamagedSnapshot(f"{self.snapshots.where(name)}: {problem}; nothing was restored")
        return snapshot

    @staticmethod
    def _describe(name: str, snapshot: dict) -> dict:
        """A snapshot as the API shows it, under the name it is restored by (a copied file's own)."""
        counts = {table: sum(is_live(r) for r in records) for table, records in snapshot["state"].items()}
        return {"name": name, "created": snapshot["created"], "entities": counts}

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


def _refusal(exc: SeedError) -> ApiError:
    """A seed the API's rules refuse, as the API would answer: 409 for a duplicate, 400 for the rest."""
    return Conflict(str(exc)) if exc.conflict else BadRequest(str(exc))
