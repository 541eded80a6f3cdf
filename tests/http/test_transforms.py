"""The /transforms API as the 3.x Terraform provider and other clients use it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PG_SOURCE_CONFIG, make_source

# The plugin files list the fields the provider maps (generated from the provider's resources).
PLUGINS = Path(__file__).resolve().parents[2] / "fixtures" / "plugins" / "transforms"
TYPES = ["enrich", "enrich_async", "fan_out", "map_filter", "rollup", "sql_join", "topic_router"]
PREVIEW = {t: t != "topic_router" for t in TYPES}  # topic_router is deployed live only


def _fields(transform_type: str) -> list[dict]:
    """The user-defined fields of a type, besides the name: {name, integer, choices, min, max}."""
    plugin = json.loads((PLUGINS / transform_type / "configuration.latest.json").read_text())
    return [
        {"name": f["name"], "integer": f["value"]["control"] in ("slider", "number"),
         "choices": f["value"].get("raw_values"), "min": f["value"].get("min"), "max": f["value"].get("max")}
        for f in plugin["config"] if f["user_defined"] and f["name"] != "transforms.name"
    ]


def provider_config(transform_type: str, name: str, variant: int = 0) -> dict:
    """Every mapped key with a value other than its default (``variant`` picks another set)."""
    config: dict = {"transforms.name": name}
    for field in _fields(transform_type):
        if field["integer"]:
            low = field["min"] if field["min"] is not None else 1
            high = field["max"] if field["max"] is not None else low + 100
            config[field["name"]] = min(high, low + 1 + variant)
        elif field["choices"]:
            choices = field["choices"]
            config[field["name"]] = choices[(len(choices) - 1 + variant) % len(choices)]
        else:
            config[field["name"]] = f"{field['name']}-value-{variant}"
    return config


def create(api, transform_type="map_filter", name="t1", as_="mock-client", **extra):
    body = {"transform": transform_type, "config": provider_config(transform_type, name),
            "created_from": "terraform", "tags": None, **extra}
    return api.post("/transforms?secret_returned=true", json=body, as_=as_)


# What the backend adds to a stored implementation: server-side defaults and null fields.
ADDED_TO_IMPLEMENTATIONS = {
    "map_filter": {"key_transform": None, "topic_transform": None},
    "enrich_async": {"key_transform": None, "topic_transform": None},
    "fan_out": {"key_transform": None},
    "rollup": {"sourceIdleTimeoutMs": 30000, "stateTTLMs": 86400000},
}


def as_stored(implementation: dict, transform_type: str = "map_filter") -> dict:
    return {**ADDED_TO_IMPLEMENTATIONS.get(transform_type, {}), **implementation}


def created(api, *args, **kw) -> dict:
    response = create(api, *args, **kw)
    assert response.status_code == 200, response.text
    return response.json()


def read(api, transform_id, as_="mock-client") -> list[dict]:
    response = api.get(f"/transforms/{transform_id}?secret_returned=true&unwind_topics=false", as_=as_)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def update_body(transform_id, transform_type="map_filter", name="t1", **extra) -> dict:
    return {"id": transform_id, "transform": transform_type,
            "config": provider_config(transform_type, name, variant=1), "tags": None, **extra}


def insert_pipeline(api, transform_id, name="orders-pipeline", tenant="tenant-acme", service="service-acme-prod"):
    api.backend.repo.insert("pipelines", {
        "id": "p" * 24, "name": name, "tenant_id": tenant, "service_id": service, "deleted": False,
        "source": {"id": "s" * 24}, "destination": {"id": "d" * 24}, "transforms": [{"id": transform_id}],
    })


def insert_tag(api, tag_id="a" * 24, tenant="tenant-acme", service="service-acme-prod"):
    api.backend.repo.insert("tags", {"id": tag_id, "name": "team", "system": False,
                                     "tenant_id": tenant, "service_id": service, "deleted": False})
    return tag_id


# ---- the provider's whole lifecycle, per type -------------------------------------

@pytest.mark.parametrize("transform_type", TYPES)
def test_provider_lifecycle(api, transform_type):
    config = provider_config(transform_type, "lifecycle")
    response = api.post("/transforms?secret_returned=true", json={
        "transform": transform_type, "config": config, "created_from": "terraform", "tags": None})
    assert response.status_code == 200, response.text
    entity = response.json()
    tid = entity["id"]
    assert len(tid) == 24 and entity["name"] == "lifecycle" and entity["transform_type"] == transform_type
    assert "tags" not in entity and entity["implementation"] is None and entity["version"] == 0
    assert entity["status"] == "NOT_DEPLOYED" and entity["start_time"] is None
    assert {k: entity["config"][k] for k in config} == config

    [stored] = read(api, tid)
    assert {k: stored["config"][k] for k in config} == config
    assert stored["created_from"] == "terraform"

    new_config = provider_config(transform_type, "lifecycle", variant=1)
    body = {"id": tid, "transform": transform_type, "config": new_config, "tags": None}
    if stored["implementation"]:
        body["implementation"] = stored["implementation"]
    response = api.put("/transforms?secret_returned=true", json=body)
    assert response.status_code == 200, response.text
    assert {k: response.json()["config"][k] for k in new_config} == new_config
    assert response.json()["created_from"] == "terraform"

    implementation = {"value_transform": "function f(v) { return v; }", "language": "JavaScript"}
    response = api.put(f"/transforms/{tid}/implementation_details",
                       json={"transform_id": tid, "implementation": implementation})
    assert response.status_code == 200, response.text
    assert response.json()["implementation"] == as_stored(implementation, transform_type)

    if PREVIEW[transform_type]:
        response = api.put(f"/transforms/{tid}/deploy-job-preview/no-version?replay_window=7d")
        assert response.status_code == 200, response.text
        assert response.json() == {"transform_id": tid, "job_name": f"transform-{tid}-preview", "job_type": "preview",
                                   "version_id": "1", "replay_window": "7d", "status": "RUNNING"}
    response = api.put(f"/transforms/{tid}/deploy-job-live/no-version")
    assert response.status_code == 200, response.text
    assert response.json() == {"transform_id": tid, "job_name": f"transform-{tid}-live", "job_type": "live",
                               "version_id": "1", "replay_window": None, "status": "RUNNING"}

    assert "replay_window" not in read(api, tid)[0]  # a deploy parameter the backend never echoes on reads
    job = api.get(f"/transforms/{tid}/job_status")
    assert job.status_code == 200
    assert job.json()["id"] == tid and job.json()["status"] == "RUNNING"
    assert job.json()["job_name"] and job.json()["start_time"]

    [stored] = read(api, tid)
    assert {k: stored["config"][k] for k in new_config} == new_config
    assert stored["implementation"] == as_stored(implementation, transform_type) and stored["version"] == 1
    assert stored["status"] == "RUNNING"

    response = api.delete(f"/transforms?id={tid}")
    assert response.status_code == 200 and response.json()["id"] == tid
    assert read(api, tid) == []


# ---- create ----------------------------------------------------------------------

def test_create_fills_defaults_and_keeps_created_from(api):
    response = api.post("/transforms", json={"transform": "rollup", "config": {"transforms.name": "r"},
                                             "created_from": "ui"})
    assert response.status_code == 200
    body = response.json()
    assert body["config"]["transforms.input.job.parallelism"] == 5
    assert body["config"]["transforms.input.serialization.format"] == "Any"
    assert body["created_from"] == "ui" and body["topic_ids"] == [] and body["topics"] == []
    assert body["created_at"] == body["updated_at"]


def test_create_unknown_type_is_400(api):
    response = api.post("/transforms", json={"transform": "teleport", "config": {"transforms.name": "x"}})
    assert response.status_code == 400
    assert "Unknown transform type 'teleport'" in response.json()["detail"]
    assert "map_filter" in response.json()["detail"]


def test_create_without_name_is_400(api):
    response = api.post("/transforms", json={"transform": "map_filter", "config": {}})
    assert response.status_code == 400
    assert response.json()["detail"] == "Missing required config: transforms.name"


def test_create_with_blank_name_is_400(api):
    response = api.post("/transforms", json={"transform": "map_filter", "config": {"transforms.name": "  "}})
    assert response.status_code == 400
    assert "transforms.name" in response.json()["detail"]


def test_create_topic_router_needs_its_topic_patterns(api):
    response = api.post("/transforms", json={"transform": "topic_router", "config": {"transforms.name": "r"}})
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Missing required config: transforms.input.topic.pattern, transforms.output.topic.pattern")


def test_create_out_of_range_value_is_400(api):
    config = {"transforms.name": "x", "transforms.async.capacity": 51}
    response = api.post("/transforms", json={"transform": "enrich_async", "config": config})
    assert response.status_code == 400
    assert "transforms.async.capacity" in response.json()["detail"]


def test_create_body_without_config_is_422(api):
    response = api.post("/transforms", json={"transform": "map_filter"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "config"]


def test_duplicate_name_is_409_until_the_first_is_deleted(api):
    first = created(api, name="dup")
    response = create(api, "rollup", name="dup")
    assert response.status_code == 409
    assert response.json()["detail"] == "Entity with this name already exists"
    assert api.get("/transforms").json()["total"] == 1
    assert api.delete(f"/transforms/{first['id']}").status_code == 200
    assert create(api, "rollup", name="dup").status_code == 200


def test_same_name_in_another_tenant_is_fine(api):
    created(api, name="shared")
    assert create(api, name="shared", as_="mock-client-2").status_code == 200


def test_create_checks_tag_ids(api):
    response = create(api, tags=["f" * 24])
    assert response.status_code == 400
    assert response.json()["detail"] == f"Tag not found: {'f' * 24}"
    tag = insert_tag(api)
    assert created(api, tags=[tag])["tags"] == [tag]


def test_writes_need_write_permission_and_a_token(api):
    response = create(api, as_="mock-readonly")
    assert response.status_code == 403
    assert api.client.get("/transforms").status_code == 401


# ---- read and list --------------------------------------------------------------

def test_get_missing_or_other_tenant_is_an_empty_envelope(api):
    tid = created(api)["id"]
    assert api.get(f"/transforms/{'0' * 24}").json() == {"total": 0, "page_size": 10, "page": 1, "result": []}
    assert read(api, tid, as_="mock-client-2") == []
    assert read(api, tid, as_="mock-readonly")[0]["id"] == tid


@pytest.mark.parametrize("path", ["/transforms/not-an-id", "/transforms/not-an-id/job_status",
                                  "/transforms/not-an-id/implementation_details"])
def test_a_malformed_id_in_the_path_is_404(api, path):
    response = api.get(path)
    assert (response.status_code, response.json()) == (404, {"detail": "Entity not found"})


def test_get_rejects_a_non_boolean_unwind_topics(api):
    tid = created(api)["id"]
    response = api.get(f"/transforms/{tid}?unwind_topics=maybe")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "unwind_topics"]
    assert api.get(f"/transforms/{tid}?unwind_topics=true").json()["result"][0]["topics"] == []


def test_list_pages_and_filters(api):
    ids = [created(api, name=f"t-{i:02d}")["id"] for i in range(12)]
    created(api, name="other", as_="mock-client-2")
    first = api.get("/transforms").json()
    assert (first["total"], first["page"], first["page_size"]) == (12, 1, 10)
    assert [t["id"] for t in first["result"]] == ids[:10]
    second = api.get("/transforms?page=2&page_size=10").json()
    assert [t["id"] for t in second["result"]] == ids[10:]
    assert api.get("/transforms?page=3").json()["result"] == []
    assert [t["id"] for t in api.get("/transforms?page_size=100").json()["result"]] == ids
    found = api.get("/transforms?partial_name=T-1").json()
    assert found["total"] == 2 and {t["name"] for t in found["result"]} == {"t-10", "t-11"}


@pytest.mark.parametrize("query, name", [("page=0", "page"), ("page_size=0", "page_size"),
                                         ("page_size=101", "page_size"), ("page=x", "page")])
def test_list_paging_out_of_range_is_422(api, query, name):
    response = api.get(f"/transforms?{query}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", name]


# ---- update ---------------------------------------------------------------------

def test_update_by_path_works_too(api):
    tid = created(api)["id"]
    response = api.put(f"/transforms/{tid}", json={"transform": "map_filter", "config": {"transforms.name": "renamed"}})
    assert response.status_code == 200
    assert read(api, tid)[0]["name"] == "renamed"


def test_update_by_path_with_another_id_in_the_body_is_400(api):
    tid = created(api)["id"]
    response = api.put(f"/transforms/{tid}", json=update_body("b" * 24))
    assert response.status_code == 400
    assert response.json()["detail"] == f"id '{'b' * 24}' in the body does not match '{tid}' in the path"


@pytest.mark.parametrize("path", ["/transforms", "/transforms/{id}"])
def test_update_unknown_or_foreign_id_is_404(api, path):
    foreign = created(api, as_="mock-client-2")["id"]
    for tid in ("0" * 24, foreign):
        response = api.put(path.format(id=tid), json=update_body(tid))
        assert response.status_code == 404
        assert response.json() == {"detail": "Entity not found"}
    assert read(api, foreign, as_="mock-client-2")[0]["name"] == "t1"


def test_update_by_body_without_id_is_422(api):
    response = api.put("/transforms", json={"transform": "map_filter", "config": {"transforms.name": "x"}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "id"]


def test_update_cannot_change_the_type(api):
    tid = created(api)["id"]
    response = api.put("/transforms", json=update_body(tid, transform_type="rollup"))
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "The type of an existing transform cannot change (it is 'map_filter', the request says 'rollup')")


def test_update_to_a_taken_name_is_409(api):
    created(api, name="one")
    tid = created(api, name="two")["id"]
    response = api.put("/transforms", json=update_body(tid, name="one"))
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]
    assert api.put("/transforms", json=update_body(tid, name="two")).status_code == 200


def test_update_tags_null_keeps_and_empty_clears(api):
    tag = insert_tag(api)
    tid = created(api, tags=[tag])["id"]
    assert api.put("/transforms", json=update_body(tid)).json()["tags"] == [tag]
    body = update_body(tid)
    del body["tags"]
    assert api.put("/transforms", json=body).json()["tags"] == [tag]
    assert "tags" not in api.put("/transforms", json=update_body(tid, tags=[])).json()
    assert "tags" not in read(api, tid)[0]
    response = api.put("/transforms", json=update_body(tid, tags=["e" * 24]))
    assert response.status_code == 400 and "Tag not found" in response.json()["detail"]


def test_update_keeps_created_from_and_moves_updated_at(api, clock):
    tid = created(api)["id"]
    clock.advance(60)
    body = api.put("/transforms", json=update_body(tid)).json()
    assert body["created_from"] == "terraform"
    assert body["updated_at"] > body["created_at"]


def test_update_resending_the_implementation_keeps_it_and_omitting_it_clears_it(api):
    tid = created(api)["id"]
    api.ok("PUT", f"/transforms/{tid}/implementation_details", json={"implementation": {"code": "x"}})
    kept = api.put("/transforms", json=update_body(tid, implementation={"code": "x"})).json()
    assert kept["implementation"] == as_stored({"code": "x"}) and kept["version"] == 1
    cleared = api.put("/transforms", json=update_body(tid)).json()
    assert cleared["implementation"] is None and cleared["version"] == 2
    changed = api.put("/transforms", json=update_body(tid, implementation={"code": "y"})).json()
    assert changed["implementation"] == as_stored({"code": "y"}) and changed["version"] == 3


# ---- delete ---------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/transforms?id={id}", "/transforms/{id}"])
def test_delete_returns_the_entity_then_it_is_gone(api, path):
    tid = created(api)["id"]
    response = api.delete(path.format(id=tid))
    assert response.status_code == 200 and response.json()["id"] == tid
    assert read(api, tid) == [] and api.get("/transforms").json()["total"] == 0
    again = api.delete(path.format(id=tid))
    assert again.status_code == 404 and again.json() == {"detail": "Entity not found"}


def test_delete_unknown_or_foreign_id_is_404(api):
    foreign = created(api, as_="mock-client-2")["id"]
    for tid in ("0" * 24, foreign):
        response = api.delete(f"/transforms?id={tid}")
        assert response.status_code == 404 and response.json() == {"detail": "Entity not found"}
    assert read(api, foreign, as_="mock-client-2") != []


def test_delete_without_or_with_a_bad_id_is_422(api):
    response = api.delete("/transforms")
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["query", "id"], "msg": "Field required", "type": "missing"}]
    assert api.delete("/transforms?id=nope").status_code == 422


def test_delete_of_a_transform_a_pipeline_uses_is_409(api):
    tid = created(api)["id"]
    insert_pipeline(api, tid)
    response = api.delete(f"/transforms?id={tid}")
    assert response.status_code == 409
    assert response.json()["detail"] == "Cannot delete: it is used by pipeline 'orders-pipeline'"
    assert read(api, tid) != []


def test_delete_stops_a_running_job(api):
    tid = created(api)["id"]
    api.ok("PUT", f"/transforms/{tid}/deploy-job-live/no-version")
    body = api.delete(f"/transforms/{tid}").json()
    assert body["status"] == "STOPPED"


def test_delete_without_wait_stays_visible_for_the_grace_time(make_api, clock):
    api = make_api(delete_delay=30)
    tid = created(api)["id"]
    assert api.delete(f"/transforms?id={tid}&wait=false").status_code == 200
    assert read(api, tid)[0]["id"] == tid
    put = api.put("/transforms", json=update_body(tid))
    assert put.status_code == 404  # a deleted transform cannot change in its grace time
    assert api.delete(f"/transforms?id={tid}").status_code == 404
    clock.advance(31)
    assert read(api, tid) == []


# ---- implementation details -----------------------------------------------------

def test_implementation_versions_accumulate(api):
    tid = created(api)["id"]
    assert api.get(f"/transforms/{tid}/implementation_details").json() == {"transform_id": tid, "impl_versions": {}}
    first = api.put(f"/transforms/{tid}/implementation_details", json={"implementation": {"v": 1}}).json()
    assert first == {"transform_id": tid, "version_id": "1", "description": None,
                     "implementation": as_stored({"v": 1}), "config": None}
    second = api.put(f"/transforms/{tid}/implementation_details", json={
        "transform_id": tid, "implementation": {"v": 2}, "description": "faster", "config": {"k": "v"}}).json()
    assert second["version_id"] == "2" and second["description"] == "faster" and second["config"] == {"k": "v"}
    details = api.get(f"/transforms/{tid}/implementation_details").json()
    assert set(details["impl_versions"]) == {"1", "2"}
    assert details["impl_versions"]["1"]["implementation"] == as_stored({"v": 1})
    [stored] = read(api, tid)
    assert stored["implementation"] == as_stored({"v": 2}) and stored["version"] == 2


def test_implementation_with_an_explicit_version_id_replaces_it(api):
    tid = created(api)["id"]
    api.ok("PUT", f"/transforms/{tid}/implementation_details", json={"implementation": {"v": 1}})
    api.ok("PUT", f"/transforms/{tid}/implementation_details", json={"implementation": {"v": 2}})
    body = api.put(f"/transforms/{tid}/implementation_details", json={"implementation": {"v": 9}, "version_id": "1"}).json()
    assert body["version_id"] == "1"
    details = api.get(f"/transforms/{tid}/implementation_details").json()["impl_versions"]
    assert details["1"]["implementation"] == as_stored({"v": 9}) and details["2"]["implementation"] == as_stored({"v": 2})
    assert read(api, tid)[0]["version"] == 1


def test_implementation_errors(api):
    tid = created(api)["id"]
    missing = api.put(f"/transforms/{'0' * 24}/implementation_details", json={"implementation": {}})
    assert missing.status_code == 404 and missing.json() == {"detail": "Entity not found"}
    assert api.get(f"/transforms/{'0' * 24}/implementation_details").status_code == 404
    other = api.put(f"/transforms/{tid}/implementation_details", json={"transform_id": "c" * 24, "implementation": {}})
    assert other.status_code == 400
    assert other.json()["detail"] == f"transform_id '{'c' * 24}' in the body does not match '{tid}' in the path"
    bad_version = api.put(f"/transforms/{tid}/implementation_details", json={"implementation": {}, "version_id": "v2"})
    assert bad_version.status_code == 400
    assert bad_version.json()["detail"] == "version_id must be a positive integer of at most 18 digits, got 'v2'"
    no_impl = api.put(f"/transforms/{tid}/implementation_details", json={"transform_id": tid})
    assert no_impl.status_code == 422 and no_impl.json()["detail"][0]["loc"] == ["body", "implementation"]
    foreign = api.get(f"/transforms/{tid}/implementation_details", as_="mock-client-2")
    assert foreign.status_code == 404
    assert api.put(f"/transforms/{tid}/implementation_details", json={"implementation": {}},
                   as_="mock-readonly").status_code == 403


# ---- deploys and job status -----------------------------------------------------

def test_job_status_of_a_never_deployed_transform_is_job_not_found(api):
    tid = created(api)["id"]
    response = api.get(f"/transforms/{tid}/job_status")
    # 400, not 404: the backend's handler turns every miss of this endpoint into a 400.
    assert response.status_code == 400 and response.json() == {"detail": "Job not found"}
    missing = api.get(f"/transforms/{'0' * 24}/job_status")
    assert missing.status_code == 400 and missing.json() == {"detail": "Transform not found"}


def test_deploy_preview_then_live(api):
    tid = created(api)["id"]
    preview = api.put(f"/transforms/{tid}/deploy-job-preview/no-version?replay_window=24h").json()
    assert preview["job_type"] == "preview" and preview["replay_window"] == "24h" and preview["version_id"] == "0"
    assert api.get(f"/transforms/{tid}/job_status").json()["job_name"] == preview["job_name"]
    live = api.put(f"/transforms/{tid}/deploy-job-live/no-version").json()
    assert live["job_type"] == "live" and live["status"] == "RUNNING"
    assert api.get(f"/transforms/{tid}/job_status").json()["job_name"] == live["job_name"] != preview["job_name"]


@pytest.mark.parametrize("window", ["7", "7w", "d", "1.5h", "0", ""])
def test_deploy_preview_rejects_a_bad_replay_window(api, window):
    tid = created(api)["id"]
    response = api.put(f"/transforms/{tid}/deploy-job-preview/no-version?replay_window={window}")
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"Invalid replay_window '{window}'")
    assert api.get(f"/transforms/{tid}/job_status").status_code == 400


@pytest.mark.parametrize("window", ["7d", "3d", "24h", "10m", "30s"])
def test_deploy_preview_accepts_replay_windows(api, window):
    tid = created(api)["id"]
    assert api.put(f"/transforms/{tid}/deploy-job-preview/no-version?replay_window={window}").status_code == 200


def test_deploy_a_named_version(api):
    tid = created(api)["id"]
    api.ok("PUT", f"/transforms/{tid}/implementation_details", json={"implementation": {"v": 1}})
    api.ok("PUT", f"/transforms/{tid}/implementation_details", json={"implementation": {"v": 2}})
    assert api.put(f"/transforms/{tid}/deploy-job-live/1").json()["version_id"] == "1"
    assert api.put(f"/transforms/{tid}/deploy-job-live/no-version").json()["version_id"] == "2"
    assert api.put(f"/transforms/{tid}/deploy-job-live/0").json()["version_id"] == "2"
    for version in ("3", "latest"):
        for kind in ("preview", "live"):
            response = api.put(f"/transforms/{tid}/deploy-job-{kind}/{version}")
            assert response.status_code == 404
            assert response.json() == {"detail": f"Version '{version}' not found for transform '{tid}'"}


def test_deploy_unknown_or_foreign_transform_is_404(api):
    foreign = created(api, as_="mock-client-2")["id"]
    for tid in ("0" * 24, foreign):
        for kind in ("preview", "live"):
            response = api.put(f"/transforms/{tid}/deploy-job-{kind}/no-version")
            assert response.status_code == 404 and response.json() == {"detail": "Entity not found"}
    assert api.get(f"/transforms/{foreign}/job_status", as_="mock-client-2").status_code == 400
    assert api.put(f"/transforms/{foreign}/deploy-job-live/no-version", as_="mock-readonly-2").status_code == 403


def test_deploy_settles_after_the_status_delay(make_api, clock):
    api = make_api(status_delay=10)
    tid = created(api)["id"]
    assert api.put(f"/transforms/{tid}/deploy-job-live/no-version").json()["status"] == "DEPLOYING"
    job = api.get(f"/transforms/{tid}/job_status").json()
    assert job["status"] == "DEPLOYING" and job["start_time"] is None
    assert read(api, tid)[0]["status"] == "DEPLOYING"
    clock.advance(10)
    job = api.get(f"/transforms/{tid}/job_status").json()
    assert job["status"] == "RUNNING" and job["start_time"]
    [stored] = read(api, tid)
    assert stored["status"] == "RUNNING" and stored["start_time"] == job["start_time"]


# ---- the topics a transform writes to -----------------------------------------------

def patterned(api, name, input_pattern, output_pattern, as_="mock-client"):
    config = {**provider_config("map_filter", name), "transforms.input.topic.pattern": input_pattern,
              "transforms.output.topic.pattern": output_pattern}
    response = api.post("/transforms", as_=as_, json={"transform": "map_filter", "config": config})
    assert response.status_code == 200, response.text
    assert response.json()["topics"] == response.json()["topic_ids"] == []  # resolved when deployed
    tid = response.json()["id"]
    assert api.put(f"/transforms/{tid}/deploy-job-live/no-version", as_=as_).status_code == 200
    return read(api, tid, as_=as_)[0]


def test_a_transform_lists_the_topics_its_patterns_make_of_the_tenants_topics(api):
    source = make_source(api, tables="public.users,public.orders")
    make_source(api, name="other", tables="sales.users", as_="mock-client-2")  # another tenant's topic
    transform = patterned(api, "t", r"source_[0-9a-f]{24}\.public\.(.*)", "public.$1_transformed")
    assert transform["topics"] == ["public.users_transformed", "public.orders_transformed"]
    # Deployed transforms' topic ids carry the transform and its deployed version (version 0: no implementation).
    assert transform["topic_ids"] == [f"transform_{transform['id']}_0.{t}" for t in transform["topics"]]

    # Topics come and go with the source's tables; the surviving one keeps its id.
    users_id = transform["topic_ids"][0]
    config = {**PG_SOURCE_CONFIG, "table.include.list.user.defined": "public.users,public.items",
              "slot.name": "slot_pg", "publication.name": "pub_pg"}
    assert api.put(f"/sources/{source['id']}", json={"name": "pg", "connector": "postgresql",
                                                     "config": config}).status_code == 200
    now = read(api, transform["id"])[0]
    assert now["topics"] == ["public.users_transformed", "public.items_transformed"]
    assert now["topic_ids"][0] == users_id
    api.delete(f"/topics/{source['topics'][0]}")
    assert read(api, transform["id"])[0]["topics"] == ["public.items_transformed"]


@pytest.mark.parametrize("input_pattern,output_pattern", [
    ("(unclosed", "x"), ("placeholder-input-topic-pattern", "out"), (r"source_.*\.(public)\.users", "$2"),
])
def test_a_pattern_that_matches_nothing_or_is_not_a_regex_gives_no_topics(api, input_pattern, output_pattern):
    make_source(api, tables="public.users")
    assert patterned(api, "t", input_pattern, output_pattern)["topics"] == []


def test_a_stored_implementation_carries_server_side_defaults_under_the_keys_not_sent(api):
    tid = created(api, "rollup", "rolled")["id"]
    sent = {"rollupSQL": "SELECT 1", "keyFields": ["id"], "stateTTLMs": 1000}
    answer = api.ok("PUT", f"/transforms/{tid}/implementation_details", json={"implementation": sent})
    assert answer["implementation"] == {**sent, "sourceIdleTimeoutMs": 30000}  # the client's stateTTLMs wins
    [stored] = read(api, tid)
    assert stored["implementation"] == {**sent, "sourceIdleTimeoutMs": 30000}
    # The 3.x update re-sends what it read (defaults included), or a subset of it: no new version either way.
    for implementation in (stored["implementation"], sent):
        kept = api.ok("PUT", "/transforms", json=update_body(tid, "rollup", "rolled", implementation=implementation))
        assert kept["version"] == 1


def test_a_javascript_implementation_reads_back_with_null_function_slots(api):
    tid = created(api)["id"]
    sent = {"language": "JavaScript", "value_transform": "function f(v) { return v; }"}
    api.ok("PUT", f"/transforms/{tid}/implementation_details", json={"implementation": sent})
    assert read(api, tid)[0]["implementation"] == {**sent, "key_transform": None, "topic_transform": None}
