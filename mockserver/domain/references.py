"""Rules that cross entity types: unique names, tag ids must exist, an entity or topic a pipeline uses cannot go.

Record shapes this module relies on:
- ``tags`` table: ``{id, name, system: bool, tenant_id, service_id, deleted}``; a
  system tag (``system: true``) belongs to every tenant.
- ``pipelines`` table: ``{id, name, tenant_id, service_id, deleted, source: {id},
  destination: {id}, transforms: [{id}], topic_auto_discovery_transforms: [{transform_id}]}``.
"""

from __future__ import annotations

from typing import Callable, Iterable

from mockserver.domain.records import Record, in_scope, is_live
from mockserver.domain.tenancy import Principal
from mockserver.errors import BadRequest, Conflict
from mockserver.store import Repository

TAGS, PIPELINES = "tags", "pipelines"


def ensure_name_free(repo: Repository, table: str, who: Principal, name: str, own_id: str | None) -> None:
    """409 when another live entity of the table has this name in the caller's tenant and service."""
    clash = repo.find(table, lambda r: r["id"] != own_id and in_scope(r, who), where={"name": name, "deleted": False})
    if clash:
        raise Conflict()  # the reference's text


def tag_visible(tag: Record, who: Principal) -> bool:
    """A live tag of the caller's tenant and service, or a live system tag."""
    return is_live(tag) and bool(tag.get("system") or in_scope(tag, who))


def check_tag_ids(repo: Repository, who: Principal, tag_ids: Iterable[str] | None) -> None:
    """400 naming every tag id that is not a live tag of the caller (or a system tag)."""
    wanted = list(dict.fromkeys(tag_ids or []))
    if not wanted:
        return
    known = {t["id"] for t in repo.find(TAGS, lambda t: tag_visible(t, who))}
    missing = [tag_id for tag_id in wanted if tag_id not in known]
    if missing:
        raise BadRequest(f"Tag not found: {', '.join(missing)}")


def _uses(pipeline: Record, entity_type: str, entity_id: str) -> bool:
    if entity_type == "sources":
        return (pipeline.get("source") or {}).get("id") == entity_id
    if entity_type == "destinations":
        return (pipeline.get("destination") or {}).get("id") == entity_id
    if entity_type == "transforms":
        return any(t.get("id") == entity_id for t in pipeline.get("transforms") or []) or any(
            rule.get("transform_id") == entity_id for rule in pipeline.get("topic_auto_discovery_transforms") or [])
    return False


def _uses_topic(pipeline: Record, topic: Record) -> bool:
    """The pipeline's source topics name this topic: by Kafka name, id, or name without ``source_<id>.``."""
    source = pipeline.get("source") or {}
    if source.get("id") != topic["entity_id"]:
        return False
    names = {topic["name"], topic["id"], topic["name"].removeprefix(f"source_{topic['entity_id']}.")}
    return any(name in names for name in source.get("topics") or [])


def ensure_unused(repo: Repository, who: Principal, entity_type: str, entity_id: str) -> None:
    """409 naming the live pipelines of the caller that still use this entity."""
    _refuse_if_used(repo, who, lambda p: _uses(p, entity_type, entity_id))


def ensure_topic_unused(repo: Repository, who: Principal, topic: Record) -> None:
    """409 naming the live pipelines of the caller that read this topic."""
    _refuse_if_used(repo, who, lambda p: _uses_topic(p, topic))


def _refuse_if_used(repo: Repository, who: Principal, uses: Callable[[Record], bool]) -> None:
    users = repo.find(PIPELINES, uses,
                      where={"tenant_id": who.tenant_id, "service_id": who.service_id, "deleted": False})
    if users:
        names = ", ".join(f"'{p['name']}'" for p in users)
        raise Conflict(f"Cannot delete: it is used by pipeline {names}")
