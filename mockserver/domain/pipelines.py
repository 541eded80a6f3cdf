"""Pipelines: a source's topics flowing, through optional transforms, into a destination.

A pipeline record is stored in the shape ``references.py`` relies on (``source: {id}``,
``destination: {id}``, ``transforms: [{id}]``, ``topic_auto_discovery_transforms:
[{transform_id}]``), so deleting a source, destination or
transform a live pipeline uses is refused there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mockserver.domain import status as lifecycle
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
from mockserver.domain.references import PIPELINES, check_tag_ids, ensure_name_free
from mockserver.domain.tenancy import Principal
from mockserver.errors import BadRequest, NotFound
from mockserver.store import Repository


def pretty_topic_name(topic_id: str) -> str:
    """The backend's get_pretty_topic_name_from_id: the topic id without its first dot-separated segment.

    A pipeline stores each transform topic as its ``topic_id`` and reads the ``topic``
    back this way, so an id without its ``source_<id>.``/``transform_<id>_<v>.`` prefix
    reads back truncated (the provider's issue #78).
    """
    return topic_id.split(".", 1)[1] if "." in topic_id else topic_id


@dataclass(frozen=True)
class PipelineInput:
    """A create or full-replacement update, as the client sent it (plain JSON values)."""

    name: str
    source: dict[str, Any]
    destination: dict[str, Any]
    snapshot_new_tables: bool = False
    transforms: list[dict[str, Any]] = field(default_factory=list)
    topic_auto_discovery_transforms: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] | None = None
    created_from: str | None = None


@dataclass
class PipelineService:
    repo: Repository
    clock: Clock
    timing: Timing = field(default_factory=Timing)

    # ---- reads -------------------------------------------------------------

    def get(self, who: Principal, pipeline_id: str) -> Record | None:
        return find_visible(self.repo, PIPELINES, who, pipeline_id, self.clock())

    def require(self, who: Principal, pipeline_id: str) -> Record:
        record = find_live(self.repo, PIPELINES, who, pipeline_id)
        if record is None:
            raise NotFound()
        return record

    def list(self, who: Principal, page: Page, partial_name: str | None = None) -> tuple[int, list[Record]]:
        now = self.clock()
        needle = (partial_name or "").lower()
        return select_visible(self.repo, PIPELINES, who, now, *page.bounds,
                              (lambda p: needle in p["name"].lower()) if needle else None)

    # ---- writes ------------------------------------------------------------

    def create(self, who: Principal, data: PipelineInput) -> Record:
        ensure_name_free(self.repo, PIPELINES, who, data.name, None)
        now = self.clock()
        record: Record = {
            "id": new_id(),
            **self._resolve(who, data),
            "created_timestamp": iso_now(now),
            "created_from": data.created_from,
            "tags": list(data.tags or []),
            "status": lifecycle.starting(now, self.timing.status_delay),
            **owned_by(who),
            "deleted": False,
        }
        return self.repo.insert(PIPELINES, record)

    def update(self, who: Principal, pipeline_id: str, data: PipelineInput) -> Record:
        existing = self.require(who, pipeline_id)
        ensure_name_free(self.repo, PIPELINES, who, data.name, pipeline_id)
        record = {
            **existing,
            **self._resolve(who, data),
            # created_from is kept from the create, whatever the update says.
            "tags": existing.get("tags", []) if data.tags is None else list(data.tags),
            "updated_timestamp": iso_now(self.clock()),
        }
        return self.repo.replace(PIPELINES, record)

    def delete(self, who: Principal, pipeline_id: str, *, wait: bool = True) -> Record:
        record = self.require(who, pipeline_id)
        grace = 0.0 if wait else self.timing.delete_delay
        return self.repo.replace(PIPELINES, mark_deleted(record, self.clock(), grace))

    # ---- presentation ------------------------------------------------------

    def present(self, record: Record) -> dict:
        return {
            "id": record["id"],
            "name": record["name"],
            "snapshot_new_tables": record["snapshot_new_tables"],
            "source": record["source"],
            "destination": record["destination"],
            "transforms": [{**t, "topic": pretty_topic_name(t["topic_id"])} if t.get("topic_id") else t
                           for t in record["transforms"]],
            "topic_auto_discovery_transforms": record["topic_auto_discovery_transforms"],
            **tags_shown(record.get("tags")),
            "status": lifecycle.current(record["status"], self.clock()),
            "created_timestamp": record["created_timestamp"],
            "updated_timestamp": record.get("updated_timestamp"),
            "created_from": record.get("created_from"),
            "sub_id": record["sub_id"],
            "tenant_id": record["tenant_id"],
            "service_id": record["service_id"],
        }

    # ---- rules -------------------------------------------------------------

    def _resolve(self, who: Principal, data: PipelineInput) -> Record:
        """The stored form of the request's references, after checking each one exists."""
        source = self._require_ref(who, "sources", "Source", data.source["id"])
        destination = self._require_ref(who, "destinations", "Destination", data.destination["id"])
        self._check_source_topics(source, data.source.get("topics") or [])
        transform_ids = [t["id"] for t in data.transforms]
        transform_ids += [t["transform_id"] for t in data.topic_auto_discovery_transforms]
        for transform_id in dict.fromkeys(transform_ids):
            self._require_ref(who, "transforms", "Transform", transform_id)
        for rule in data.topic_auto_discovery_transforms:
            try:
                re.compile(rule["regex"])
            except re.error as exc:
                raise BadRequest(
                    f"Invalid regex '{rule['regex']}' for transform {rule['transform_id']}: {exc}"
                ) from None
        check_tag_ids(self.repo, who, data.tags)
        # The client's values are echoed back as sent (the provider compares them with
        # its plan); a name or connector it left out is filled from the live entity.
        return {
            "name": data.name,
            "snapshot_new_tables": data.snapshot_new_tables,
            "source": {
                "id": source["id"],
                "name": data.source.get("name") or source["name"],
                "connector": data.source.get("connector") or source["connector"],
                "topics": list(data.source.get("topics") or []),
            },
            "destination": {
                "id": destination["id"],
                "name": data.destination.get("name") or destination["name"],
                "connector": data.destination.get("connector") or destination["connector"],
            },
            "transforms": [dict(t) for t in data.transforms],
            "topic_auto_discovery_transforms": [dict(t) for t in data.topic_auto_discovery_transforms],
        }

    def _require_ref(self, who: Principal, table: str, label: str, entity_id: str) -> Record:
        record = find_live(self.repo, table, who, entity_id)
        if record is None:
            raise BadRequest(f"{label} {entity_id} not found")
        return record

    @staticmethod
    def _check_source_topics(source: Record, topics: list[str]) -> None:
        """Each topic must be one of the source's: its full name, its id, or its name
        without the ``source_<id>.`` prefix (the form the provider's users write)."""
        prefix = f"source_{source['id']}."
        names = source.get("topics") or []
        known = {*names, *(source.get("topic_ids") or []), *(n.removeprefix(prefix) for n in names)}
        unknown = [t for t in topics if t not in known]
        if unknown:
            raise BadRequest(
                f"Topic {', '.join(repr(t) for t in unknown)} does not belong to source {source['id']}"
            )
