"""/topics: the Kafka topics of sources, their details, partitions, tags and metrics."""

from __future__ import annotations

import pytest

from tests.conftest import PG_SOURCE_CONFIG, make_source
from mockserver.domain.records import new_id

MISSING = "6650a1f0c0ffee00000000ff"


def make_tag(api):
    record = {"id": new_id(), "name": "team", "system": False,
              "tenant_id": "tenant-acme", "service_id": "service-acme-prod", "deleted": False}
    return api.backend.repo.insert("tags", record)


def topic_names(api, source_id, as_="mock-client"):
    response = api.get(f"/topics?entity_id={source_id}&page_size=100", as_=as_)
    assert response.status_code == 200
    return [t["name"] for t in response.json()["result"]]


@pytest.fixture
def source(api):
    return make_source(api)


# ---- one topic -----------------------------------------------------------------

def test_get_topic_by_id_has_entity_serialization_kafka_and_tags(api, source):
    topic_id, name = source["topic_ids"][0], source["topics"][0]
    response = api.get(f"/topics/{topic_id}?detailed=true")
    assert response.status_code == 200
    topic = response.json()
    # The public id is the Kafka name (what the provider keeps as topic_id); the ObjectId
    # is among the entity's topic_db_ids.
    assert topic["id"] == topic["name"] == name == f"source_{source['id']}.public.users"
    assert topic["prefix"] == f"source_{source['id']}"
    assert topic["entity"] == {
        "entity_type": "sources", "entity_id": source["id"], "name": "pg", "connector": "postgresql",
        "display_name": "PostgreSQL", "topic_ids": source["topics"], "topic_db_ids": source["topic_ids"],
    }
    assert topic["serialization"]["key_format"] == "avro"
    assert topic["serialization"]["schema_registry_enabled"] is True
    assert topic["kafka"]["partitions"] == {"count": 1}
    assert topic["kafka"]["configs"] == {"retention.ms": 604800000, "cleanup.policy": "delete"}
    assert "tags" not in topic  # none: left out, as the backend does


def test_get_topic_by_kafka_name(api, source):
    response = api.get(f"/topics/{source['topics'][1]}")
    assert response.status_code == 200
    assert response.json()["id"] == source["topics"][1]


def test_not_detailed_leaves_out_the_kafka_block(api, source):
    assert api.get(f"/topics/{source['topic_ids'][0]}?detailed=false").json()["kafka"] is None


@pytest.mark.parametrize("ref", [MISSING, "source_nope.public.users"])
def test_unknown_topic_is_404(api, ref):
    response = api.get(f"/topics/{ref}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Entity not found"}


def test_topic_of_another_tenant_is_404(api, source):
    for ref in (source["topic_ids"][0], source["topics"][0]):
        assert api.get(f"/topics/{ref}", as_="mock-client-2").status_code == 404
        assert api.put(f"/topics/{ref}", json={"payload": {"partition_count": 3}},
                       as_="mock-client-2").status_code == 404
        assert api.delete(f"/topics/{ref}", as_="mock-client-2").status_code == 404


def test_ambiguous_name_is_400(api, source):
    # Source topic names embed the source id, so only a hand-made record can collide.
    clone = {**api.backend.repo.get("topics", source["topic_ids"][0]), "id": new_id()}
    api.backend.repo.insert("topics", clone)
    response = api.get(f"/topics/{clone['name']}")
    assert response.status_code == 400
    assert response.json() == {"detail": f"Topic name '{clone['name']}' matches 2 topics; use the topic id"}


# ---- update --------------------------------------------------------------------

def test_partitions_grow_and_stay(api, source):
    topic_id = source["topic_ids"][0]
    response = api.put(f"/topics/{topic_id}", json={"payload": {"partition_count": 6}})
    assert response.status_code == 200
    assert response.json()["kafka"]["partitions"]["count"] == 6
    assert api.get(f"/topics/{topic_id}").json()["kafka"]["partitions"]["count"] == 6
    # the same count again is no change, and fine
    assert api.put(f"/topics/{topic_id}", json={"payload": {"partition_count": 6}}).status_code == 200


def test_partitions_cannot_shrink(api, source):
    name = source["topics"][0]
    api.ok("PUT", f"/topics/{name}", json={"payload": {"partition_count": 4}})
    response = api.put(f"/topics/{name}", json={"payload": {"partition_count": 2}})
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Topic '{name}' has 4 partitions; Kafka partitions can only grow, so 2 is not allowed"
    }
    assert api.get(f"/topics/{name}").json()["kafka"]["partitions"]["count"] == 4


def test_tags_set_keep_and_clear(api, source):
    topic_id = source["topic_ids"][0]
    tag = make_tag(api)
    assert api.put(f"/topics/{topic_id}", json={"payload": {"tags": [tag["id"]]}}).json()["tags"] == [tag["id"]]
    kept = api.put(f"/topics/{topic_id}", json={"payload": {"partition_count": 2, "tags": None}}).json()
    assert kept["tags"] == [tag["id"]]
    assert "tags" not in api.put(f"/topics/{topic_id}", json={"payload": {"tags": []}}).json()


def test_unknown_tag_is_400(api, source):
    response = api.put(f"/topics/{source['topic_ids'][0]}", json={"payload": {"tags": [MISSING]}})
    assert response.status_code == 400
    assert response.json() == {"detail": f"Tag not found: {MISSING}"}


@pytest.mark.parametrize("payload", [{}, {"partition_count": None, "tags": None}, {"partition_count": 0}])
def test_update_needs_partition_count_or_tags(api, source, payload):
    response = api.put(f"/topics/{source['topic_ids'][0]}", json={"payload": payload})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", "payload"]


@pytest.mark.parametrize("ref", [MISSING, f"source_{MISSING}.public.users", "source_.public.users", "plain-name"])
def test_update_of_unknown_topic_is_404(api, ref):
    response = api.put(f"/topics/{ref}", json={"payload": {"partition_count": 2}})
    assert response.status_code == 404
    assert api.get("/topics").json()["total"] == 0


def test_update_of_a_missing_topic_of_a_live_source_creates_it(api, source):
    name = f"source_{source['id']}.public.extra"
    response = api.put(f"/topics/{name}", json={"payload": {"partition_count": 3}})
    assert response.status_code == 200, response.text
    topic = api.get(f"/topics/{name}?detailed=true").json()
    assert topic["kafka"]["partitions"]["count"] == 3 and topic["entity"]["entity_id"] == source["id"]
    assert name in topic_names(api, source["id"])


def test_a_refused_update_of_a_missing_topic_creates_nothing(api, source):
    name = f"source_{source['id']}.public.extra"
    assert api.put(f"/topics/{name}", json={"payload": {"tags": [MISSING]}}).status_code == 400
    assert name not in topic_names(api, source["id"])


def test_read_only_credential_cannot_change_topics(api, source):
    topic_id = source["topic_ids"][0]
    assert api.put(f"/topics/{topic_id}", json={"payload": {"partition_count": 2}},
                   as_="mock-readonly").status_code == 403
    assert api.delete(f"/topics/{topic_id}", as_="mock-readonly").status_code == 403
    assert api.get(f"/topics/{topic_id}", as_="mock-readonly").status_code == 200


# ---- delete --------------------------------------------------------------------

def test_delete_removes_the_topic_from_reads_and_from_its_source(api, source):
    topic_id = source["topic_ids"][0]
    response = api.delete(f"/topics/{topic_id}")
    assert response.status_code == 200
    assert response.json()["id"] == source["topics"][0]
    assert api.get(f"/topics/{topic_id}").status_code == 404
    again = api.delete(f"/topics/{topic_id}")
    assert again.status_code == 404
    assert again.json() == {"detail": "Entity not found"}
    read_back = api.get(f"/sources/{source['id']}").json()["result"][0]
    assert read_back["topic_ids"] == [source["topic_ids"][1]]
    assert read_back["topics"] == [source["topics"][1]]


# ---- topics follow their source -------------------------------------------------

def test_topics_follow_the_source_table_list_and_its_deletion(api, source):
    assert topic_names(api, source["id"]) == source["topics"]
    config = {**PG_SOURCE_CONFIG, "table.include.list.user.defined": "public.orders,public.invoices",
              "slot.name": "slot_pg", "publication.name": "pub_pg"}
    response = api.put(f"/sources/{source['id']}", json={"name": "pg", "connector": "postgresql", "config": config})
    assert response.status_code == 200, response.text
    prefix = f"source_{source['id']}"
    assert topic_names(api, source["id"]) == [f"{prefix}.public.orders", f"{prefix}.public.invoices"]
    # the surviving topic keeps its id; the dropped one is gone
    assert api.get(f"/topics/{source['topic_ids'][1]}").status_code == 200
    assert api.get(f"/topics/{source['topic_ids'][0]}").status_code == 404
    assert api.delete(f"/sources/{source['id']}").status_code == 200
    assert topic_names(api, source["id"]) == []
    assert api.get(f"/topics/details?entity_id={source['id']}").json()["total"] == 0


# ---- listing -------------------------------------------------------------------

def test_list_pages_and_filters(api, source):
    other = make_source(api, name="other", tables="public.a,public.b,public.c")
    everything = api.get("/topics").json()
    assert everything["total"] == 5
    assert [t["name"] for t in everything["result"]] == source["topics"] + other["topics"]
    page = api.get("/topics?page=2&page_size=2").json()
    assert (page["total"], page["page"], page["page_size"]) == (5, 2, 2)
    assert [t["name"] for t in page["result"]] == other["topics"][:2]
    assert topic_names(api, other["id"]) == other["topics"]
    assert api.get("/topics?partial_name=PUBLIC.B").json()["result"][0]["name"] == other["topics"][1]
    assert api.get("/topics?entity_type=destinations").json()["total"] == 0
    assert api.get("/topics", as_="mock-client-2").json()["total"] == 0


@pytest.mark.parametrize("query", ["page=0", "page_size=101", "entity_type=source", "detailed=maybe"])
def test_list_rejects_bad_query_values(api, query):
    response = api.get(f"/topics?{query}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


# ---- details -------------------------------------------------------------------

def test_details_pages_by_offset_with_both_id_spellings(api, source):
    other = make_source(api, name="other", tables="public.a,public.b,public.c")
    first = api.get(f"/topics/details?entity_type=sources&entity_id={other['id']}&limit=2").json()
    assert (first["page"], first["page_size"], first["total"], first["has_next"]) == (1, 2, 3, True)
    assert [t["name"] for t in first["result"]] == other["topics"][:2]
    item = first["result"][0]
    assert set(item) == {"id", "name", "entity", "prefix", "serialization", "messages_7d", "messages_30d"}
    assert item["entity"]["entity_id"] == other["id"]
    assert 0 <= item["messages_7d"] <= item["messages_30d"]
    rest = api.get(f"/topics/details?entity_ids={other['id']}&limit=2&offset=2").json()
    assert (rest["page"], rest["total"], rest["has_next"]) == (2, 3, False)
    assert [t["name"] for t in rest["result"]] == other["topics"][2:]
    both = api.get(f"/topics/details?entity_id={source['id']}&entity_id={other['id']}").json()
    assert both["total"] == 5 and both["page_size"] == 100
    # the same topic gives the same numbers on every call
    again = api.get(f"/topics/details?entity_id={other['id']}&limit=2").json()
    assert again["result"][0]["messages_7d"] == item["messages_7d"]


def test_details_is_scoped_to_the_caller(api, source):
    assert api.get("/topics/details").json()["total"] == 2
    assert api.get(f"/topics/details?entity_id={source['id']}", as_="mock-client-2").json()["total"] == 0


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "offset=-1", "entity_type=pipelines"])
def test_details_rejects_bad_query_values(api, query):
    response = api.get(f"/topics/details?{query}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


# ---- metrics -------------------------------------------------------------------

def metrics_body(source):
    return {"entities": [{"id": source["id"], "entity_type": "sources", "connector": "postgresql",
                          "topic_ids": source["topics"], "topic_db_ids": source["topic_ids"]}],
            "time_type": "latest", "time_interval": 1, "time_unit": "hours"}


def test_table_metrics_are_plausible_and_deterministic(api, source):
    response = api.post("/topics/table_metrics", json=metrics_body(source))
    assert response.status_code == 200
    metrics = response.json()
    assert list(metrics) == [source["id"]]
    assert list(metrics[source["id"]]) == source["topics"]
    for m in metrics[source["id"]].values():
        assert m["messages_in"] - m["lag"] == m["messages_out"] >= 0
        assert m["bytes_in"] >= m["bytes_out"] >= m["messages_out"]
        assert m["avg_latency_ms"] > 0
    assert api.post("/topics/table_metrics", json=metrics_body(source)).json() == metrics


def test_table_metrics_default_to_the_entitys_own_topics(api, source):
    body = {"entities": [{"id": source["id"], "entity_type": "sources"}]}
    assert list(api.post("/topics/table_metrics", json=body).json()[source["id"]]) == source["topics"]


def test_table_metrics_leave_out_entities_the_caller_cannot_see(api, source):
    body = metrics_body(source)
    body["entities"].append({"id": MISSING, "entity_type": "sources", "topic_ids": ["x"]})
    assert list(api.post("/topics/table_metrics", json=body).json()) == [source["id"]]
    assert api.post("/topics/table_metrics", json=metrics_body(source), as_="mock-client-2").json() == {}


def test_table_metrics_body_is_validated(api):
    response = api.post("/topics/table_metrics", json={"entities": [{"id": "x", "entity_type": "pipes"}]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "entities", 0, "entity_type"]


def test_topics_need_a_token(api):
    assert api.client.get("/topics").status_code == 401
    assert api.client.post("/topics/table_metrics", json={"entities": []}).status_code == 401


def test_table_metrics_answer_every_time_type_the_client_asks(api, source):
    body = metrics_body(source)
    latest = api.post("/topics/table_metrics", json=body).json()[source["id"]]
    assert api.post("/topics/table_metrics", json={**body, "time_type": "latest"}).json()[source["id"]] == latest
    day = {"timestamp_from": "2026-12-05T00:00:00Z", "timestamp_to": "2026-12-06T00:00:00Z"}
    summary = api.post("/topics/table_metrics", json={**body, **day, "time_type": "timesummary"}).json()
    for topic, total in summary[source["id"]].items():
        assert total["messages_in"] == 24 * latest[topic]["messages_in"]  # a day of the hourly reading
        assert total["messages_out"] == total["messages_in"] - total["lag"]
    series = api.post("/topics/table_metrics", json={**body, **day, "time_type": "timeseries",
                                                      "time_interval": 6, "time_unit": "hours"}).json()
    for points in series[source["id"]].values():
        assert [p["timestamp"] for p in points] == [f"2026-12-05T{h:02}:00:00.000Z" for h in (0, 6, 12, 18)]
        assert all(p["messages_in"] - p["lag"] == p["messages_out"] >= 0 for p in points)
        assert len({p["messages_in"] for p in points}) > 1  # traffic varies from bucket to bucket


@pytest.mark.parametrize("extra,detail", [
    ({"time_unit": "fortnight"}, "Invalid time_unit 'fortnight'"),
    ({"timestamp_from": "yesterday"}, "Invalid timestamp_from 'yesterday'"),
    ({"timestamp_from": "2026-12-06T00:00:00Z", "timestamp_to": "2026-12-05T00:00:00Z"}, "must be before"),
    ({"time_type": "timeseries", "timestamp_from": "2000-01-01T00:00:00Z", "time_unit": "minute"}, "more than 1000"),
])
def test_table_metrics_refuse_a_window_they_cannot_answer(api, source, extra, detail):
    response = api.post("/topics/table_metrics", json={**metrics_body(source), **extra})
    assert response.status_code == 400 and detail in response.json()["detail"]


def test_table_metrics_time_type_is_one_of_three(api, source):
    response = api.post("/topics/table_metrics", json={**metrics_body(source), "time_type": "hourly"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "time_type"]
