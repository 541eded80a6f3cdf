"""3.x streamkap_tag, streamkap_kafka_user, streamkap_client_credential and the roles data source.

Kafka users and client credentials have no read-by-id endpoint: the provider
lists them (a bare JSON array) and picks its own; gone means not in the list.
"""

from __future__ import annotations

import re

import pytest

from tests.provider.wire import ApiError, ProviderClient

OBJECT_ID = re.compile(r"[0-9a-f]{24}")
ACL_KEYS = ("topic_name", "operation", "resource_pattern_type", "resource")  # what the provider decodes


def acls_read(user: dict) -> list[dict]:
    return [{k: acl.get(k) for k in ACL_KEYS} for acl in user["kafka_acls"]]


def test_tag_resource_lifecycle(v3):
    created = v3.create_tag("tf-team", "Team data", ["sources", "pipelines"])
    assert OBJECT_ID.fullmatch(created["id"])
    assert (created["name"], created["description"], created["type"]) == ("tf-team", "Team data", ["sources", "pipelines"])
    read = v3.get_tag(created["id"])
    assert read["name"] == "tf-team" and read["system"] is False and read["custom"] is True
    assert v3.get_tag(created["id"]) == read  # import
    # A create whose name exists adopts the existing tag (found by tag_name).
    assert v3.create_tag("tf-team", "Team data", ["sources", "pipelines"])["id"] == created["id"]

    updated = v3.update_tag(created["id"], "tf-team-2", "Team data, renamed", ["sources"])
    assert (updated["name"], updated["type"]) == ("tf-team-2", ["sources"])
    assert v3.get_tag(created["id"])["description"] == "Team data, renamed"

    v3.delete_tag(created["id"])
    assert v3.get_tag(created["id"]) is None


def test_kafka_user_resource_lifecycle(v3):
    acls = [{"topic_name": "orders", "operation": "READ", "resource_pattern_type": "LITERAL", "resource": "TOPIC"}]
    created = v3.create_kafka_user({"username": "tf-user", "password": "S3cret-pass!", "kafka_acls": acls,
                                    "is_create_schema_registry": True})  # whitelist "" is left out
    assert created["username"] == "tf-user" and created["kafka_proxy_endpoint"]
    assert "password" not in created or not created["password"]
    read = v3.get_kafka_user("tf-user")
    assert acls_read(read) == acls and read["is_create_schema_registry"] is True
    assert not read.get("whitelist_ips")  # decoded as "" = the attribute's default

    changed_acls = acls + [{"topic_name": "pay", "operation": "WRITE", "resource_pattern_type": "PREFIXED",
                            "resource": "TOPIC"}]
    updated = v3.update_kafka_user("tf-user", {"whitelist_ips": "10.0.0.0/8,192.168.1.1",
                                               "kafka_acls": changed_acls, "is_create_schema_registry": True})
    assert updated["whitelist_ips"] == "10.0.0.0/8,192.168.1.1"
    read = v3.get_kafka_user("tf-user")
    assert acls_read(read) == changed_acls and read["whitelist_ips"] == "10.0.0.0/8,192.168.1.1"

    v3.delete_kafka_user("tf-user")
    assert v3.get_kafka_user("tf-user") is None


def test_client_credential_resource_lifecycle(v3, server):
    roles = v3.list_roles()
    assert all(set(r) >= {"id", "key", "name", "description"} for r in roles)
    read_only = next(r for r in roles if r["key"] == "read_only")

    created = v3.create_client_credential([read_only["id"]], "tf ci")
    assert created["client_id"] and created["secret"]  # shown once, kept by the provider
    assert [r["id"] for r in created["roles"]] == [read_only["id"]]
    read = v3.get_client_credential(created["client_id"])
    assert read["description"] == "tf ci" and [r["id"] for r in read["roles"]] == [read_only["id"]]
    assert not read.get("secret")

    other = ProviderClient(server, "v3", created["client_id"], created["secret"])  # the credential works
    assert other.get_tag("670e5ca40afe1d3983ce0c22") is not None
    v3.delete_client_credential(created["client_id"])
    assert v3.get_client_credential(created["client_id"]) is None
    with pytest.raises(ApiError) as err:
        other.get_tag("670e5ca40afe1d3983ce0c22")
    assert err.value.status == 401
    other.close()
