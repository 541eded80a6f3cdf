"""Bodies of /kafka-access/kafka-users."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from mockserver.models.base import Model
from mockserver.models.common import Body, EntityOrigin


class KafkaAclRequest(Body):
    # The backend's field is ``name``; ``topic_name`` is the documented input alias.
    topic_name: str = Field(min_length=1, validation_alias=AliasChoices("topic_name", "name"))
    operation: str = Field(min_length=1)
    resource_pattern_type: str = Field(min_length=1)
    resource: str = Field(min_length=1)


class KafkaUserUpdate(Body):
    password: str | None = Field(default=None, min_length=1)
    whitelist_ips: str | None = None
    kafka_acls: list[KafkaAclRequest] = Field(default_factory=list)
    is_create_schema_registry: bool = False


class KafkaUserCreate(KafkaUserUpdate):
    # a path segment of PUT/DELETE, so it cannot hold a "/"
    username: str = Field(min_length=1, pattern=r"^[^/]+$")
    password: str = Field(min_length=1)
    created_from: EntityOrigin | None = None


class KafkaAcl(Model):
    name: str
    topic_name: str  # the same topic, under the key the provider reads
    operation: str
    resource_pattern_type: str
    resource: str


class KafkaUser(Model):
    username: str
    whitelist_ips: str | None
    kafka_proxy_endpoint: str
    schema_proxy_endpoint: str | None
    kafka_acls: list[KafkaAcl]
    is_create_schema_registry: bool
