"""/pipelines: create, read, list, replace, delete, and the rules that tie them to other entities."""

from __future__ import annotations

import pytest

from tests.conftest import PG_SOURCE_CONFIG, SNOWFLAKE_CONFIG, make_source
from mockserver.domain.records import new_id

MISSING = "6650a1f0c0ffee00000000ff"


def make_destination(api, name="snow", as_="mock-client"):
    response = api.post("/destinations", as_=as_,
                        json={"name": name, "connector": "snowflake", "config": SNOWFLAKE_CONFIG})
    assert response.status_code == 200, response.text
    return response.json()


def make_transform(api, name="mask", tenant="tenant-acme", service="service-acme-prod"):
    """Transforms have their own API elsewhere; a stored record is all a pipeline needs."""
    record = {"id": new_id(), "name": name, "tenant_id": tenant, "service_id": service, "deleted": False}
    return api.backend.repo.insert("transforms", record)


def make_tag(api, tenant="tenant-acme", service="service-acme-prod"):
    record = {"id": new_id(), "name": "team", "system": False,
              "tenant_id": tenant, "service_id": service, "deleted": False}
    return api.backend.repo.insert("tags", record)


@pytest.fixture
def parts(api):
    source = make_source(api)
    destination = make_destination(api)
    transform = make_transform(api)
    return source, destination, transform


def body(source, destination, transform=None, name="orders-to-snowflake", **extra):
    payload = {
        "name": name,
        "snapshot_new_tables": True,
        "source": {"id": source["id"], "name": source["name"], "connector": "postgresql",
                   "topics": ["public.users"]},
        "destination": {"id": destination["id"], "name": destination["name"], "connector": "snowflake"},
        "transforms": [],
        "topic_auto_discovery_transforms": [],
        "tags": [],
        "created_from": "terraform",
    }
    if transform is not None:
        payload["transforms"] = [{"id": transform["id"], "name": transform["name"], "start_time": None,
                                  "topic_id": f"transform_{transform['id']}.public.users",
                                  "topic": "public.users"}]
        payload["topic_auto_discovery_transforms"] = [{"transform_id": transform["id"], "regex": "^public\\..*"}]
    payload.update(extra)
    return payload


def create(api, payload, as_="mock-client"):
    response = api.post("/pipelines?secret_returned=true&wait=false", json=payload, as_=as_)
    assert response.status_code == 200, response.text
    return response.json()


# ---- create and read ---------------------------------------------------------

def test_create_echoes_every_field_it_was_sent(api, parts):
    payload = body(*parts)
    created = create(api, payload)
    for key, value in payload.items():
        assert created.get(key, []) == value, key  # no tags: left out (omitempty)
    assert "tags" not in created
    assert len(created["id"]) == 24
    assert created["tenant_id"] == "tenant-acme"
    assert created["service_id"] == "service-acme-prod"
    assert created["sub_id"] == "sub-acme"
    assert created["status"] == "Active"
    assert created["created_timestamp"]


def test_get_returns_the_pipeline_in_the_list_envelope(api, parts):
    created = create(api, body(*parts))
    response = api.get(f"/pipelines/{created['id']}?secret_returned=true")
    assert response.status_code == 200
    assert response.json() == {"total": 1, "page_size": 10, "page": 1, "result": [created]}


def test_get_of_an_unknown_pipeline_is_an_empty_envelope(api):
    response = api.get(f"/pipelines/{MISSING}")
    assert response.status_code == 200
    assert response.json()["total"] == 0 and response.json()["result"] == []


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_malformed_id_is_404_entity_not_found(api, method):
    response = api.request(method, "/pipelines/not-an-id", json={})
    assert (response.status_code, response.json()) == (404, {"detail": "Entity not found"})


def test_source_name_and_connector_default_to_the_live_entity(api, parts):
    source, destination, _ = parts
    payload = body(source, destination)
    payload["source"] = {"id": source["id"], "topics": []}
    payload["destination"] = {"id": destination["id"]}
    created = create(api, payload)
    assert created["source"] == {"id": source["id"], "name": "pg", "connector": "postgresql", "topics": []}
    assert created["destination"] == {"id": destination["id"], "name": "snow", "connector": "snowflake"}


def test_source_topics_may_be_full_names_short_names_or_topic_ids(api, parts):
    source, destination, _ = parts
    topics = [source["topics"][0], "public.orders", source["topic_ids"][1]]
    payload = body(source, destination)
    payload["source"]["topics"] = topics
    assert create(api, payload)["source"]["topics"] == topics


def test_null_tags_on_create_means_no_tags(api, parts):
    assert "tags" not in create(api, body(*parts, tags=None))


# ---- references -----------------------------------------------------------------

@pytest.mark.parametrize("part,label", [("source", "Source"), ("destination", "Destination")])
def test_unknown_source_or_destination_is_400(api, parts, part, label):
    payload = body(*parts)
    payload[part]["id"] = MISSING
    response = api.post("/pipelines", json=payload)
    assert response.status_code == 400
    assert response.json() == {"detail": f"{label} {MISSING} not found"}


def test_unknown_transform_is_400(api, parts):
    source, destination, transform = parts
    payload = body(source, destination, transform)
    payload["transforms"][0]["id"] = MISSING
    response = api.post("/pipelines", json=payload)
    assert response.status_code == 400
    assert response.json() == {"detail": f"Transform {MISSING} not found"}


def test_unknown_auto_discovery_transform_is_400(api, parts):
    payload = body(*parts)
    payload["topic_auto_discovery_transforms"] = [{"transform_id": MISSING, "regex": ".*"}]
    response = api.post("/pipelines", json=payload)
    assert response.status_code == 400
    assert response.json() == {"detail": f"Transform {MISSING} not found"}


def test_invalid_auto_discovery_regex_is_400(api, parts):
    payload = body(*parts)
    payload["topic_auto_discovery_transforms"][0]["regex"] = "(unclosed"
    response = api.post("/pipelines", json=payload)
    assert response.status_code == 400
    assert "Invalid regex '(unclosed'" in response.json()["detail"]


def test_deleted_transform_is_not_found(api, parts):
    source, destination, transform = parts
    api.backend.repo.replace("transforms", {**transform, "deleted": True})
    response = api.post("/pipelines", json=body(source, destination, transform))
    assert response.status_code == 400
    assert response.json()["detail"] == f"Transform {transform['id']} not found"


def test_topic_of_another_source_is_400(api, parts):
    source, destination, _ = parts
    other = make_source(api, name="other", tables="public.invoices")
    payload = body(source, destination)
    payload["source"]["topics"] = ["public.users", other["topics"][0]]
    response = api.post("/pipelines", json=payload)
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Topic '{other['topics'][0]}' does not belong to source {source['id']}"
    }


def test_entities_of_another_tenant_are_not_found(api, parts):
    source, destination, transform = parts
    globex_destination = make_destination(api, name="globex-snow", as_="mock-client-2")
    payload = body(source, globex_destination)
    response = api.post("/pipelines", json=payload)
    assert response.status_code == 400
    assert response.json()["detail"] == f"Destination {globex_destination['id']} not found"
    # The same request from the other tenant cannot reach acme's source or transform either.
    response = api.post("/pipelines", json=body(source, globex_destination), as_="mock-client-2")
    assert response.json() == {"detail": f"Source {source['id']} not found"}


def test_unknown_tag_is_400_and_known_tag_is_kept(api, parts):
    response = api.post("/pipelines", json=body(*parts, tags=[MISSING]))
    assert response.status_code == 400
    assert response.json() == {"detail": f"Tag not found: {MISSING}"}
    tag = make_tag(api)
    assert create(api, body(*parts, tags=[tag["id"]]))["tags"] == [tag["id"]]


def test_malformed_body_is_422(api, parts):
    payload = body(*parts)
    del payload["destination"]
    response = api.post("/pipelines", json=payload)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "destination"]


# ---- names ---------------------------------------------------------------------

def test_duplicate_name_is_409(api, parts):
    create(api, body(*parts))
    response = api.post("/pipelines", json=body(*parts))
    assert response.status_code == 409
    assert response.json() == {"detail": "Entity with this name already exists"}
    assert api.get("/pipelines").json()["total"] == 1


def test_name_is_free_again_after_delete_and_in_another_tenant(api, parts):
    created = create(api, body(*parts))
    assert api.delete(f"/pipelines/{created['id']}").status_code == 200
    create(api, body(*parts))
    globex = (make_source(api, as_="mock-client-2"), make_destination(api, as_="mock-client-2"))
    create(api, body(*globex), as_="mock-client-2")


# ---- update ----------------------------------------------------------------------

def test_update_replaces_everything_but_created_from(api, parts):
    source, destination, transform = parts
    tag = make_tag(api)
    created = create(api, body(source, destination, tags=[tag["id"]]))
    other_destination = make_destination(api, name="snow-2")
    payload = body(source, other_destination, transform, name="renamed", snapshot_new_tables=False,
                   created_from="ui", tags=None)
    payload["source"]["topics"] = ["public.orders"]
    response = api.put(f"/pipelines/{created['id']}?secret_returned=true&wait=false", json=payload)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["id"] == created["id"]
    assert updated["name"] == "renamed"
    assert updated["snapshot_new_tables"] is False
    assert updated["destination"]["id"] == other_destination["id"]
    assert updated["source"]["topics"] == ["public.orders"]
    assert updated["transforms"] == payload["transforms"]
    assert updated["tags"] == [tag["id"]]  # null keeps the tags
    assert updated["created_from"] == "terraform"
    assert updated["updated_timestamp"]
    assert api.get(f"/pipelines/{created['id']}").json()["result"] == [updated]


def test_update_with_empty_tags_clears_them(api, parts):
    tag = make_tag(api)
    created = create(api, body(*parts, tags=[tag["id"]]))
    response = api.put(f"/pipelines/{created['id']}", json=body(*parts, tags=[]))
    assert "tags" not in response.json()


def test_update_to_a_taken_name_is_409_and_own_name_is_fine(api, parts):
    create(api, body(*parts, name="first"))
    second = create(api, body(*parts, name="second"))
    response = api.put(f"/pipelines/{second['id']}", json=body(*parts, name="first"))
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]
    assert api.get(f"/pipelines/{second['id']}").json()["result"][0]["name"] == "second"
    assert api.put(f"/pipelines/{second['id']}", json=body(*parts, name="second")).status_code == 200


def test_update_checks_references(api, parts):
    created = create(api, body(*parts))
    payload = body(*parts)
    payload["source"]["id"] = MISSING
    response = api.put(f"/pipelines/{created['id']}", json=payload)
    assert response.status_code == 400
    assert response.json() == {"detail": f"Source {MISSING} not found"}


def test_update_of_unknown_or_foreign_pipeline_is_404(api, parts):
    response = api.put(f"/pipelines/{MISSING}", json=body(*parts))
    assert response.status_code == 404
    assert response.json() == {"detail": "Entity not found"}
    created = create(api, body(*parts))
    response = api.put(f"/pipelines/{created['id']}", json=body(*parts), as_="mock-client-2")
    assert response.status_code == 404


# ---- delete ----------------------------------------------------------------------

def test_delete_returns_json_and_the_pipeline_is_gone(api, parts):
    created = create(api, body(*parts))
    response = api.delete(f"/pipelines/{created['id']}?secret_returned=true")
    assert response.status_code == 200
    assert response.json()["id"] == created["id"]
    assert api.get(f"/pipelines/{created['id']}").json()["result"] == []
    assert api.get("/pipelines").json()["total"] == 0
    again = api.delete(f"/pipelines/{created['id']}")
    assert again.status_code == 404
    assert again.json() == {"detail": "Entity not found"}


def test_delete_of_another_tenants_pipeline_is_404(api, parts):
    created = create(api, body(*parts))
    assert api.delete(f"/pipelines/{created['id']}", as_="mock-client-2").status_code == 404
    assert api.get(f"/pipelines/{created['id']}").json()["total"] == 1


def test_delete_without_wait_stays_visible_for_the_grace_time(make_api, clock):
    api = make_api(delete_delay=5.0)
    parts = (make_source(api), make_destination(api))
    created = create(api, body(*parts))
    assert api.delete(f"/pipelines/{created['id']}?wait=false").status_code == 200
    assert api.get(f"/pipelines/{created['id']}").json()["total"] == 1
    clock.advance(6)
    assert api.get(f"/pipelines/{created['id']}").json()["total"] == 0


# ---- in use ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["sources", "destinations"])
def test_deleting_a_connector_a_pipeline_uses_is_409(api, parts, kind):
    source, destination, _ = parts
    created = create(api, body(source, destination))
    target = source if kind == "sources" else destination
    response = api.delete(f"/{kind}/{target['id']}")
    assert response.status_code == 409
    assert response.json() == {"detail": "Cannot delete: it is used by pipeline 'orders-to-snowflake'"}
    assert api.delete(f"/pipelines/{created['id']}").status_code == 200
    assert api.delete(f"/{kind}/{target['id']}").status_code == 200


def test_deleting_a_transform_only_an_auto_discovery_rule_uses_is_409(api, parts):
    # The pipeline checks these transforms exist; deleting one left it pointing at nothing.
    source, destination, _ = parts
    transform = api.post("/transforms", json={"transform": "map_filter",
                                              "config": {"transforms.name": "auto"}}).json()
    payload = body(source, destination)
    payload["topic_auto_discovery_transforms"] = [{"transform_id": transform["id"], "regex": "^public\\..*"}]
    created = create(api, payload)
    response = api.delete(f"/transforms/{transform['id']}")
    assert response.status_code == 409
    assert response.json() == {"detail": "Cannot delete: it is used by pipeline 'orders-to-snowflake'"}
    assert api.delete(f"/pipelines/{created['id']}").status_code == 200
    assert api.delete(f"/transforms/{transform['id']}").status_code == 200


# ---- listing -------------------------------------------------------------------

def test_list_pages_and_filters_by_partial_name(api, parts):
    for i in range(12):
        create(api, body(*parts, name=f"pipe-{i:02d}"))
    first = api.get("/pipelines?page=1&page_size=5").json()
    assert (first["total"], first["page"], first["page_size"]) == (12, 1, 5)
    assert [p["name"] for p in first["result"]] == [f"pipe-{i:02d}" for i in range(5)]
    last = api.get("/pipelines?page=3&page_size=5").json()
    assert [p["name"] for p in last["result"]] == ["pipe-10", "pipe-11"]
    assert api.get("/pipelines?page=4&page_size=5").json()["result"] == []
    assert len(api.get("/pipelines").json()["result"]) == 10
    found = api.get("/pipelines?partial_name=PIPE-1").json()
    assert [p["name"] for p in found["result"]] == ["pipe-10", "pipe-11"]


@pytest.mark.parametrize("query", ["page=0", "page_size=0", "page_size=101", "page=x", "wait=maybe"])
def test_list_rejects_bad_query_values(api, query):
    response = api.get(f"/pipelines?{query}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


def test_list_shows_only_the_callers_tenant(api, parts):
    create(api, body(*parts))
    assert api.get("/pipelines").json()["total"] == 1
    assert api.get("/pipelines", as_="mock-readonly").json()["total"] == 1
    assert api.get("/pipelines", as_="mock-client-2").json() == {
        "total": 0, "page_size": 10, "page": 1, "result": []
    }


# ---- auth ------------------------------------------------------------------------

def test_read_only_credential_cannot_write(api, parts):
    created = create(api, body(*parts))
    assert api.post("/pipelines", json=body(*parts, name="x"), as_="mock-readonly").status_code == 403
    assert api.put(f"/pipelines/{created['id']}", json=body(*parts), as_="mock-readonly").status_code == 403
    assert api.delete(f"/pipelines/{created['id']}", as_="mock-readonly").status_code == 403


def test_no_token_is_401(api):
    assert api.client.get("/pipelines").status_code == 401


# ---- topics a pipeline reads ---------------------------------------------------

@pytest.mark.parametrize("form", ["short", "name", "id"])
def test_a_topic_a_live_pipeline_reads_cannot_be_deleted(api, parts, form):
    source, destination, _ = parts
    users_name, users_id = source["topics"][0], source["topic_ids"][0]
    written = {"short": "public.users", "name": users_name, "id": users_id}[form]
    payload = body(source, destination)
    payload["source"]["topics"] = [written]
    pipeline = create(api, payload)
    for ref in (users_name, users_id):
        response = api.delete(f"/topics/{ref}")
        assert response.status_code == 409
        assert response.json() == {"detail": "Cannot delete: it is used by pipeline 'orders-to-snowflake'"}
    # Another topic of the source is free; so is this one once the pipeline is gone.
    assert api.delete(f"/topics/{source['topic_ids'][1]}").status_code == 200
    assert api.delete(f"/pipelines/{pipeline['id']}").status_code == 200
    assert api.delete(f"/topics/{users_id}").status_code == 200


def test_a_source_update_that_drops_a_pipelines_table_is_allowed_and_the_pipeline_keeps_the_name(api, parts):
    # Terraform updates the source before the pipeline that depends on it, so refusing
    # would make dropping a table impossible in one apply; the pipeline's next write
    # must then leave the dropped table out.
    source, destination, _ = parts
    pipeline = create(api, body(source, destination))
    config = {**PG_SOURCE_CONFIG, "table.include.list.user.defined": "public.orders",
              "slot.name": "slot_pg", "publication.name": "pub_pg"}
    response = api.put(f"/sources/{source['id']}", json={"name": "pg", "connector": "postgresql", "config": config})
    assert response.status_code == 200, response.text
    read = api.get(f"/pipelines/{pipeline['id']}").json()["result"][0]
    assert read["source"]["topics"] == ["public.users"]
    as_read = {k: read[k] for k in ("name", "snapshot_new_tables", "source", "destination", "transforms",
                                    "topic_auto_discovery_transforms")}
    stale = api.put(f"/pipelines/{pipeline['id']}", json=as_read)
    assert stale.status_code == 400 and "public.users" in stale.json()["detail"]
    as_read["source"] = {**as_read["source"], "topics": ["public.orders"]}
    assert api.put(f"/pipelines/{pipeline['id']}", json=as_read).status_code == 200
