"""/tags: system and custom tags, filters, the rules of change, and tags on entities."""

from __future__ import annotations


import pytest

from tests.conftest import PG_SOURCE_CONFIG

# Production and Development carry the real system tag ids the provider hard-codes.
PRODUCTION, STAGING, DEVELOPMENT = "670e5bab0d119c0d1f8cda9d", "6650a1f0c0ffee00000000a2", "670e5ca40afe1d3983ce0c22"
SYSTEM_IDS = {PRODUCTION, STAGING, DEVELOPMENT}
MISSING = "0123456789abcdef01234567"


def create_tag(api, name="team-data", types=("sources",), as_="mock-client", **extra):
    response = api.post("/tags", as_=as_, json={"name": name, "type": list(types), **extra})
    assert response.status_code == 200, response.text
    return response.json()


def names(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {t["name"] for t in response.json()["tags"]}


def create_source(api, tags=None, name="pg"):
    return api.post("/sources", json={"name": name, "connector": "postgresql", "config": PG_SOURCE_CONFIG,
                                      "created_from": "terraform", "tags": tags})


def test_system_tags_are_seeded_and_shared_by_every_tenant(api):
    for who in ("mock-client", "mock-client-2"):
        response = api.get("/tags", as_=who)
        assert response.status_code == 200
        tags = response.json()["tags"]
        assert {t["id"] for t in tags} == SYSTEM_IDS
        production = next(t for t in tags if t["id"] == PRODUCTION)
        assert production == {
            "id": PRODUCTION, "name": "Production", "description": "Production workloads",
            "type": ["environment", "sources", "destinations", "transforms", "pipelines", "topics"],
            "system": True, "custom": False,
        }


def test_seeding_is_idempotent_across_restarts(make_api):
    make_api()
    again = make_api()  # same db file
    records = again.backend.repo.find("tags", lambda t: t.get("system"))
    assert sorted(r["id"] for r in records) == sorted(SYSTEM_IDS)


def test_a_system_tag_stored_by_an_older_build_takes_the_fixtures_types(make_api):
    api = make_api()
    old = api.backend.repo.get("tags", PRODUCTION)
    api.backend.repo.replace("tags", {**old, "type": ["sources"]})
    again = make_api()  # same db file, seeded again
    assert "environment" in next(t for t in again.get("/tags").json()["tags"] if t["id"] == PRODUCTION)["type"]


ALL_TYPES = ["environment", "general", "sources", "destinations", "pipelines", "transforms", "topics",
             "services", "users", "tenant"]


@pytest.mark.parametrize("tag_type", ALL_TYPES)
def test_every_backend_tag_type_in_create_update_filters_and_search(api, tag_type):
    created = api.post("/tags", json={"name": "t", "type": [tag_type]})
    assert created.status_code == 200, created.text
    assert created.json()["type"] == [tag_type]
    other = "tenant" if tag_type != "tenant" else "users"
    updated = api.put(f"/tags/{created.json()['id']}", json={"name": "t", "type": [tag_type, other]})
    assert updated.json()["type"] == [tag_type, other]
    listed = {t["name"] for t in api.get(f"/tags?tag_type={tag_type}").json()["tags"]}
    searched = {t["name"] for t in api.post("/tags/search", json={"tag_type": tag_type}).json()["tags"]}
    assert "t" in listed and listed == searched


def test_environment_filter_finds_the_system_environment_tags(api):
    found = api.get("/tags?tag_type=environment").json()["tags"]
    assert {t["id"] for t in found} == SYSTEM_IDS


def test_create_returns_the_tag_and_keeps_it(api):
    tag = create_tag(api, "team-data", ["sources", "pipelines"], description="Data team", created_from="terraform")
    assert len(tag["id"]) == 24
    assert tag == {"id": tag["id"], "name": "team-data", "description": "Data team",
                   "type": ["sources", "pipelines"], "system": False, "custom": True}
    assert api.get("/tags", params={"tag_ids": tag["id"]}).json() == {"tags": [tag]}
    stored = api.backend.repo.get("tags", tag["id"])
    assert stored["created_from"] == "terraform"
    assert stored["tenant_id"] == "tenant-acme" and stored["service_id"] == "service-acme-prod"


def test_description_defaults_to_empty(api):
    assert create_tag(api)["description"] == ""


def test_filters_by_ids_name_and_type(api):
    data = create_tag(api, "team-data", ["sources"])
    create_tag(api, "team-ops", ["pipelines"])
    assert names(api.get(f"/tags?tag_ids={data['id']}&tag_ids={PRODUCTION}")) == {"team-data", "Production"}
    assert names(api.get("/tags", params={"tag_ids": f"{data['id']},{STAGING}"})) == {"team-data", "Staging"}
    assert names(api.get("/tags", params={"tag_name": "TEAM"})) == {"team-data", "team-ops"}
    assert names(api.get("/tags", params={"tag_name": "team", "tag_type": "pipelines"})) == {"team-ops"}
    assert names(api.get("/tags", params={"tag_ids": MISSING})) == set()
    # Several types: tags of any of them (the backend's default tag_logic "or"), as the 3.x data source asks.
    assert names(api.get("/tags", params=[("tag_name", "team"), ("tag_type", "pipelines"),
                                         ("tag_type", "sources")])) == {"team-data", "team-ops"}
    bad = api.get("/tags", params=[("tag_type", "sources"), ("tag_type", "connectors")])
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "tag_type"]


def test_unknown_tag_type_filter_is_422(api):
    response = api.get("/tags", params={"tag_type": "connectors"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "tag_type"]


def test_search_body_wins_over_query(api):
    data = create_tag(api, "team-data", ["sources"])
    create_tag(api, "team-ops", ["pipelines"])
    response = api.post("/tags/search?tag_name=ops", json={"tag_ids": [data["id"]], "tag_name": "data"})
    assert names(response) == {"team-data"}
    # A filter absent from the body comes from the query string.
    response = api.post("/tags/search?tag_type=pipelines", json={"tag_name": "team"})
    assert names(response) == {"team-ops"}
    assert names(api.post("/tags/search", json={})) == {"team-data", "team-ops"} | {"Production", "Staging", "Development"}


def test_search_validates_its_body(api):
    response = api.post("/tags/search", json={"tag_type": "nope"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", "tag_type"]


def test_duplicate_name_is_409(api):
    create_tag(api, "team-data")
    response = api.post("/tags", json={"name": "team-data", "type": ["sources"]})
    assert response.status_code == 409
    assert response.json()["detail"] == "Entity with this name already exists"
    assert [t["name"] for t in api.get("/tags").json()["tags"] if not t["system"]] == ["team-data"]
    # A system tag's name is taken as well.
    response = api.post("/tags", json={"name": "Production", "type": ["sources"]})
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


def test_same_name_in_another_tenant_is_fine(api):
    create_tag(api, "team-data")
    create_tag(api, "team-data", as_="mock-client-2")


def test_name_is_free_again_after_delete(api):
    tag = create_tag(api, "team-data")
    assert api.delete(f"/tags/{tag['id']}").status_code == 200
    create_tag(api, "team-data")


@pytest.mark.parametrize("body, where", [
    ({"name": "x", "type": ["connectors"]}, ["body", "type", 0]),
    ({"name": "x", "type": []}, ["body", "type"]),
    ({"name": "", "type": ["sources"]}, ["body", "name"]),
    ({"type": ["sources"]}, ["body", "name"]),
])
def test_invalid_bodies_are_422(api, body, where):
    response = api.post("/tags", json=body)
    assert response.status_code == 422
    assert [issue["loc"] for issue in response.json()["detail"]] == [where]


def test_update_replaces_fields_but_not_created_from(api):
    tag = create_tag(api, "team-data", created_from="terraform")
    response = api.put(f"/tags/{tag['id']}", json={"name": "team-analytics", "description": "renamed",
                                                   "type": ["destinations"], "created_from": "ui"})
    assert response.status_code == 200
    assert response.json() == {"id": tag["id"], "name": "team-analytics", "description": "renamed",
                               "type": ["destinations"], "system": False, "custom": True}
    assert names(api.get("/tags", params={"tag_ids": tag["id"]})) == {"team-analytics"}
    assert api.backend.repo.get("tags", tag["id"])["created_from"] == "terraform"


def test_update_to_a_taken_name_is_409_and_to_its_own_name_is_fine(api):
    tag = create_tag(api, "team-data")
    create_tag(api, "team-ops")
    response = api.put(f"/tags/{tag['id']}", json={"name": "team-ops", "type": ["sources"]})
    assert response.status_code == 409
    assert response.json()["detail"] == "Entity with this name already exists"
    assert api.put(f"/tags/{tag['id']}", json={"name": "team-data", "type": ["topics"]}).status_code == 200


@pytest.mark.parametrize("method", ["put", "delete"])
def test_unknown_or_foreign_tag_is_404(api, method):
    foreign = create_tag(api, "theirs", as_="mock-client-2")
    body = {"json": {"name": "x", "type": ["sources"]}} if method == "put" else {}
    for tag_id in (MISSING, foreign["id"]):
        response = getattr(api, method)(f"/tags/{tag_id}", **body)
        assert response.status_code == 404
        assert response.json()["detail"] == "Entity not found"
    assert names(api.get("/tags", as_="mock-client-2", params={"tag_ids": foreign["id"]})) == {"theirs"}


def test_malformed_tag_id_is_404(api):
    response = api.delete("/tags/not-an-id")
    assert (response.status_code, response.json()) == (404, {"detail": "Entity not found"})


def test_system_tags_cannot_change_or_go(api):
    response = api.put(f"/tags/{PRODUCTION}", json={"name": "prod", "type": ["sources"]})
    assert response.status_code == 403
    assert response.json()["detail"] == "Tag 'Production' is a system tag and cannot be changed"
    response = api.delete(f"/tags/{PRODUCTION}")
    assert response.status_code == 403
    assert response.json()["detail"] == "Tag 'Production' is a system tag and cannot be deleted"
    assert names(api.get("/tags", params={"tag_ids": PRODUCTION})) == {"Production"}


def test_tenants_do_not_see_each_others_tags(api):
    ours = create_tag(api, "ours")
    theirs = create_tag(api, "theirs", as_="mock-client-2")
    assert names(api.get("/tags")) == {"ours", "Production", "Staging", "Development"}
    assert names(api.get("/tags", params={"tag_ids": theirs["id"]})) == set()
    assert names(api.get("/tags", as_="mock-client-2", params={"tag_ids": ours["id"]})) == set()


def test_delete_returns_the_tag_and_hides_it(api):
    tag = create_tag(api)
    response = api.delete(f"/tags/{tag['id']}")
    assert response.status_code == 200
    assert response.json()["id"] == tag["id"]
    assert names(api.get("/tags", params={"tag_ids": tag["id"]})) == set()
    assert api.delete(f"/tags/{tag['id']}").status_code == 404
    assert api.backend.repo.get("tags", tag["id"])["deleted"] is True  # soft delete


def test_read_only_credentials_read_but_cannot_write(api):
    tag = create_tag(api)
    assert names(api.get("/tags", as_="mock-readonly")) >= {"team-data"}
    before = api.get("/tags").json()
    assert names(api.post("/tags/search", as_="mock-readonly", json={})) >= {"team-data"}
    for response in (
        api.post("/tags", as_="mock-readonly", json={"name": "x", "type": ["sources"]}),
        api.put(f"/tags/{tag['id']}", as_="mock-readonly", json={"name": "x", "type": ["sources"]}),
        api.delete(f"/tags/{tag['id']}", as_="mock-readonly"),
    ):
        assert response.status_code == 403
        assert response.json()["detail"] == "The credential 'mock-readonly' lacks the 'write' permission"
    assert api.get("/tags").json() == before


def test_no_token_is_401(api):
    assert api.client.get("/tags").status_code == 401
    assert api.client.post("/tags", json={"name": "x", "type": ["sources"]}).status_code == 401


# ---- tags on entities -----------------------------------------------------------

def test_source_carries_custom_and_system_tags(api):
    tag = create_tag(api)
    response = create_source(api, tags=[tag["id"], PRODUCTION])
    assert response.status_code == 200, response.text
    source = response.json()
    assert source["tags"] == [tag["id"], PRODUCTION]
    assert api.get(f"/sources/{source['id']}").json()["result"][0]["tags"] == [tag["id"], PRODUCTION]


def test_unknown_or_foreign_tag_on_a_source_is_400(api):
    foreign = create_tag(api, "theirs", as_="mock-client-2")
    response = create_source(api, tags=[MISSING, foreign["id"]])
    assert response.status_code == 400
    assert response.json()["detail"] == f"Tag not found: {MISSING}, {foreign['id']}"


def test_deleted_tag_cannot_be_used(api):
    tag = create_tag(api)
    api.ok("DELETE", f"/tags/{tag['id']}")
    response = create_source(api, tags=[tag["id"]])
    assert response.status_code == 400
    assert response.json()["detail"] == f"Tag not found: {tag['id']}"


def test_source_update_null_tags_keep_empty_list_clears(api):
    tag = create_tag(api)
    source = create_source(api, tags=[tag["id"]]).json()
    body = {"name": "pg", "connector": "postgresql", "config": PG_SOURCE_CONFIG}
    kept = api.put(f"/sources/{source['id']}", json={**body, "tags": None})
    assert kept.status_code == 200, kept.text
    assert kept.json()["tags"] == [tag["id"]]
    assert api.put(f"/sources/{source['id']}", json=body).json()["tags"] == [tag["id"]]
    cleared = api.put(f"/sources/{source['id']}", json={**body, "tags": []})
    assert "tags" not in cleared.json()
    assert "tags" not in api.get(f"/sources/{source['id']}").json()["result"][0]


def test_deleting_a_tag_removes_it_from_every_entity(api):
    tag = create_tag(api)
    other = create_tag(api, "keep-me")
    source = create_source(api, tags=[tag["id"], other["id"], PRODUCTION]).json()
    topic_id = source["topic_ids"][0]
    repo = api.backend.repo
    repo.replace("topics", {**repo.get("topics", topic_id), "tags": [tag["id"]]})
    assert api.delete(f"/tags/{tag['id']}").status_code == 200
    assert api.get(f"/sources/{source['id']}").json()["result"][0]["tags"] == [other["id"], PRODUCTION]
    assert repo.get("topics", topic_id)["tags"] == []
    # The change is persisted, not only served.
    on_disk = api.on_disk()
    stored = next(r for r in on_disk["sources"].values() if r["id"] == source["id"])
    assert stored["tags"] == [other["id"], PRODUCTION]
