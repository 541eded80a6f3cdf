"""Another tenant's entity behaves exactly like one that does not exist."""

from __future__ import annotations

from tests.conftest import PG_SOURCE_CONFIG


def test_other_tenant_cannot_see_or_touch_an_entity(api):
    created = api.post("/sources", json={"name": "acme-src", "connector": "postgresql", "config": PG_SOURCE_CONFIG})
    entity_id = created.json()["id"]
    other = "mock-client-2"
    assert api.get(f"/sources/{entity_id}", as_=other).json()["result"] == []
    assert api.get("/sources", as_=other).json()["total"] == 0
    assert api.get("/sources/brief", as_=other).json()["result"] == []
    assert api.post("/sources/search", as_=other, json={"ids": [entity_id]}).json()["total"] == 0
    body = {"name": "x", "connector": "postgresql", "config": PG_SOURCE_CONFIG}
    for response in (
        api.put(f"/sources/{entity_id}", as_=other, json=body),
        api.delete(f"/sources/{entity_id}", as_=other),
        api.post(f"/sources/{entity_id}/actions/pause", as_=other),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": "Entity not found"}
    # ... and the owner still has it, untouched.
    mine = api.get(f"/sources/{entity_id}").json()["result"][0]
    assert mine["name"] == "acme-src" and mine["connector_status"] == "Active"


def test_read_only_credential_of_the_same_tenant_sees_it(api):
    entity_id = api.post("/sources", json={"name": "s", "connector": "postgresql", "config": PG_SOURCE_CONFIG}).json()["id"]
    assert api.get(f"/sources/{entity_id}", as_="mock-readonly").json()["total"] == 1
    assert api.get(f"/sources/{entity_id}", as_="mock-readonly-2").json()["total"] == 0
