"""streamkap_pipeline (both lines) and streamkap_topic (both lines), replayed call by call.

Pipeline: the provider reads each referenced transform first (GET /transforms/{id},
unwind_topics=false) to fill one entry per (transform, topic), then POST
/pipelines; reads are the list envelope; update is PUT; delete then read until
gone. The 3.x line reads source topics back with a "source_<source id>." prefix
stripped, groups transform entries by id, and defaults tags to the system
Development tag. Topic: 3.x "create" and update are PUT /topics/{kafka name}
{"payload": {...}}, read is GET ?detailed=true keeping `id` as topic_id and
kafka.partitions.count; 2.x reads top-level topic_id and partition_count.
"""

from __future__ import annotations

import pytest

from tests.provider.configs import v3_config
from tests.provider.wire import ApiError, wait_gone

DEVELOPMENT_TAG = "670e5ca40afe1d3983ce0c22"
PRODUCTION_TAG = "670e5bab0d119c0d1f8cda9d"
TABLES = "public.orders,public.customers"


@pytest.fixture(scope="module")
def wiring(v3):
    """A source with two tables, a destination and a deployed transform."""
    source_config = {**v3_config("sources", "postgresql"), "table.include.list.user.defined": TABLES,
                     "slot.name": "slot_pipelines", "publication.name": "pub_pipelines"}
    source = v3.create_connector("sources", "pipe-src", "postgresql", source_config)
    destination = v3.create_connector("destinations", "pipe-dst", "snowflake", v3_config("destinations", "snowflake"))
    transform = v3.create_transform("map_filter", {**v3_config("transforms", "map_filter"),
                                                   "transforms.name": "pipe-transform"})
    return source, destination, transform


def v3_body(v3, source, destination, transform, name, source_topics, transform_topics, tags):
    read = v3.get_transform(transform["id"])  # the provider enriches each transform first
    entries = []
    for topic in transform_topics:
        if topic in read["topics"]:
            topic_id = read["topic_ids"][read["topics"].index(topic)]
        else:  # not deployed yet: the provider synthesizes the id from the source
            topic_id = f"source_{source['id']}.{topic}"
        entries.append({"id": transform["id"], "name": read["name"], "start_time": read["start_time"],
                        "topic_id": topic_id, "topic": topic})
    return {
        "name": name, "snapshot_new_tables": True,
        "source": {"id": source["id"], "name": source["name"], "connector": source["connector"],
                   "topics": source_topics},
        "destination": {"id": destination["id"], "name": destination["name"],
                        "connector": destination["connector"]},
        "transforms": entries,
        "topic_auto_discovery_transforms": [{"transform_id": transform["id"], "regex": "^public\\..*"}],
        "tags": tags,
    }


def check_v3_pipeline(pipeline: dict, body: dict) -> None:
    assert pipeline["name"] == body["name"]
    assert pipeline["snapshot_new_tables"] is body["snapshot_new_tables"]
    source_id = pipeline["source"]["id"]
    # The provider strips "source_<id>." from each source topic before comparing.
    topics = {t.removeprefix(f"source_{source_id}.") for t in pipeline["source"]["topics"]}
    assert topics == set(body["source"]["topics"])
    assert {k: pipeline["source"][k] for k in ("id", "name", "connector")} == {
        k: body["source"][k] for k in ("id", "name", "connector")}
    assert pipeline["destination"] == body["destination"]
    grouped: dict[str, set[str]] = {}
    for entry in pipeline["transforms"]:
        grouped.setdefault(entry["id"], set()).add(entry["topic"])
    expected: dict[str, set[str]] = {}
    for entry in body["transforms"]:
        expected.setdefault(entry["id"], set()).add(entry["topic"])
    assert grouped == expected
    assert pipeline["topic_auto_discovery_transforms"] == body["topic_auto_discovery_transforms"]
    assert set(pipeline["tags"]) == set(body["tags"])


def test_v3_pipeline_lifecycle(v3, ui, wiring):
    source, destination, transform = wiring
    body = v3_body(v3, source, destination, transform, "tf-pipeline", ["public.orders"],
                   ["public.orders"], [DEVELOPMENT_TAG])
    created = v3.create_pipeline(body)
    check_v3_pipeline(created, body)
    read = v3.get_pipeline(created["id"])
    check_v3_pipeline(read, body)
    assert v3.get_pipeline(created["id"]) == read  # import

    changed = v3_body(v3, source, destination, transform, "tf-pipeline-2", ["public.orders", "public.customers"],
                      ["public.orders", "public.customers"], [PRODUCTION_TAG])
    check_v3_pipeline(v3.update_pipeline(created["id"], changed), changed)
    check_v3_pipeline(v3.get_pipeline(created["id"]), changed)
    # tags = [] clears (3.x always sends the set, never null).
    assert "tags" not in v3.update_pipeline(created["id"], {**changed, "tags": []})  # omitempty

    # No adopt for pipelines: a second create with the name is an error that says so.
    with pytest.raises(ApiError) as err:
        v3.create_pipeline(changed)
    assert err.value.status == 409 and "already exists" in err.value.detail

    v3.delete_pipeline(created["id"])
    wait_gone(lambda: v3.get_pipeline(created["id"]))

    again = v3.create_pipeline(body)
    ui.delete_pipeline(again["id"])
    assert v3.get_pipeline(again["id"]) is None  # out of band: empty result, not an error


def test_v2_pipeline_lifecycle(v2, wiring):
    source, destination, transform = wiring
    read = v2.get_transform(transform["id"])
    # 2.x keeps only the topics the transform itself lists; none here, so it sends none.
    entries = [{"id": transform["id"], "name": read["name"], "start_time": read["start_time"],
                "topic_id": tid, "topic": t} for tid, t in zip(read["topic_ids"], read["topics"])]
    body = {
        "name": "tf2-pipeline", "snapshot_new_tables": False,
        "source": {"id": source["id"], "name": source["name"], "connector": source["connector"],
                   "topics": ["public.customers"]},
        "destination": {"id": destination["id"], "name": destination["name"], "connector": destination["connector"]},
        "transforms": entries or None,
        "tags": [DEVELOPMENT_TAG],
    }
    created = v2.create_pipeline(body)
    assert created["id"] and created["name"] == "tf2-pipeline"
    read = v2.get_pipeline(created["id"])
    assert read["source"]["topics"] == ["public.customers"] and read["destination"] == body["destination"]
    assert read["transforms"] == [] and read["tags"] == [DEVELOPMENT_TAG]
    updated = v2.update_pipeline(created["id"], {**body, "name": "tf2-pipeline-2", "snapshot_new_tables": True})
    assert updated["name"] == "tf2-pipeline-2" and updated["snapshot_new_tables"] is True
    v2.delete_pipeline(created["id"])
    assert v2.get_pipeline(created["id"]) is None


def test_v3_topic_resource(v3, wiring):
    source = wiring[0]
    kafka_name = f"source_{source['id']}.public.orders"  # what users write as topic_id
    v3.update_topic(kafka_name, 3, tags=[PRODUCTION_TAG])  # create = PUT
    topic = v3.get_topic(kafka_name)
    assert topic["id"] == kafka_name  # kept as topic_id: must not change
    assert topic["kafka"]["partitions"]["count"] == 3 and topic["tags"] == [PRODUCTION_TAG]
    assert v3.get_topic(kafka_name) == topic  # import by the Kafka name
    v3.update_topic(kafka_name, 5)  # tags unset: not sent, kept
    topic = v3.get_topic(kafka_name)
    assert topic["kafka"]["partitions"]["count"] == 5 and topic["tags"] == [PRODUCTION_TAG]
    with pytest.raises(ApiError) as err:  # Kafka partitions only grow
        v3.update_topic(kafka_name, 4)
    assert err.value.status == 400
    # Delete is state-only in the provider; a missing topic's read says "not found", kept in state.
    with pytest.raises(ApiError) as err:
        v3.get_topic(f"source_{source['id']}.public.nope")
    assert "not found" in err.value.detail


def test_v2_topic_resource(v2, wiring):
    kafka_name = f"source_{wiring[0]['id']}.public.customers"
    assert v2.update_topic(kafka_name, 2) is not None
    topic = v2.get_topic(kafka_name)
    assert topic["topic_id"] == kafka_name and topic["partition_count"] == 2
    v2.update_topic(kafka_name, 4)
    assert v2.get_topic(kafka_name)["partition_count"] == 4


def test_tag_data_source_both_lines(v2, v3):
    for provider in (v2, v3):
        tag = provider.get_tag(DEVELOPMENT_TAG)
        assert tag["id"] == DEVELOPMENT_TAG and tag["system"] is True and tag["name"] == "Development"
    assert v3.get_tag("0" * 24) is None
    assert {t["id"] for t in v3.list_tags(ids=(DEVELOPMENT_TAG, PRODUCTION_TAG))} == {DEVELOPMENT_TAG, PRODUCTION_TAG}
    assert {t["id"] for t in v3.search_tags([DEVELOPMENT_TAG, PRODUCTION_TAG])} == {DEVELOPMENT_TAG, PRODUCTION_TAG}


def test_tags_data_source_filters_by_environment(v3):
    # The 3.x streamkap_tags data source lists environment tags; the system ones are among them.
    environment = {t["id"] for t in v3.list_tags(types=("environment",))}
    assert {DEVELOPMENT_TAG, PRODUCTION_TAG} <= environment


@pytest.mark.parametrize("tag_type", ["environment", "general", "services", "users", "tenant"])
def test_tag_resource_takes_every_backend_tag_type(v3, tag_type):
    created = v3.create_tag(f"tf-{tag_type}", "", [tag_type])
    assert created["type"] == [tag_type]
    assert created["id"] in {t["id"] for t in v3.list_tags(types=(tag_type,))}
    v3.delete_tag(created["id"])

