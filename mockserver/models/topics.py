"""Bodies of /topics."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from mockserver.models.base import Model
from mockserver.models.common import TAGS_OMITTED, Body, Envelope, PositiveJsonInt

EntityType = Literal["sources", "destinations", "transforms"]


class TopicUpdatePayload(Body):
    # The contract states the "at least one of" rule the validator below enforces.
    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"required": ["partition_count"], "properties": {"partition_count": {"type": "integer"}}},
        {"required": ["tags"], "properties": {"tags": {"type": "array"}}},
    ]})

    partition_count: PositiveJsonInt | None = None
    tags: list[str] | None = None

    @model_validator(mode="after")
    def _one_of_them(self) -> "TopicUpdatePayload":
        if self.partition_count is None and self.tags is None:
            raise ValueError("at least one of partition_count or tags is required")
        return self


class TopicUpdateRequest(Body):
    payload: TopicUpdatePayload


class MetricsEntity(Body):
    id: str = Field(min_length=1)
    entity_type: EntityType
    connector: str | None = None
    topic_ids: list[str] | None = None
    topic_db_ids: list[str] | None = None


class TableMetricsRequest(Body):
    entities: list[MetricsEntity]
    timestamp_from: str | None = None
    timestamp_to: str | None = None
    time_type: Literal["latest", "timeseries", "timesummary"] | None = None
    time_interval: PositiveJsonInt | None = None
    time_unit: str | None = None


class TopicEntityRef(Model):
    entity_type: str
    entity_id: str
    name: str | None
    connector: str | None
    display_name: str | None
    topic_ids: list[str]
    topic_db_ids: list[str]


class TopicSerialization(Model):
    key_format: str
    value_format: str
    key_converter: str | None
    value_converter: str | None
    schema_registry_enabled: bool


class TopicPartitions(Model):
    count: int


class TopicKafka(Model):
    partitions: TopicPartitions
    configs: dict[str, int | str]


class Topic(Model):
    id: str
    name: str
    prefix: str
    entity: TopicEntityRef
    serialization: TopicSerialization
    kafka: TopicKafka | None
    tags: list[str] = Field(default_factory=list, description=TAGS_OMITTED)
    created_timestamp: str
    topic_id: str = Field(description="The Kafka topic name (read by the 2.x provider)")
    partition_count: int = Field(description="Same as kafka.partitions.count (read by the 2.x provider)")


class TopicDetails(Model):
    id: str
    name: str
    entity: TopicEntityRef
    prefix: str
    serialization: TopicSerialization
    messages_7d: int
    messages_30d: int


class TopicDetailsPage(Model):
    page: int
    page_size: int
    total: int
    has_next: bool
    result: list[TopicDetails]


class TopicMetrics(Model):
    messages_in: int
    messages_out: int
    bytes_in: int
    bytes_out: int
    lag: int
    avg_latency_ms: float


class TopicMetricsPoint(TopicMetrics):
    timestamp: str  # the start of the bucket


# entity id -> topic id -> figures: one reading ("latest", "timesummary") or a series ("timeseries")
TableMetrics = dict[str, dict[str, TopicMetrics | list[TopicMetricsPoint]]]


class TopicEnvelope(Envelope):
    result: list[Topic]
