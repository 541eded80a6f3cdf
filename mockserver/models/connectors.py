"""Bodies of /sources and /destinations."""

from __future__ import annotations

from typing import Any

from typing_extensions import NotRequired, TypedDict

from pydantic import Field

from mockserver.models.base import Model
from mockserver.models.common import TAGS_OMITTED, Body, EntityOrigin, Envelope, JsonInt


class ConnectorRequest(Body):
    name: str = Field(min_length=1)
    connector: str = Field(min_length=1)
    config: dict[str, Any]
    created_from: EntityOrigin | None = None
    tags: list[str] | None = None
    kc_cluster_id: str | None = None


class ConnectorSearch(Body):
    ids: list[str] | None = None
    partial_name: str | None = None
    connector: str | list[str] | None = None
    status: str | list[str] | None = None
    page: JsonInt = Field(default=1, ge=1)
    page_size: JsonInt = Field(default=10, ge=1, le=100)


class TaskState(TypedDict):
    state: str
    trace: NotRequired[str]  # only on a failed task, as Kafka Connect reports it


class ConnectorEntity(Model):
    id: str
    name: str
    connector: str
    connector_display_name: str
    connector_status: str
    task_statuses: dict[str, TaskState]
    tasks: list[int]
    config: dict[str, Any]
    created_timestamp: str
    created_from: str | None
    sub_id: str
    tenant_id: str
    service_id: str
    kc_cluster_id: str | None
    topic_ids: list[str]
    topics: list[str]
    topic_map: dict[str, list[str]]
    tags: list[str] = Field(default_factory=list, description=TAGS_OMITTED)


class ConnectorBrief(Model):
    id: str
    name: str
    connector: str
    connector_status: str
    created_timestamp: str


class ConnectorField(Model):
    name: str
    type: str
    control: str
    required: bool
    default: Any = None
    allowed_values: list[Any] | None = None
    secret: bool
    set_once: bool
    conditions: list[dict[str, Any]] | None = None


class ConnectorType(Model):
    connector: str
    display_name: str
    fields: list[ConnectorField]


class BriefList(Model):
    result: list[ConnectorBrief]


class ConnectorTypeList(Model):
    result: list[ConnectorType]


class ConnectorEnvelope(Envelope):
    result: list[ConnectorEntity]
