"""Seeds: entities with fixed ids (and timestamps), created through the domain's own rules.

A seed file is JSON: ``{"tenant_id"?: ..., "tags": [...], "sources": [...],
"destinations": [...], "transforms": [...], "pipelines": [...], "topics": [...],
"kafka_users": [...]}``. Each entity is the body the API takes to create it,
plus ``id`` (an ObjectId; kafka users and topics are named instead),
optionally ``tenant_id`` / ``service_id`` and the record's timestamps. Each one
goes through the same request model and domain service as an API call, so a
seed holds nothing the API would refuse, and secrets are sealed as usual.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, ValidationError

from mockserver.control.models import SeedRequest as SeedDocument
from mockserver.domain import jobs
from mockserver.domain.records import Record, preset_id
from mockserver.domain.tenancy import READ, WRITE, Principal
from mockserver.domain.transforms import ImplementationInput, TransformInput
from mockserver.errors import ApiError, Conflict
from mockserver.files import read_regular
from mockserver.http.connectors import _to_input as connector_input
from mockserver.http.errors import validation_detail
from mockserver.http.kafka_users import _input as kafka_user_input
from mockserver.http.pipelines import _to_input as pipeline_input
from mockserver.http.tags import _input as tag_input
from mockserver.models.base import Model
from mockserver.models.common import OBJECT_ID_PATTERN
from mockserver.models.connectors import ConnectorRequest
from mockserver.models.kafka_users import KafkaUserCreate
from mockserver.models.pipelines import PipelineRequest
from mockserver.models.tags import TagRequest
from mockserver.models.topics import TopicUpdatePayload
from mockserver.models.transforms import TransformCreate

# In creation order: what an entity refers to is created before it.
SECTIONS = ("tags", "sources", "destinations", "transforms", "pipelines", "topics", "kafka_users")
TIMESTAMPS = ("created_timestamp", "updated_timestamp", "created_at", "updated_at")
# A seed is written by hand or by a script: far more than any needs, and no hang on /dev/zero.
MAX_SEED_BYTES = 64 << 20


class SeedError(Exception):
    """A seed the API's rules refuse: one line naming the entity and why; ``conflict`` when the API would say 409."""

    def __init__(self, message: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.conflict = conflict


class Placement(Model):
    """The seed-only fields of an entity (the rest is its API body)."""

    model_config = ConfigDict(extra="ignore")
    id: str | None = Field(default=None, pattern=OBJECT_ID_PATTERN)
    tenant_id: str | None = None
    service_id: str | None = None


class SeedTransform(TransformCreate):
    implementation: dict[str, Any] | None = None
    deploy: bool = False  # deploy the live job, as `deploy = true` in Terraform does


class SeedTopic(TopicUpdatePayload):
    name: str = Field(min_length=1, description="The topic's Kafka name, source_<id>.<schema>.<table>")


@dataclass(frozen=True)
class Seed:
    document: SeedDocument
    origin: str  # the file (or "request body") named in errors

    @classmethod
    def parse(cls, data: Any, origin: str) -> "Seed":
        try:
            return cls(SeedDocument.model_validate(data), origin)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"]) or "the document"
            raise SeedError(f"seed {origin}: {where}: {first['msg']}") from None

    @classmethod
    def load(cls, path: Path) -> "Seed":
        try:
            data = json.loads(read_regular(Path(path), MAX_SEED_BYTES))
        except (OSError, ValueError) as exc:
            raise SeedError(f"seed {path}: not a readable JSON file ({exc})") from None
        return cls.parse(data, str(path))

    def entities(self):
        """(section, index, entity) in creation order."""
        for section in SECTIONS:
            for index, entity in enumerate(getattr(self.document, section)):
                yield section, index, entity


class Seeder:
    """Applies seeds to one backend: the control plane gives it a draft store, so a seed lands whole or not at all."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    async def apply(self, seed: Seed, *, tenant: str | None = None, skip_existing: bool = False) -> dict[str, int]:
        """Create the seed's entities; ``skip_existing`` leaves ids the store held before alone (a restart)."""
        created: dict[str, int] = {}
        made: set[tuple[str, str]] = set()  # (section, id or username) of every entity this seed created
        for section, index, entity in seed.entities():
            if tenant is not None and self._tenant_of(entity, seed) != tenant:
                continue
            label = self._label(section, index, entity)
            try:
                done = await self._create(seed, section, entity, skip_existing, made)
            except (ApiError, ValidationError, SeedError) as exc:
                raise SeedError(f"seed {seed.origin}: {label}: {_reason(exc)}",
                                conflict=isinstance(exc, Conflict)) from None
            if done:
                created[section] = created.get(section, 0) + 1
        return created

    @staticmethod
    def _taken(key: str, stored: Record | None, skip_existing: bool, seeded: bool) -> bool:
        """Whether the store holds id ``key`` already and a restart may leave it as it is; 409 if it may not:
        a new id is wanted, the seed names it twice (``seeded``), or it is a system tag's."""
        if stored is None:
            return False
        if skip_existing and not seeded and not stored.get("system"):
            return True
        raise Conflict(f"Entity with id '{key}' already exists")

    async def _create(self, seed: Seed, section: str, entity: dict, skip_existing: bool,
                      made: set[tuple[str, str]]) -> bool:
        place = Placement.model_validate(entity)
        who = self._principal(self._tenant_of(entity, seed), place.service_id)
        backend = self.backend
        if section == "topics":
            body = SeedTopic.model_validate(entity)
            owner = body.name.removeprefix("source_").split(".", 1)[0]
            if skip_existing and ("sources", owner) not in made:
                return False
            backend.topic_service.update(who, body.name, body.partition_count, body.tags)
            return True
        if section == "kafka_users":
            body = KafkaUserCreate.model_validate(entity)
            if (section, body.username) in made:
                raise Conflict(f"Kafka user '{body.username}' already exists")
            if skip_existing and backend.repo.find("kafka_users", where={"username": body.username}):
                return False
            record = backend.kafka_users.create(who, body.username, body.password, kafka_user_input(body),
                                                created_from=body.created_from)
            made.add((section, body.username))
            self._stamp("kafka_users", record["id"], entity)
            return True
        if place.id is None:
            raise SeedError("an 'id' (24 hex digits) is required")
        if self._taken(place.id, backend.repo.get(section, place.id), skip_existing, (section, place.id) in made):
            return False
        with preset_id(place.id):
            if section == "tags":
                backend.tags.create(who, tag_input(TagRequest.model_validate(entity)))
            elif section in ("sources", "destinations"):
                await backend.connectors[section].create(who, connector_input(ConnectorRequest.model_validate(entity)))
            elif section == "transforms":
                await self._transform(who, place.id, SeedTransform.model_validate(entity))
            else:
                backend.pipelines.create(who, pipeline_input(PipelineRequest.model_validate(entity)))
        made.add((section, place.id))
        self._stamp(section, place.id, entity)
        return True

    async def _transform(self, who: Principal, transform_id: str, body: SeedTransform) -> None:
        service = self.backend.transforms
        await service.create(who, TransformInput(transform=body.transform, config=body.config,
                                                 created_from=body.created_from, tags=body.tags))
        if body.implementation is not None:
            service.put_implementation(who, transform_id, ImplementationInput(implementation=body.implementation))
        if body.deploy:
            service.deploy(who, transform_id, jobs.LIVE, "no-version")

    def _stamp(self, table: str, record_id: str, entity: dict) -> None:
        """The seed's own timestamps, in place of the ones the create gave."""
        stamps = {key: entity[key] for key in TIMESTAMPS if isinstance(entity.get(key), str)}
        record = self.backend.repo.get(table, record_id)
        stamps = {key: value for key, value in stamps.items() if key in record}
        if stamps:
            self.backend.repo.replace(table, {**record, **stamps})

    def _tenant_of(self, entity: dict, seed: Seed) -> str:
        """The entity's tenant: its own, the document's, or the fixtures' first."""
        own = entity.get("tenant_id")
        return own if isinstance(own, str) else seed.document.tenant_id or next(iter(self.backend.directory.tenants))

    def _principal(self, tenant_id: str, service_id: str | None) -> Principal:
        tenant = self.backend.directory.tenant(tenant_id)
        if tenant is None:
            raise SeedError(f"unknown tenant '{tenant_id}'")
        service_id = service_id or tenant.service_ids[0]
        if service_id not in tenant.service_ids:
            raise SeedError(f"unknown service '{service_id}' of tenant '{tenant_id}'")
        return Principal("seed", tenant.id, service_id, tenant.sub_id, frozenset({READ, WRITE}))

    @staticmethod
    def _label(section: str, index: int, entity: dict) -> str:
        config = entity.get("config")
        name = entity.get("name") or entity.get("username") or (
            config.get("transforms.name") if isinstance(config, dict) else None)
        ident = entity.get("id")
        details = ", ".join(part for part in (f"id {ident}" if ident else "", f"'{name}'" if name else "") if part)
        return f"{section}[{index}]" + (f" ({details})" if details else "")


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        issues = validation_detail(exc, "body")
        return "; ".join(f"{'.'.join(str(p) for p in issue['loc'][1:])}: {issue['msg']}" for issue in issues)
    detail = exc.detail if isinstance(exc, ApiError) else str(exc)
    if isinstance(detail, list):
        return "; ".join(f"{'.'.join(str(p) for p in issue['loc'][1:])}: {issue['msg']}" for issue in detail)
    return str(detail)
