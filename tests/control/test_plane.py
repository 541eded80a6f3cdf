"""The control plane as a whole: its own document, its token, turning it off, health and reset."""

from __future__ import annotations

import json

from mockserver.control import routes as control_routes
from mockserver.http.openapi import CONTRACTS, render
from tests.conftest import make_source

COMMITTED = CONTRACTS / "control-openapi.json"


def test_committed_control_document_is_the_generated_one(api):
    assert COMMITTED.read_text() == render(control_routes.document()), (
        "contracts/control-openapi.json is out of date; regenerate it: "
        "streamkap-mock openapi --control > contracts/control-openapi.json")
    assert api.client.get("/__mock/openapi.json").json() == json.loads(COMMITTED.read_text())


def test_the_control_plane_stays_out_of_the_emulated_contract(api):
    paths = api.client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith("/__mock")]
    assert all(path.startswith("/__mock/") for path in json.loads(COMMITTED.read_text())["paths"])


def test_admin_token_guards_everything_but_health(make_api):
    api = make_api(admin_token="let-me-in")
    assert api.client.get("/__mock/health").status_code == 200
    assert api.client.post("/__mock/reset").status_code == 401
    # An emulated-API token is not the admin token.
    assert api.post("/__mock/reset").status_code == 401
    wrong = api.client.post("/__mock/reset", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "admin token" in wrong.json()["detail"]
    assert api.client.post("/__mock/reset", headers={"Authorization": "Bearer let-me-in"}).status_code == 200


def test_no_admin_turns_it_off(make_api):
    api = make_api(admin=False)
    assert api.client.get("/__mock/health").status_code == 404
    assert api.client.post("/__mock/reset").status_code == 404
    assert api.client.get("/sources", headers={"Authorization": f"Bearer {api.token()}"}).status_code == 200


def test_health_reports_storage_and_live_counts(make_api, tmp_path):
    api = make_api()
    make_source(api)
    health = api.client.get("/__mock/health").json()
    assert health["status"] == "ok" and health["storage"] == {"kind": "file", "path": str(tmp_path / "db.json")}
    assert health["entities"]["sources"] == 1 and health["entities"]["tags"] == 3
    memory = make_api(db=":memory:").client.get("/__mock/health").json()
    assert memory["storage"] == {"kind": "memory", "path": None} and memory["entities"]["sources"] == 0


def test_reset_empties_the_store_and_keeps_tokens(api):
    source = make_source(api)
    api.client.post("/__mock/clock/advance", json={"seconds": 100})
    assert api.client.post("/__mock/reset").status_code == 200
    assert api.get("/sources").json()["total"] == 0  # the token issued before still works
    assert api.get(f"/sources/{source['id']}").json()["result"] == []
    assert api.get("/tags").json()["tags"]  # the system tags are back
    assert api.client.get("/__mock/clock").json()["offset_seconds"] == 0
    make_source(api)  # the same name and slot are free again


def test_reset_one_tenant_leaves_the_other(api):
    acme = make_source(api)
    globex = make_source(api, as_="mock-client-2")
    assert api.client.post("/__mock/reset", json={"tenant": "tenant-globex"}).status_code == 200
    assert api.get(f"/sources/{acme['id']}").json()["total"] == 1
    assert api.get(f"/sources/{globex['id']}", as_="mock-client-2").json()["total"] == 0


def test_reset_can_revoke_tokens(api):
    api.token()
    assert api.client.post("/__mock/reset", json={"revoke_tokens": True}).status_code == 200
    assert api.get("/sources").status_code == 401
    bad = api.client.post("/__mock/reset", json={"tenant": "tenant-nowhere"})
    assert bad.status_code == 400 and "tenant-nowhere" in bad.json()["detail"]
    assert api.client.post("/__mock/reset", json={"tenants": "typo"}).status_code == 422
