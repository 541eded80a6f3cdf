"""Bodies of /transforms."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from mockserver.domain.transforms import VERSION_ID_RE
from mockserver.models.base import Model
from mockserver.models.common import OBJECT_ID_PATTERN, TAGS_OMITTED, Body, EntityOrigin, Envelope


class TransformCreate(Body):
    transform: str = Field(min_length=1)
    config: dict[str, Any]
    created_from: EntityOrigin | None = None
    tags: list[str] | None = None


class TransformUpdate(Body):
    """``PUT /transforms/{id}``: the id comes from the path; one in the body must match it."""

    id: str | None = Field(default=None, pattern=OBJECT_ID_PATTERN)
    transform: str = Field(min_length=1)
    config: dict[str, Any]
    implementation: dict[str, Any] | None = None
    tags: list[str] | None = None


class TransformUpdateWithId(TransformUpdate):
    """``PUT /transforms``: the id is in the body (what the provider sends)."""

    id: str = Field(pattern=OBJECT_ID_PATTERN)


class ImplementationUpdate(Body):
    transform_id: str | None = None
    implementation: dict[str, Any]
    # Stated in the contract; the server answers a mismatch 400, as the backend does.
    version_id: str | None = Field(default=None, json_schema_extra={"pattern": f"^{VERSION_ID_RE.pattern}$"})
    description: str | None = None
    config: dict[str, Any] | None = None


class TransformEntity(Model):
    id: str
    name: str
    transform_type: str
    status: str
    config: dict[str, Any]
    implementation: dict[str, Any] | None
    version: int
    topic_ids: list[str]
    # The names of the topics it writes to, beside their ids (see domain/transforms.py).
    topics: list[str]
    created_at: str
    updated_at: str
    start_time: str | None
    tags: list[str] = Field(default_factory=list, description=TAGS_OMITTED)
    created_from: str | None
    tenant_id: str
    service_id: str
    sub_id: str


class ImplementationVersion(Model):
    transform_id: str
    version_id: str
    description: str | None
    implementation: dict[str, Any] | None
    config: dict[str, Any] | None


class ImplementationDetails(Model):
    transform_id: str
    impl_versions: dict[str, ImplementationVersion]


class DeployResult(Model):
    transform_id: str
    job_name: str
    job_type: str
    version_id: str
    replay_window: str | None
    status: str


class JobStatus(Model):
    id: str
    job_name: str
    status: str
    start_time: str | None


class TransformEnvelope(Envelope):
    result: list[TransformEntity]
