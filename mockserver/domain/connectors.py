"""Sources and destinations: the rules of their create, read, update, delete and actions."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from mockserver.domain import status as lifecycle
from mockserver.domain.plugins import Plugin, PluginRegistry
from mockserver.domain.records import (
    Clock,
    Page,
    Record,
    Timing,
    find_live,
    find_visible,
    iso_now,
    mark_deleted,
    new_id,
    owned_by,
    select_visible,
    tags_shown,
)
from mockserver.domain.references import check_tag_ids, ensure_name_free, ensure_unused
from mockserver.domain.secrets import SecretBox, unmask
from mockserver.domain.tenancy import Principal
from mockserver.domain.topics import TopicStore, source_topic_names
from mockserver.errors import BadRequest, NotFound
from mockserver.store import Repository

SINGULAR = {"sources": "Source", "destinations": "Destination"}


@dataclass(frozen=True)
class ConnectorInput:
    """A create or full-replacement update, as the client sent it."""

    name: str
    connector: str
    config: dict[str, Any]
    created_from: str | None = None
    tags: list[str] | None = None
    kc_cluster_id: str | None = None


@dataclass(frozen=True)
class Filters:
    ids: list[str] | None = None
    partial_name: str | None = None
    connectors: list[str] | None = None
    statuses: list[str] | None = None


@dataclass
class ConnectorService:
    entity_type: str  # "sources" | "destinations"
    repo: Repository
    plugins: PluginRegistry
    box: SecretBox
    topics: TopicStore
    clock: Clock
    timing: Timing = field(default_factory=Timing)
    # Plugin resolution may await: one write at a time keeps each read-check-write whole.
    _writes: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    # ---- reads -------------------------------------------------------------

    # get, find and list serve the routes that present records (never change them): the stored ones, not copies.
    def get(self, who: Principal, entity_id: str) -> Record | None:
        return find_visible(self.repo, self.entity_type, who, entity_id, self.clock(), shared=True)

    def require(self, who: Principal, entity_id: str) -> Record:
        """The caller's entity to change: one deleted, even within its delete grace time, is gone.

        The stored record itself: a change is written as a new record (``{**record, ...}``), never made to it.
        """
        record = find_live(self.repo, self.entity_type, who, entity_id, shared=True)
        if record is None:
            raise NotFound()
        return record

    def find(self, who: Principal, filters: Filters = Filters()) -> list[Record]:
        return self.list(who, Page(1, 0), filters)[1]

    def list(self, who: Principal, page: Page, filters: Filters = Filters()) -> tuple[int, list[Record]]:
        start, stop = page.bounds if page.page_size else (0, None)
        return select_visible(self.repo, self.entity_type, who, self.clock(), start, stop, self._matcher(filters),
                              shared=True)

    def _matcher(self, filters: Filters):
        """The filters as a predicate; None when there are none (so a page is served from the index)."""
        if filters == Filters():
            return None
        now = self.clock()
        needle = (filters.partial_name or "").lower()
        ids = set(filters.ids) if filters.ids else None
        connectors = set(filters.connectors) if filters.connectors else None
        statuses = {s.lower() for s in filters.statuses} if filters.statuses else None

        def matches(r: Record) -> bool:
            return (
                (ids is None or r["id"] in ids)
                and needle in r["name"].lower()
                and (connectors is None or r["connector"] in connectors)
                and (statuses is None or lifecycle.current(r["status"], now).lower() in statuses)
            )

        return matches

    # ---- writes ------------------------------------------------------------

    async def create(self, who: Principal, data: ConnectorInput) -> Record:
        async with self._writes:
            return await self._create(who, data)

    async def update(self, who: Principal, entity_id: str, data: ConnectorInput, *, wait: bool = True) -> Record:
        """A full replacement; without ``wait`` the connector is ``Pending Update`` until it settles."""
        async with self._writes:
            return await self._update(who, entity_id, data, wait)

    async def _create(self, who: Principal, data: ConnectorInput) -> Record:
        plugin = self._plugin(data.connector)
        ensure_name_free(self.repo, self.entity_type, who, data.name, None)
        check_tag_ids(self.repo, who, data.tags)
        entity_id = new_id()
        config = await plugin.prepare(data.config, entity_id=entity_id, existing=None)
        self._check_unique_rules(who, plugin, config, None)
        now = self.clock()
        record: Record = {
            "id": entity_id,
            "name": data.name,
            "connector": plugin.code,
            "created_timestamp": iso_now(now),
            "created_from": data.created_from,
            **owned_by(who),
            "kc_cluster_id": data.kc_cluster_id,
            "tags": list(data.tags or []),
            "status": lifecycle.starting(now, self.timing.status_delay),
            "deleted": False,
        }
        with self.repo.transaction():  # the entity and its topics, together
            record.update(self._with_config(who, plugin, record, config, now))
            return self.repo.insert(self.entity_type, record)

    async def _update(self, who: Principal, entity_id: str, data: ConnectorInput, wait: bool) -> Record:
        existing = self.require(who, entity_id)
        if data.connector != existing["connector"]:
            raise BadRequest(
                f"The connector of an existing {self._singular.lower()} cannot change "
                f"(it is '{existing['connector']}', the request says '{data.connector}')"
            )
        plugin = self._plugin(data.connector)
        ensure_name_free(self.repo, self.entity_type, who, data.name, entity_id)
        check_tag_ids(self.repo, who, data.tags)
        old_config = self.box.open_config(existing)
        config = await plugin.prepare(unmask(data.config, old_config, plugin.secret_keys()),
                                      entity_id=entity_id, existing=old_config)
        self._check_unique_rules(who, plugin, config, entity_id)
        now = self.clock()
        record = {
            **existing,
            "name": data.name,
            # created_from is kept from the create, whatever the update says.
            "kc_cluster_id": data.kc_cluster_id if data.kc_cluster_id is not None else existing.get("kc_cluster_id"),
            "tags": existing.get("tags", []) if data.tags is None else list(data.tags),
            "updated_timestamp": iso_now(now),
        }
        if not wait:
            record["status"] = lifecycle.pending_update(existing["status"], now, self.timing.status_delay)
        with self.repo.transaction():
            record.update(self._with_config(who, plugin, record, config, now))
            return self.repo.replace(self.entity_type, record)

    def delete(self, who: Principal, entity_id: str, *, wait: bool = True) -> Record:
        record = self.require(who, entity_id)
        ensure_unused(self.repo, who, self.entity_type, entity_id)
        now = self.clock()
        grace = 0.0 if wait else self.timing.delete_delay
        deleted = mark_deleted(record, now, grace)
        with self.repo.transaction():
            self.repo.replace(self.entity_type, deleted)
            self.topics.drop_all(entity_id, now)
        return deleted

    def act(self, who: Principal, entity_id: str, action: str) -> Record:
        record = self.require(who, entity_id)
        now = self.clock()
        status = lifecycle.apply_action(record["status"], action, now, self.timing.status_delay)
        return self.repo.replace(self.entity_type, {**record, "status": status})

    # ---- presentation ------------------------------------------------------

    def present(self, record: Record, *, secret_returned: bool, unwind_topics: bool = True,
                written: bool = False) -> dict:
        """The entity as answered; ``unwind_topics=False`` leaves ``topic_map`` (one entry per topic) empty.

        ``written``: as the write that stored it answers it, its status the interim one even if already settled.
        """
        plugin = self.plugins.get(self.entity_type, record["connector"])
        config = self.box.shown_config(record, secret_returned=secret_returned)
        now = self.clock()
        status = lifecycle.as_written(record["status"]) if written else lifecycle.current(record["status"], now)
        return {
            "id": record["id"],
            "name": record["name"],
            "connector": record["connector"],
            "connector_display_name": plugin.display_name if plugin else record["connector"],
            "connector_status": status,
            "task_statuses": lifecycle.task_statuses(record["status"], now),
            "tasks": [0],
            "config": config,
            "created_timestamp": record["created_timestamp"],
            "created_from": record.get("created_from"),
            "sub_id": record["sub_id"],
            "tenant_id": record["tenant_id"],
            "service_id": record["service_id"],
            "kc_cluster_id": record.get("kc_cluster_id"),
            "topic_ids": record.get("topic_ids", []),
            "topics": record.get("topics", []),
            "topic_map": {tid: [name] for tid, name in zip(record.get("topic_ids", []), record.get("topics", []))}
            if unwind_topics else {},
            **tags_shown(record.get("tags")),
        }

    def present_brief(self, record: Record) -> dict:
        return {
            "id": record["id"],
            "name": record["name"],
            "connector": record["connector"],
            "connector_status": lifecycle.current(record["status"], self.clock()),
            "created_timestamp": record["created_timestamp"],
        }

    # ---- rules -------------------------------------------------------------

    @property
    def _singular(self) -> str:
        return SINGULAR[self.entity_type]

    def _plugin(self, code: str) -> Plugin:
        plugin = self.plugins.get(self.entity_type, code)
        if plugin is None:
            known = ", ".join(p.code for p in self.plugins.all(self.entity_type))
            raise BadRequest(f"Unknown connector '{code}' for {self.entity_type}; available: {known}")
        return plugin

    def _check_unique_rules(self, who: Principal, plugin: Plugin, config: dict, own_id: str | None) -> None:
        for rule in plugin.unique_per_tenant:
            values = tuple(config.get(k) for k in rule.keys)
            if any(v is None for v in values):
                continue
            clash = self.repo.find(
                self.entity_type, lambda r: r["id"] != own_id,
                where={"tenant_id": who.tenant_id, "connector": plugin.code, "deleted": False,
                       **{("config", key): value for key, value in zip(rule.keys, values)}},
            )
            if clash:
                raise BadRequest(rule.detail)

    def _with_config(self, who: Principal, plugin: Plugin, record: Record, config: dict, now: float) -> Record:
        """The stored config (secrets sealed) and the topics derived from it."""
        derived: Record = self.box.seal_config(config, plugin.secret_keys(), record.get("config"))
        if self.entity_type == "sources" and plugin.topics_from:
            names = source_topic_names(record["id"], config.get(plugin.topics_from))
            topics = self.topics.sync(who, self.entity_type, record["id"], names, now)
            derived["topic_ids"] = [t["id"] for t in topics]
            derived["topics"] = [t["name"] for t in topics]
        return derived
