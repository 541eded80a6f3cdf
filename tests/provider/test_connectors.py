"""Every source and destination resource of both provider lines, replayed call by call.

Terraform drives: token, create, read (refresh), read by id (import), update,
read, delete, then the acceptance tests' destroy check reads until the entity
is gone. The provider fails an apply when a config key it sent reads back with
another value or JSON type, so each read checks every key it sent.
"""

from __future__ import annotations

import re

import pytest

from tests.provider.configs import (
    V2_CONFIGS,
    V2_EMPTY_TEXT_MAPS,
    connectors,
    v3_config,
    v3_config_all_set,
)
from tests.provider.wire import assert_config_echoed, wait_gone

OBJECT_ID = re.compile(r"[0-9a-f]{24}")
DEVELOPMENT_TAG = "670e5ca40afe1d3983ce0c22"  # the system tag the 3.x provider hard-codes
PRODUCTION_TAG = "670e5bab0d119c0d1f8cda9d"
V3_CONNECTORS = [(kind, code) for kind in ("sources", "destinations") for code in connectors(kind)]


def check_entity(entity: dict, name: str, code: str, config: dict) -> None:
    assert OBJECT_ID.fullmatch(entity["id"])
    assert entity["name"] == name
    assert entity["connector"] == code
    assert isinstance(entity["connector_status"], str) and entity["connector_status"]
    assert_config_echoed(config, entity["config"])


@pytest.mark.parametrize(("kind", "code"), V3_CONNECTORS, ids=[f"{k}-{c}" for k, c in V3_CONNECTORS])
def test_v3_resource_lifecycle(v3, kind, code):
    name = f"tf3-{kind}-{code}"
    config = v3_config(kind, code)

    created = v3.create_connector(kind, name, code, config, tags=[DEVELOPMENT_TAG])
    check_entity(created, name, code, config)
    assert created["tags"] == [DEVELOPMENT_TAG]
    entity_id = created["id"]

    read = v3.get_connector(kind, entity_id)
    check_entity(read, name, code, config)
    assert "kc_cluster_id" in read and read["tags"] == [DEVELOPMENT_TAG]
    assert v3.get_connector(kind, entity_id) == read  # import: the same read by id

    # The user sets every optional attribute and renames; tags left unset are sent as null: kept.
    changed = v3_config_all_set(kind, code, config)
    updated = v3.update_connector(kind, entity_id, name + "-renamed", code, changed, tags=None)
    check_entity(updated, name + "-renamed", code, changed)
    assert updated["tags"] == [DEVELOPMENT_TAG]
    # The PUT ?wait=false answer is transient; 3.x keeps the planned status and lets Read refresh it.
    assert updated["connector_status"] == "Pending Update"
    read = v3.get_connector(kind, entity_id)
    check_entity(read, name + "-renamed", code, changed)
    assert read["connector_status"] == "Active"
    assert read["tags"] == [DEVELOPMENT_TAG]

    # tags = [] clears them; another set replaces them.
    assert "tags" not in v3.update_connector(kind, entity_id, name + "-renamed", code, changed, tags=[])
    assert "tags" not in v3.get_connector(kind, entity_id)  # omitempty: 3.x reads nil as []
    assert v3.update_connector(kind, entity_id, name + "-renamed", code, changed,
                               tags=[PRODUCTION_TAG])["tags"] == [PRODUCTION_TAG]

    v3.delete_connector(kind, entity_id)
    wait_gone(lambda: v3.get_connector(kind, entity_id))


V2_RESOURCES = sorted(V2_CONFIGS)
V2_FIXED_BOOLEANS = {"ssh.enabled", "snowflake.private.key.passphrase.secured"}


@pytest.mark.parametrize("resource", V2_RESOURCES)
def test_v2_resource_lifecycle(v2, resource):
    kind, code = resource.split("/")
    name = f"tf2-{kind}-{code}"
    config = V2_CONFIGS[resource]

    created = v2.create_connector(kind, name, code, config)
    check_entity(created, name, code, config)  # 2.x fills its state from the create answer
    entity_id = created["id"]
    read = v2.get_connector(kind, entity_id)
    check_entity(read, name, code, config)
    assert v2.get_connector(kind, entity_id) == read

    # An update that flips the booleans (not the SSH switch, which would need a host, nor
    # the constant 2.x always sends) and, for maps 2.x sends as text, empties the map.
    changed = {k: (not v if isinstance(v, bool) and k not in V2_FIXED_BOOLEANS else v) for k, v in config.items()}
    changed.update(V2_EMPTY_TEXT_MAPS.get(resource, {}))
    updated = v2.update_connector(kind, entity_id, name + "-renamed", code, changed)
    check_entity(updated, name + "-renamed", code, changed)
    assert updated["connector_status"] == "Active"  # 2.x sends no wait=false: the answer is settled
    check_entity(v2.get_connector(kind, entity_id), name + "-renamed", code, changed)

    v2.delete_connector(kind, entity_id)
    assert v2.get_connector(kind, entity_id) is None  # 2.x deletes wait for the work: gone at once


@pytest.mark.parametrize("kind", ["sources", "destinations"])
def test_v2_entity_read_by_the_v3_provider_after_an_upgrade(v2, v3, kind):
    resource = f"{kind}/postgresql"
    created = v2.create_connector(kind, f"upgrade-{kind}", "postgresql", V2_CONFIGS[resource])
    read = v3.get_connector(kind, created["id"])
    check_entity(read, f"upgrade-{kind}", "postgresql", V2_CONFIGS[resource])
    assert "tags" not in read
    v3.delete_connector(kind, created["id"])
    wait_gone(lambda: v3.get_connector(kind, created["id"]))


@pytest.mark.parametrize("line", ["v2", "v3"])
@pytest.mark.parametrize("kind", ["sources", "destinations"])
def test_out_of_band_deletion_reads_as_an_empty_result(request, ui, line, kind):
    provider = request.getfixturevalue(line)
    config = V2_CONFIGS[f"{kind}/postgresql"] if line == "v2" else v3_config(kind, "postgresql")
    if kind == "sources":  # the slot/publication pair is unique per tenant
        config = {**config, "slot.name": f"slot_{line}", "publication.name": f"pub_{line}"}
    created = provider.create_connector(kind, f"oob-{line}-{kind}", "postgresql", config)
    ui.delete_connector(kind, created["id"])
    # 200 with total 0 and result []: Terraform drops the resource from state instead of failing.
    assert provider.get_connector(kind, created["id"]) is None


def test_v3_a_secret_switched_off_reads_back_null_and_the_provider_keeps_its_own(v3):
    """beta.23: with secret_returned=true the backend answers null for a secret it keeps no value of."""
    config = {**v3_config("destinations", "snowflake"), "snowflake.private.key.passphrase.secured": False,
              "snowflake.private.key.passphrase": "tf-passphrase"}
    created = v3.create_connector("destinations", "tf3-passphrase-off", "snowflake", config)
    assert created["config"]["snowflake.private.key.passphrase"] is None
    # Create restores every known Sensitive string from the plan (PreserveKnownStringFields): the rest must echo.
    assert_config_echoed({k: v for k, v in config.items() if k != "snowflake.private.key.passphrase"},
                         created["config"])
    read = v3.get_connector("destinations", created["id"])
    assert read["config"]["snowflake.private.key.passphrase"] is None
    switched_on = {**config, "snowflake.private.key.passphrase.secured": True}
    updated = v3.update_connector("destinations", created["id"], "tf3-passphrase-off", "snowflake", switched_on)
    assert updated["config"]["snowflake.private.key.passphrase"] == "tf-passphrase"
    v3.delete_connector("destinations", created["id"])
