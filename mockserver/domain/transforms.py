"""Transforms: create, read, update, delete, implementation versions and job deploys.

Choices where the backend's behaviour is not known:
- A transform's name is its config's ``transforms.name``; it is unique among
  the live transforms of a tenant and service.
- Implementations are versioned. A new transform has no implementation and is
  at version 0 with no stored versions. Every change of implementation, by
  ``PUT .../implementation_details`` or by ``PUT /transforms``, stores the next
  version (1, 2, ...) and makes it current. ``PUT /transforms`` without an
  implementation clears it (the backend overwrites it, which is why the
  provider re-sends the one it read). A stored implementation carries the
  type's server-side defaults and null fields (``implementation_defaults``)
  under the keys the client did not send.
- Deploying ``no-version`` (or ``0``) deploys the current version; any other
  version must be a stored one.
- A transform's ``topics`` are the topics it writes to, derived on every read
  (so they follow the tenant's topics as they come and go): each live topic of
  the tenant's service whose whole name its input pattern matches, renamed by
  its output pattern as Kafka Connect's RegexRouter does (``$1`` is the first
  group). A pattern that is not a regex matches nothing. A transform never
  deployed lists none. ``topic_ids`` are ``transform_<id>_<deployed version>.<topic>``,
  as the backend stamps them. The 2.x pipeline looks its users' topic names up
  there and sends the matching ids.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from mockserver.domain import jobs
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
from mockserver.domain.topics import TABLE as TOPICS
from mockserver.domain.tenancy import Principal
from mockserver.errors import BadRequest, NotFound
from mockserver.store import Repository

TABLE = "transforms"
NAME_KEY = "transforms.name"
LATEST_VERSION = ("no-version", "0")
REPLAY_WINDOW_RE = re.compile(r"\d+[smhd]")
# At most 18 digits: a version number fits 64 bits (and its successor stays printable).
VERSION_ID_RE = re.compile(r"[1-9][0-9]{0,17}")
INPUT_PATTERN, OUTPUT_PATTERN = "transforms.input.topic.pattern", "transforms.output.topic.pattern"
_GROUP_REF = re.compile(r"\$(\d+)")


def produced_topics(config: dict, topic_names: Iterable[str]) -> list[str]:
    """The topics a transform writes to: each name its input pattern matches whole, renamed by its output pattern."""
    pattern, output = config.get(INPUT_PATTERN), config.get(OUTPUT_PATTERN)
    if not (isinstance(pattern, str) and pattern and isinstance(output, str) and output):
        return []
    try:
        regex = re.compile(pattern)
    except re.error:
        return []
    # RegexRouter's $1 is Python's \g<1>; any other backslash is literal.
    template = _GROUP_REF.sub(r"\\g<\1>", output.replace("\\", "\\\\"))
    produced = []
    for name in topic_names:
        if (match := regex.fullmatch(name)) is not None:
            try:
                produced.append(match.expand(template))
            except (re.error, IndexError):  # $3 of a pattern with two groups
                continue
    return list(dict.fromkeys(produced))


def produced_topic_id(transform_id: str, version: int, name: str) -> str:
    """The id of a topic a deployed transform writes to: ``transform_<id>_<version>.<name>``.

    The backend stamps deployed transforms' topic ids so; a pipeline reads a topic
    back as its id without the first dot-separated segment.
    """
    return f"transform_{transform_id}_{version}.{name}"


@dataclass(frozen=True)
class TransformInput:
    """A create, or a full-replacement update, as the client sent it."""

    transform: str
    config: dict[str, Any]
    created_from: str | None = None
    tags: list[str] | None = None
    implementation: dict[str, Any] | None = None


@dataclass(frozen=True)
class ImplementationInput:
    implementation: dict[str, Any]
    transform_id: str | None = None
    version_id: str | None = None
    description: str | None = None
    config: dict[str, Any] | None = None


@dataclass
class TransformService:
    repo: Repository
    plugins: PluginRegistry
    box: SecretBox
    clock: Clock
    timing: Timing = field(default_factory=Timing)
    # transform type -> what the backend adds to a stored implementation (fixtures/transform-implementations.json)
    implementation_defaults: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Plugin resolution may await: one write at a time keeps each read-check-write whole.
    _writes: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    # ---- reads -------------------------------------------------------------

    def get(self, who: Principal, transform_id: str) -> Record | None:
        return find_visible(self.repo, TABLE, who, transform_id, self.clock())

    def require(self, who: Principal, transform_id: str, *, live: bool = False) -> Record:
        """The caller's transform; with ``live``, one still in its delete grace time is gone too."""
        record = find_live(self.repo, TABLE, who, transform_id) if live else self.get(who, transform_id)
        if record is None:
            raise NotFound()
        return record

    def list(self, who: Principal, page: Page, partial_name: str | None = None) -> tuple[int, list[Record]]:
        now = self.clock()
        needle = (partial_name or "").lower()
        return select_visible(self.repo, TABLE, who, now, *page.bounds,
                              (lambda r: needle in r["name"].lower()) if needle else None)

    def implementation_details(self, who: Principal, transform_id: str) -> dict:
        record = self.require(who, transform_id)
        return {
            "transform_id": transform_id,
            "impl_versions": {
                version_id: self._present_version(transform_id, version)
                for version_id, version in record["versions"].items()
            },
        }

    def job_status(self, who: Principal, transform_id: str) -> dict:
        # The backend's handler turns every miss here into a 400; the 3.x provider
        # tells "not deployed" from a transient failure by these two details.
        record = self.get(who, transform_id)
        if record is None:
            raise BadRequest("Transform not found")
        job = record.get("job")
        if job is None:
            raise BadRequest("Job not found")
        now = self.clock()
        return {
            "id": transform_id,
            "job_name": job["name"],
            "status": jobs.current(job, now),
            "start_time": jobs.start_time(job, now),
        }

    # ---- writes ------------------------------------------------------------

    async def create(self, who: Principal, data: TransformInput) -> Record:
        async with self._writes:
            return await self._create(who, data)

    async def update(self, who: Principal, transform_id: str, data: TransformInput) -> Record:
        async with self._writes:
            return await self._update(who, transform_id, data)

    async def _create(self, who: Principal, data: TransformInput) -> Record:
        plugin = self._plugin(data.transform)
        check_tag_ids(self.repo, who, data.tags)
        transform_id = new_id()
        config = await plugin.prepare(data.config, entity_id=transform_id, existing=None)
        name = self._name_of(config)
        ensure_name_free(self.repo, TABLE, who, name, None)
        now = iso_now(self.clock())
        record: Record = {
            "id": transform_id,
            "name": name,
            "transform_type": plugin.code,
            **owned_by(who),
            "created_from": data.created_from,
            "created_at": now,
            "updated_at": now,
            "tags": list(data.tags or []),
            "implementation": None,
            "version": 0,
            "versions": {},
            "job": None,
            "deleted": False,
            **self.box.seal_config(config, plugin.secret_keys()),
        }
        return self.repo.insert(TABLE, record)

    async def _update(self, who: Principal, transform_id: str, data: TransformInput) -> Record:
        existing = self.require(who, transform_id, live=True)
        if data.transform != existing["transform_type"]:
            raise BadRequest(
                f"The type of an existing transform cannot change "
                f"(it is '{existing['transform_type']}', the request says '{data.transform}')"
            )
        plugin = self._plugin(data.transform)
        check_tag_ids(self.repo, who, data.tags)
        old_config = self.box.open_config(existing)
        config = await plugin.prepare(unmask(data.config, old_config, plugin.secret_keys()),
                                      entity_id=transform_id, existing=old_config)
        name = self._name_of(config)
        ensure_name_free(self.repo, TABLE, who, name, transform_id)
        record = {
            **existing,
            "name": name,
            # created_from is kept from the create.
            "tags": existing["tags"] if data.tags is None else list(data.tags),
            "updated_at": iso_now(self.clock()),
            **self.box.seal_config(config, plugin.secret_keys(), existing["config"]),
        }
        implementation = self._as_stored(existing["transform_type"], data.implementation or None)
        if implementation != existing["implementation"]:
            record = self._with_version(record, implementation)
        return self.repo.replace(TABLE, record)

    def put_implementation(self, who: Principal, transform_id: str, data: ImplementationInput) -> dict:
        if data.transform_id is not None and data.transform_id != transform_id:
            raise BadRequest(
                f"transform_id '{data.transform_id}' in the body does not match '{transform_id}' in the path"
            )
        if data.version_id is not None and not VERSION_ID_RE.fullmatch(data.version_id):
            raise BadRequest(
                f"version_id must be a positive integer of at most 18 digits, got '{data.version_id[:40]}'")
        existing = self.require(who, transform_id, live=True)
        record = self._with_version(
            existing, self._as_stored(existing["transform_type"], data.implementation),
            description=data.description, config=data.config, version_id=data.version_id,
        )
        record["updated_at"] = iso_now(self.clock())
        self.repo.replace(TABLE, record)
        return self._present_version(transform_id, record["versions"][str(record["version"])])

    def deploy(self, who: Principal, transform_id: str, job_type: str, version: str,
               replay_window: str | None = None) -> dict:
        if replay_window is not None and not REPLAY_WINDOW_RE.fullmatch(replay_window):
            raise BadRequest(
                f"Invalid replay_window '{replay_window}': expected a number and a unit s, m, h or d, like 7d"
            )
        record = self.require(who, transform_id, live=True)
        if version in LATEST_VERSION:
            number = record["version"]
        elif version in record["versions"]:
            number = int(version)
        else:
            raise NotFound(f"Version '{version}' not found for transform '{transform_id}'")
        now = self.clock()
        record["job"] = jobs.deploy(transform_id, job_type, number, replay_window, now, self.timing.deploy_delay)
        self.repo.replace(TABLE, record)
        return {
            "transform_id": transform_id,
            "job_name": record["job"]["name"],
            "job_type": job_type,
            "version_id": str(number),
            "replay_window": replay_window,
            "status": jobs.current(record["job"], now),
        }

    def delete(self, who: Principal, transform_id: str, *, wait: bool = True) -> Record:
        record = self.require(who, transform_id, live=True)
        ensure_unused(self.repo, who, TABLE, transform_id)
        now = self.clock()
        record["job"] = jobs.stop(record.get("job"), now)
        deleted = mark_deleted(record, now, 0.0 if wait else self.timing.delete_delay)
        return self.repo.replace(TABLE, deleted)

    # ---- presentation ------------------------------------------------------

    def present(self, record: Record, *, secret_returned: bool) -> dict:
        now = self.clock()
        job = record.get("job")
        # Topics are resolved when the transform is deployed; before that the backend lists none.
        topics = produced_topics(self.box.open_config(record), self._topic_names(record)) if job else []
        return {
            "id": record["id"],
            "name": record["name"],
            "transform_type": record["transform_type"],
            "status": jobs.current(job, now),
            "config": self.box.shown_config(record, secret_returned=secret_returned),
            "implementation": record["implementation"],
            "version": record["version"],
            "topic_ids": [produced_topic_id(record["id"], job["version"], name) for name in topics],
            "topics": topics,
            "created_at": record["created_at"],
            "updated_at": record["updated_at"],
            "start_time": jobs.start_time(job, now),
            **tags_shown(record["tags"]),
            "created_from": record.get("created_from"),
            "tenant_id": record["tenant_id"],
            "service_id": record["service_id"],
            "sub_id": record["sub_id"],
        }

    @staticmethod
    def _present_version(transform_id: str, version: Record) -> dict:
        return {
            "transform_id": transform_id,
            "version_id": version["version_id"],
            "description": version["description"],
            "implementation": version["implementation"],
            "config": version["config"],
        }

    def _topic_names(self, record: Record) -> list[str]:
        """Names of the live topics of the transform's tenant and service."""
        scope = {"tenant_id": record["tenant_id"], "service_id": record["service_id"], "deleted": False}
        return [t["name"] for t in self.repo.find(TOPICS, None, where=scope)]

    # ---- rules -------------------------------------------------------------

    def _plugin(self, transform_type: str) -> Plugin:
        plugin = self.plugins.get(TABLE, transform_type)
        if plugin is None:
            known = ", ".join(p.code for p in self.plugins.all(TABLE))
            raise BadRequest(f"Unknown transform type '{transform_type}'; available: {known}")
        return plugin

    def _as_stored(self, transform_type: str, implementation: dict | None) -> dict | None:
        """The implementation as the backend stores it: its server-side defaults and null fields added."""
        if not implementation:
            return implementation
        return {**self.implementation_defaults.get(transform_type, {}), **implementation}

    @staticmethod
    def _name_of(config: dict) -> str:
        name = config.get(NAME_KEY)
        if not isinstance(name, str) or not name.strip():
            raise BadRequest(f'"{NAME_KEY}" must be a non-empty string')
        return name

    def _with_version(self, record: Record, implementation: dict | None, *, description: str | None = None,
                      config: dict | None = None, version_id: str | None = None) -> Record:
        """The record with a new (or replaced) implementation version, made current."""
        versions = dict(record["versions"])
        number = int(version_id) if version_id else max(map(int, versions), default=0) + 1
        versions[str(number)] = {
            "version_id": str(number),
            "description": description,
            "implementation": implementation,
            "config": config,
            "created_at": iso_now(self.clock()),
        }
        return {**record, "versions": versions, "version": number, "implementation": implementation}
