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
    v3.deploy_live(transform["id"])  # a transform lists the topics it writes to once it is deployed
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


def test_v3_pipeline_topics_read_back_from_their_ids_as_the_backend_rebuilds_them(v3, wiring):
    """get_pretty_topic_name_from_id: a pipeline's transform topic is its topic_id minus the first segment."""
    source, destination, deployed = wiring
    undeployed = v3.create_transform("map_filter", {**v3_config("transforms", "map_filter"),
                                                    "transforms.name": "tt-undeployed"})
    assert v3.get_transform(undeployed["id"])["topics"] == []  # 3.x falls back to source_<id>.<topic>
    listed = v3.get_transform(deployed["id"])
    entries = [
        {"id": deployed["id"], "name": listed["name"], "start_time": listed["start_time"],
         "topic": "public.test_transformed",
         "topic_id": listed["topic_ids"][listed["topics"].index("public.test_transformed")]},
        {"id": undeployed["id"], "name": undeployed["name"], "start_time": None,
         "topic": "public.test", "topic_id": f"source_{source['id']}.public.test"},
        # What 3.x before beta.15 sent for a dotted name without a prefix: it reads back cut (issue #78).
        {"id": undeployed["id"], "name": undeployed["name"], "start_time": None,
         "topic": "public.orders", "topic_id": "public.orders"},
    ]
    created = v3.create_pipeline({
        "name": "tt-pretty", "snapshot_new_tables": True,
        "source": {"id": source["id"], "name": source["name"], "connector": source["connector"],
                   "topics": ["public.test"]},
        "destination": {"id": destination["id"], "name": destination["name"], "connector": destination["connector"]},
        "transforms": entries, "tags": [DEVELOPMENT_TAG]})
    read = v3.get_pipeline(created["id"])
    assert [t["topic"] for t in read["transforms"]] == ["public.test_transformed", "public.test", "orders"]
    v3.delete_pipeline(created["id"])
