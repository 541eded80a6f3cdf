"""The 2.x streamkap_pipeline with transforms, replayed call by call.

For each transform of the plan, 2.x reads GET /transforms/{id}?unwind_topics=false,
looks each of the user's topic names up in the transform's `topics` and sends the
`topic_ids` entry at the same index ("topic ... not found in transform ..." when
absent). Reading back, it groups the pipeline's transform entries by id.
"""

from __future__ import annotations

import pytest

from tests.provider.configs import v3_config

DEVELOPMENT_TAG = "670e5ca40afe1d3983ce0c22"


@pytest.fixture(scope="module")
def wiring(v3):
    source_config = {**v3_config("sources", "postgresql"),
                     "table.include.list.user.defined": "public.test,public.orders",
                     "slot.name": "slot_transform_topics", "publication.name": "pub_transform_topics"}
    source = v3.create_connector("sources", "tt-src", "postgresql", source_config)
    destination = v3.create_connector("destinations", "tt-dst", "snowflake", v3_config("destinations", "snowflake"))
    transform = v3.create_transform("map_filter", {
        **v3_config("transforms", "map_filter"), "transforms.name": "tt-transform",
        "transforms.input.topic.pattern": r"source_[0-9a-f]{24}\.public\.(.*)",
        "transforms.output.topic.pattern": "public.$1_transformed"})
    return source, destination, transform


def v2_transform_entries(v2, plan: list[dict]) -> list[dict]:
    """model2APITransforms: one entry per (transform, topic) of the plan, ids taken from the transform."""
    entries = []
    for item in plan:
        transform = v2.get_transform(item["id"])
        assert transform is not None, f"transform {item['id']} does not exist"
        for topic in item["topics"]:
            assert topic in transform["topics"], f"topic {topic} not found in transform {item['id']}"
            entries.append({"id": transform["id"], "name": transform["name"], "start_time": transform["start_time"],
                            "topic": topic, "topic_id": transform["topic_ids"][transform["topics"].index(topic)]})
    return entries


def v2_grouped(entries: list[dict]) -> dict[str, set[str]]:
    """api2ModelTransforms: the pipeline's entries grouped by transform id."""
    grouped: dict[str, set[str]] = {}
    for entry in entries:
        grouped.setdefault(entry["id"], set()).add(entry["topic"])
    return grouped


def test_v2_pipeline_with_transform_topics(v2, wiring):
    source, destination, transform = wiring
    read = v2.get_transform(transform["id"])
    assert set(read["topics"]) == {"public.test_transformed", "public.orders_transformed"}
    plan = [{"id": transform["id"], "topics": ["public.test_transformed"]}]
    body = {
        "name": "tt-pipeline", "snapshot_new_tables": True,
        "source": {"id": source["id"], "name": source["name"], "connector": source["connector"],
                   "topics": ["public.test"]},
        "destination": {"id": destination["id"], "name": destination["name"], "connector": destination["connector"]},
        "transforms": v2_transform_entries(v2, plan),
        "tags": [DEVELOPMENT_TAG],
    }
    created = v2.create_pipeline(body)
    assert v2_grouped(v2.get_pipeline(created["id"])["transforms"]) == {transform["id"]: {"public.test_transformed"}}

    # Ids are stable: a second read gives the same id for the same topic, so the plan stays empty.
    assert v2_transform_entries(v2, plan) == body["transforms"]

    plan = [{"id": transform["id"], "topics": ["public.test_transformed", "public.orders_transformed"]}]
    changed = {**body, "source": {**body["source"], "topics": ["public.test", "public.orders"]},
               "transforms": v2_transform_entries(v2, plan)}
    v2.update_pipeline(created["id"], changed)
    assert v2_grouped(v2.get_pipeline(created["id"])["transforms"]) == {
        transform["id"]: {"public.test_transformed", "public.orders_transformed"}}

    # A topic the transform does not produce is the provider's own error, before any write.
    with pytest.raises(AssertionError, match="not found in transform"):
        v2_transform_entries(v2, [{"id": transform["id"], "topics": ["public.nope_transformed"]}])
    v2.delete_pipeline(created["id"])
    assert v2.get_pipeline(created["id"]) is None
