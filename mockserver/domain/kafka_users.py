"""Kafka users of a service's cluster, addressed by username.

Record shape (table ``kafka_users``): ``{id, username, password_hash, whitelist_ips,
kafka_acls: [{name, operation, resource_pattern_type, resource}],
is_create_schema_registry, created_from, created_at, tenant_id, service_id, sub_id,
deleted}``. The password is only ever stored as a salted hash.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from mockserver.domain.records import (
    Clock,
    Record,
    in_scope,
    is_live,
    iso_now,
    mark_deleted,
    new_id,
    owned_by,
)
from mockserver.domain.secrets import hash_secret
from mockserver.domain.tenancy import Principal
from mockserver.errors import BadRequest, Conflict, NotFound
from mockserver.store import Repository

TABLE = "kafka_users"


@dataclass(frozen=True)
class KafkaAcl:
    topic_name: str
    operation: str
    resource_pattern_type: str
    resource: str


@dataclass(frozen=True)
class KafkaUserInput:
    """What a create sets and an update replaces; an update without a password keeps the old one."""

    kafka_acls: list[KafkaAcl]
    is_create_schema_registry: bool = False
    whitelist_ips: str | None = None
    password: str | None = None


class KafkaUserService:
    def __init__(self, repo: Repository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    def list(self, who: Principal) -> list[Record]:
        return self.repo.find(TABLE, lambda r: _mine(r, who))

    def require(self, who: Principal, username: str) -> Record:
        found = self.repo.find(TABLE, lambda r: _mine(r, who), where={"username": username})
        if not found:
            raise NotFound()
        return found[0]

    def create(self, who: Principal, username: str, password: str, data: KafkaUserInput,
               created_from: str | None = None) -> Record:
        if self.repo.find(TABLE, lambda r: _mine(r, who), where={"username": username}):
            raise Conflict()
        return self.repo.insert(TABLE, {
            "id": new_id(),
            "username": username,
            "password_hash": hash_secret(password),
            "created_from": created_from,
            "created_at": iso_now(self.clock()),
            **owned_by(who),
            **_settings(data),
            "deleted": False,
        })

    def update(self, who: Principal, username: str, data: KafkaUserInput) -> Record:
        existing = self.require(who, username)
        record = {**existing, **_settings(data), "updated_at": iso_now(self.clock())}
        if data.password:  # absent: keep the current password
            record["password_hash"] = hash_secret(data.password)
        return self.repo.replace(TABLE, record)

    def delete(self, who: Principal, username: str) -> Record:
        return self.repo.replace(TABLE, mark_deleted(self.require(who, username), self.clock(), 0))

    @staticmethod
    def present(record: Record) -> dict:
        # Endpoints are fictitious but stable per service, like the real per-cluster proxies.
        service = record["service_id"]
        return {
            "username": record["username"],
            "whitelist_ips": record["whitelist_ips"],
            "kafka_proxy_endpoint": f"{service}.kafka-proxy.streamkap.mock:32400",
            "schema_proxy_endpoint": (
                f"https://{service}.schema-proxy.streamkap.mock" if record["is_create_schema_registry"] else None
            ),
            # The 3.x provider decodes the topic as ``topic_name``: send it beside ``name``.
            "kafka_acls": [{**acl, "topic_name": acl["name"]} for acl in record["kafka_acls"]],
            "is_create_schema_registry": record["is_create_schema_registry"],
        }


def _mine(record: Record, who: Principal) -> bool:
    return is_live(record) and in_scope(record, who)


def _settings(data: KafkaUserInput) -> Record:
    """The fields a create sets and an update replaces."""
    _check_ips(data.whitelist_ips)
    return {
        "whitelist_ips": data.whitelist_ips,
        # The backend names the topic field ``name`` (``topic_name`` is only an input alias).
        "kafka_acls": [
            {"name": a.topic_name, "operation": a.operation,
             "resource_pattern_type": a.resource_pattern_type, "resource": a.resource}
            for a in data.kafka_acls
        ],
        "is_create_schema_registry": data.is_create_schema_registry,
    }


def _check_ips(whitelist_ips: str | None) -> None:
    """A comma-separated list of IP addresses or CIDR blocks."""
    for entry in (whitelist_ips or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise BadRequest(f"whitelist_ips: '{entry}' is not an IP address or CIDR block") from None
