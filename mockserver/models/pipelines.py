"""Bodies of /pipelines."""

from __future__ import annotations

from pydantic import Field

from mockserver.models.base import Model
from mockserver.models.common import TAGS_OMITTED, Body, EntityOrigin, Envelope


class PipelineSourceRef(Body):
    id: str = Field(min_length=1)
    name: str | None = None
    connector: str | None = None
    topics: list[str] | None = None


class PipelineDestinationRef(Body):
    id: str = Field(min_length=1)
    name: str | None = None
    connector: str | None = None


class PipelineTransformRef(Body):
    """One (transform, topic) pair: the provider sends one entry per topic of a transform."""

    id: str = Field(min_length=1)
    name: str | None = None
    start_time: str | None = None
    topic_id: str | None = None
    topic: str | None = None


class TopicAutoDiscovery(Body):
    transform_id: str = Field(min_length=1)
    regex: str


class PipelineRequest(Body):
    name: str = Field(min_length=1)
    snapshot_new_tables: bool = False
    source: PipelineSourceRef
    destination: PipelineDestinationRef
    transforms: list[PipelineTransformRef] | None = None
    topic_auto_discovery_transforms: list[TopicAutoDiscovery] | None = None
    tags: list[str] | None = None
    created_from: EntityOrigin | None = None


class PipelineSourceOut(Model):
    id: str
    name: str
    connector: str
    topics: list[str]


class PipelineDestinationOut(Model):
    id: str
    name: str
    connector: str


class PipelineTransformOut(Model):
    id: str
    name: str | None
    start_time: str | None
    topic_id: str | None
    topic: str | None


class TopicAutoDiscoveryOut(Model):
    transform_id: str
    regex: str


class PipelineEntity(Model):
    id: str
    name: str
    snapshot_new_tables: bool
    source: PipelineSourceOut
    destination: PipelineDestinationOut
    transforms: list[PipelineTransformOut]
    topic_auto_discovery_transforms: list[TopicAutoDiscoveryOut]
    tags: list[str] = Field(default_factory=list, description=TAGS_OMITTED)
    status: str
    created_timestamp: str
    updated_timestamp: str | None
    created_from: str | None
    sub_id: str
    tenant_id: str
    service_id: str


class PipelineEnvelope(Envelope):
    result: list[PipelineEntity]
