"""TestAccPostgreSQLSnowflakePipelineResource and TestAccTopicResource (both lines), against the seed.

They read entities with fixed ids that only exist in Streamkap's test tenant;
``fixtures/seeds/provider-acceptance.json`` gives the mock the same ids. Each
sequence runs twice with a reset between the runs, as a suite resetting
between tests would: the second run sees no leftovers (names are free again,
the topic is back below 25 partitions).
"""

from __future__ import annotations

import httpx
import pytest

from tests.provider.configs import V2_CONFIGS, v3_config
from tests.provider.test_pipelines_topics import DEVELOPMENT_TAG, PRODUCTION_TAG
from tests.provider.wire import ROOT, V2, V3, ProviderClient, wait_gone

SERVER_SETTINGS = {"seed": ROOT / "fixtures" / "seeds" / "provider-acceptance.json"}
TRANSFORMS = {V3: ("6891895fb3a70cb60b64ce28", "68936a30d4b5a205c1f14536"),
              V2: ("67d43b4ed21e8f093edae34b", "67dbe945308e0871a4e1fc49")}
TOPIC = "source_67adbcc172417ef6338e01a1.default.tst-junit-2"
SOURCE_CONFIG = {  # the test's streamkap_source_postgresql, as its attributes map to config keys
    "database.port.user.defined": 5432, "database.user": "streamkap", "database.dbname": "sandbox",
    "snapshot.read.only": "No", "database.sslmode": "require", "schema.include.list": "streamkap",
    "table.include.list.user.defined": "streamkap.customer,streamkap.customer2",
    "signal.data.collection.schema.or.database": "streamkap.test_signal",
    "column.include.list": "streamkap[.]customer[.](id|name)", "heartbeat.enabled": False,
    "heartbeat.data.collection.schema.or.database": None,
    "slot.name": "terraform_timeout_test_slot", "publication.name": "terraform_timeout_test_pub",
    "binary.handling.mode": "bytes", "ssh.enabled": False,
}


def reset(server: str) -> None:
    assert httpx.post(f"{server}/__mock/reset").status_code == 200


class TopicNotInTransform(Exception):
    """The 2.x plan error for a topic the transform does not list."""


def entries(provider: ProviderClient, transform_topics: list[tuple[str, str]], source_id: str) -> list[dict]:
    """The provider's transform entries (model2APITransforms): it reads each transform first.

    2.x takes the topic id at the topic's index in the transform's ``topics`` and fails
    the plan when it is not there; 3.x makes ``source_<source id>.<topic>`` up instead.
    """
    result = []
    for transform_id, topic in transform_topics:
        read = provider.get_transform(transform_id)
        assert read is not None and read["id"] == transform_id and read["name"]
        if topic in read["topics"]:
            topic_id = read["topic_ids"][read["topics"].index(topic)]
        elif provider.line == V2:
            raise TopicNotInTransform(f"topic {topic} not found in transform {transform_id}")
        else:
            topic_id = f"source_{source_id}.{topic}"
        result.append({"id": transform_id, "name": read["name"], "start_time": read["start_time"],
                       "topic_id": topic_id, "topic": topic})
    return result


def pipeline_run(provider: ProviderClient) -> None:
    line = provider.line
    source_config = (dict(V2_CONFIGS["sources/postgresql"]) if line == V2
                     else v3_config("sources", "postgresql"))
    source_config.update({**SOURCE_CONFIG, "database.hostname.user.defined": "db.example.com",
                          "database.password": "pw"})
    destination_config = (dict(V2_CONFIGS["destinations/snowflake"]) if line == V2
                          else v3_config("destinations", "snowflake"))
    source = provider.create_connector("sources", "test-source-postgresql", "postgresql", source_config)
    destination = provider.create_connector("destinations", "test-destination-snowflake", "snowflake",
                                            destination_config)
    for tag in (DEVELOPMENT_TAG, PRODUCTION_TAG):
        assert provider.get_tag(tag)["id"] == tag
    first, second = TRANSFORMS[line]

    def body(name: str, transform_topics: list[tuple[str, str]]) -> dict:
        return {
            "name": name, "snapshot_new_tables": True,
            "source": {"id": source["id"], "name": source["name"], "connector": "postgresql",
                       "topics": ["streamkap.customer", "streamkap.customer2"]},
            "destination": {"id": destination["id"], "name": destination["name"], "connector": "snowflake"},
            "transforms": entries(provider, transform_topics, source["id"]),
            "tags": [PRODUCTION_TAG],
        }

    created = provider.create_pipeline(body("test-pipeline", [(first, "public.test_transformed"),
                                                               (second, "test")]))
    assert created["name"] == "test-pipeline"
    read = provider.get_pipeline(created["id"])
    assert read["name"] == "test-pipeline" and read["tags"] == [PRODUCTION_TAG]
    assert {e["id"] for e in read["transforms"]} == {first, second}
    assert provider.get_pipeline(created["id"]) == read  # ImportStateVerify reads it again
    updated = provider.update_pipeline(created["id"], body("test-pipeline-updated",
                                                           [(first, "public.test_transformed")]))
    assert updated["name"] == "test-pipeline-updated"
    assert provider.get_pipeline(created["id"])["name"] == "test-pipeline-updated"
    provider.delete_pipeline(created["id"])  # destroy, in dependency order
    wait_gone(lambda: provider.get_pipeline(created["id"]))
    provider.delete_connector("destinations", destination["id"])
    provider.delete_connector("sources", source["id"])


def topic_run(provider: ProviderClient) -> None:
    provider.update_topic(TOPIC, 25)  # "create" is a PUT
    topic = provider.get_topic(TOPIC)
    if provider.line == V3:
        assert topic["id"] == TOPIC and topic["kafka"]["partitions"]["count"] == 25
    else:
        assert topic["topic_id"] == TOPIC and topic["partition_count"] == 25
    assert provider.get_topic(TOPIC) == topic  # import
    provider.update_topic(TOPIC, 26)
    topic = provider.get_topic(TOPIC)
    assert (topic["kafka"]["partitions"]["count"] if provider.line == V3 else topic["partition_count"]) == 26
    # Delete only forgets the resource in Terraform's state.


@pytest.mark.parametrize("line", [V3, V2])
@pytest.mark.parametrize("sequence", [pipeline_run, topic_run], ids=["pipeline", "topic"])
def test_acceptance_sequence_passes_twice_with_a_reset_between(server, sequence, line):
    for _ in range(2):
        reset(server)
        provider = ProviderClient(server, line)
        try:
            sequence(provider)
        finally:
            provider.close()


def test_without_a_reset_the_topic_sequence_poisons_itself(server, v3):
    reset(server)
    topic_run(v3)
    with pytest.raises(Exception) as err:  # partitions only grow: 25 after 26 is refused, as on the real backend
        topic_run(v3)
    assert "only grow" in str(err.value)
