"""Value forms the 2.x provider sends that the 3.x definitions alone would reject."""

from __future__ import annotations

import json

import pytest

from mockserver.errors import BadRequest
from tests.domain.test_plugins import REGISTRY, minimal_config, prepare

WAIT_MS = "consumer.wait.time.for.larger.batch.ms"
DEDUPE = "auto.qa.dedupe.table.mapping"
CHUNKS = "streamkap.snapshot.custom.table.config.user.defined"


def test_a_numeric_choice_takes_the_number_and_keeps_its_type():
    databricks = REGISTRY.get("destinations", "databricks")
    base = minimal_config(databricks)
    assert prepare(databricks, base | {WAIT_MS: 500})[WAIT_MS] == 500
    assert prepare(databricks, base | {WAIT_MS: "500"})[WAIT_MS] == "500"
    for bad in (501, True, 500.0):
        with pytest.raises(BadRequest, match=WAIT_MS):
            prepare(databricks, base | {WAIT_MS: bad})


def test_pairs_text_and_empty_text_for_a_map():
    snowflake = REGISTRY.get("destinations", "snowflake")
    base = minimal_config(snowflake)
    for value in ("orders:dedupe.orders_dd,users:users_dd", "orders:orders_dd", ""):
        assert prepare(snowflake, base | {DEDUPE: value})[DEDUPE] == value
    for bad in ("orders", "orders:x,", ":x"):
        with pytest.raises(BadRequest, match=DEDUPE):
            prepare(snowflake, base | {DEDUPE: bad})


def test_json_text_for_an_object_map_is_still_checked():
    sqlserver = REGISTRY.get("sources", "sqlserveraws")
    base = minimal_config(sqlserver)
    text = json.dumps({"dbo.orders": {"chunks": 4}})
    assert prepare(sqlserver, base | {CHUNKS: text})[CHUNKS] == text
    with pytest.raises(BadRequest, match="chunks"):
        prepare(sqlserver, base | {CHUNKS: json.dumps({"dbo.orders": {"chunks": 0}})})


def test_primary_key_mode_of_the_postgresql_destination():
    postgresql = REGISTRY.get("destinations", "postgresql")
    base = minimal_config(postgresql)
    assert prepare(postgresql, base)["primary.key.mode"] is None  # 3.x never sends it
    assert prepare(postgresql, base | {"primary.key.mode": "record_value"})["primary.key.mode"] == "record_value"
    with pytest.raises(BadRequest, match="primary.key.mode"):
        prepare(postgresql, base | {"primary.key.mode": "kafka"})
