"""Tenants created at run time: POST/GET/DELETE /__mock/tenants, each one isolated from every other."""

from __future__ import annotations

import pytest

from tests.conftest import make_source


def new_tenant(api, **body) -> dict:
    response = api.client.post("/__mock/tenants", json=body) if body else api.client.post("/__mock/tenants")
    assert response.status_code == 201, response.text
    tenant = response.json()
    for credential in tenant["credentials"]:
        api.token(credential["client_id"], credential["secret"])  # log in once: api.get(as_=...) works
    return tenant


def admin_of(tenant: dict) -> str:
    return next(c["client_id"] for c in tenant["credentials"] if c["roles"] == ["admin"])


def reader_of(tenant: dict) -> str:
    return next(c["client_id"] for c in tenant["credentials"] if c["roles"] == ["read_only"])


def test_a_new_tenant_answers_its_service_and_two_credentials_with_their_secrets(api):
    tenant = new_tenant(api, name="acceptance run 1")
    assert tenant["name"] == "acceptance run 1" and tenant["fixture"] is False
    assert tenant["service_ids"] == [tenant["service_id"]]
    assert sorted(c["roles"][0] for c in tenant["credentials"]) == ["admin", "read_only"]
    assert all(len(c["secret"]) >= 40 for c in tenant["credentials"])
    listed = api.client.get("/__mock/tenants").json()["result"]
    assert [t["tenant_id"] for t in listed] == ["tenant-acme", "tenant-globex", tenant["tenant_id"]]
    # The secrets show once: neither the listing nor the store has them in clear.
    assert not [c for t in listed for c in t["credentials"] if "secret" in c]
    assert not any(c["secret"] in api.disk_text() for c in tenant["credentials"])


def test_two_tenants_create_the_same_names_and_see_only_their_own(api):
    first, second = new_tenant(api), new_tenant(api)
    mine = make_source(api, name="same", as_=admin_of(first))
    theirs = make_source(api, name="same", as_=admin_of(second))  # no 409: another tenant's name
    assert mine["id"] != theirs["id"]
    assert [s["id"] for s in api.get("/sources", as_=admin_of(first)).json()["result"]] == [mine["id"]]
    assert [s["id"] for s in api.get("/sources", as_=reader_of(second)).json()["result"]] == [theirs["id"]]
    assert api.get(f"/sources/{theirs['id']}", as_=admin_of(first)).json()["result"] == []  # as if unknown
    assert api.get("/sources").json()["result"] == []  # the fixture tenant sees neither


def test_the_read_only_credential_cannot_write_and_system_tags_are_there(api):
    tenant = new_tenant(api)
    refused = api.post("/sources", as_=reader_of(tenant), json={"name": "x", "connector": "postgresql", "config": {}})
    assert refused.status_code == 403
    system = api.get("/tags", as_=reader_of(tenant)).json()
    assert system == api.get("/tags").json() and system  # the system tags every tenant has


def test_deleting_a_tenant_drops_what_it_owns_and_logs_its_credentials_out(api):
    doomed, kept = new_tenant(api), new_tenant(api)
    make_source(api, name="pg", as_=admin_of(doomed))
    survivor = make_source(api, name="pg", as_=admin_of(kept))
    gone = api.client.delete(f"/__mock/tenants/{doomed['tenant_id']}")
    assert gone.status_code == 200 and gone.json()["tenant_id"] == doomed["tenant_id"]
    assert api.get("/sources", as_=admin_of(doomed)).status_code == 401
    secret = doomed["credentials"][0]["secret"]
    login = api.client.post("/auth/access-token", json={"client_id": admin_of(doomed), "secret": secret})
    assert login.status_code == 401
    assert not [r for table in api.backend.repo.export_state().values() for r in table
                if doomed["tenant_id"] in (r.get("tenant_id"), r["id"])]
    assert [s["id"] for s in api.get("/sources", as_=admin_of(kept)).json()["result"]] == [survivor["id"]]
    assert api.client.delete(f"/__mock/tenants/{doomed['tenant_id']}").status_code == 404


@pytest.mark.parametrize("fixture_tenant", ["tenant-acme", "tenant-globex"])
def test_a_fixture_tenant_cannot_be_deleted(api, fixture_tenant):
    refused = api.client.delete(f"/__mock/tenants/{fixture_tenant}")
    assert refused.status_code == 409 and "fixtures" in refused.json()["detail"]
    assert api.get("/sources").status_code == 200


def test_a_reset_of_the_tenant_keeps_it_and_its_credentials(api):
    tenant = new_tenant(api)
    make_source(api, as_=admin_of(tenant))
    assert api.client.post("/__mock/reset", json={"tenant": tenant["tenant_id"]}).status_code == 200
    assert api.get("/sources", as_=admin_of(tenant)).json()["result"] == []
    make_source(api, as_=admin_of(tenant))  # still a working tenant


def test_a_full_reset_drops_tenants_created_at_run_time(api):
    tenant = new_tenant(api)
    assert api.client.post("/__mock/reset").status_code == 200
    assert api.get("/sources", as_=admin_of(tenant)).status_code == 401
    assert [t["tenant_id"] for t in api.client.get("/__mock/tenants").json()["result"]] == ["tenant-acme",
                                                                                             "tenant-globex"]


def test_a_tenant_survives_a_restart_of_a_file_backed_store(make_api):
    api = make_api()
    tenant = new_tenant(api)
    source = make_source(api, as_=admin_of(tenant))
    restarted = make_api()
    credential = tenant["credentials"][0]
    restarted.token(credential["client_id"], credential["secret"])
    assert [s["id"] for s in restarted.get("/sources", as_=admin_of(tenant)).json()["result"]] == [source["id"]]


def test_admin_headers_reach_a_runtime_tenant(api):
    tenant = new_tenant(api)
    make_source(api, as_=admin_of(tenant))
    headers = {"X-Admin-Tenant-Id": tenant["tenant_id"]}
    listed = api.get("/sources", as_="mock-platform-admin", headers=headers)
    assert listed.status_code == 200 and listed.json()["total"] == 1


@pytest.mark.parametrize("body, where", [({"name": ""}, "name"), ({"nme": "x"}, "nme"), ({"name": 3}, "name")])
def test_a_bad_tenant_body_is_a_422_naming_the_field(api, body, where):
    refused = api.client.post("/__mock/tenants", json=body)
    assert refused.status_code == 422 and where in str(refused.json()["detail"])
