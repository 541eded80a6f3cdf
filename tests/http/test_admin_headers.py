"""X-Admin-Tenant-Id / X-Admin-Service-Id (platform admins only) and X-Tenant-Id."""

from __future__ import annotations

import pytest

from tests.conftest import PG_SOURCE_CONFIG

AS_GLOBEX = {"X-Admin-Tenant-Id": "tenant-globex"}
AS_GLOBEX_PROD = {**AS_GLOBEX, "X-Admin-Service-Id": "service-globex-prod"}


def tag_names(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {t["name"] for t in response.json()["tags"] if not t["system"]}


@pytest.mark.parametrize("headers", [AS_GLOBEX, AS_GLOBEX_PROD])
def test_platform_admin_reads_and_writes_inside_another_tenant(api, headers):
    api.ok("POST", "/tags", as_="mock-client-2", json={"name": "globex-tag", "type": ["sources"]})
    api.ok("POST", "/tags", json={"name": "acme-tag", "type": ["sources"]})
    assert tag_names(api.get("/tags", as_="mock-platform-admin", headers=headers)) == {"globex-tag"}

    response = api.post("/tags", as_="mock-platform-admin", headers=headers,
                        json={"name": "made-by-admin", "type": ["sources"]})
    assert response.status_code == 200
    stored = api.backend.repo.get("tags", response.json()["id"])
    assert (stored["tenant_id"], stored["service_id"]) == ("tenant-globex", "service-globex-prod")
    assert tag_names(api.get("/tags", as_="mock-client-2")) == {"globex-tag", "made-by-admin"}
    assert tag_names(api.get("/tags")) == {"acme-tag"}


def test_platform_admin_creates_a_source_for_another_tenant(api):
    response = api.post("/sources", as_="mock-platform-admin", headers=AS_GLOBEX_PROD, json={
        "name": "pg", "connector": "postgresql", "config": PG_SOURCE_CONFIG})
    assert response.status_code == 200, response.text
    source = response.json()
    assert (source["tenant_id"], source["service_id"], source["sub_id"]) == (
        "tenant-globex", "service-globex-prod", "sub-globex")
    assert api.get(f"/sources/{source['id']}", as_="mock-client-2").json()["total"] == 1
    assert api.get(f"/sources/{source['id']}").json()["total"] == 0


def test_platform_admin_without_headers_stays_in_its_own_tenant(api):
    api.ok("POST", "/tags", as_="mock-client-2", json={"name": "globex-tag", "type": ["sources"]})
    api.ok("POST", "/tags", json={"name": "acme-tag", "type": ["sources"]})
    assert tag_names(api.get("/tags", as_="mock-platform-admin")) == {"acme-tag"}


def test_platform_admin_mints_a_credential_for_another_tenant(api):
    response = api.post("/auth/client-credentials", as_="mock-platform-admin", headers=AS_GLOBEX,
                        json={"role_ids": ["6650a1f0c0ffee0000000001"], "description": "for globex"})
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["service_id"] == "service-globex-prod"
    assert created["client_id"] in {c["client_id"] for c in api.get("/auth/client-credentials", as_="mock-client-2").json()}
    assert created["client_id"] not in {c["client_id"] for c in api.get("/auth/client-credentials").json()}


@pytest.mark.parametrize("as_", ["mock-client", "mock-readonly", "mock-client-2"])
@pytest.mark.parametrize("headers", [AS_GLOBEX, {"X-Admin-Service-Id": "service-acme-prod"}])
def test_anyone_else_sending_admin_headers_is_403(api, as_, headers):
    response = api.get("/tags", as_=as_, headers=headers)
    assert response.status_code == 403
    assert response.json()["detail"] == "Admin headers are only allowed for admin credentials"


def test_unknown_tenant_or_service_is_403(api):
    response = api.get("/tags", as_="mock-platform-admin", headers={"X-Admin-Tenant-Id": "tenant-nope"})
    assert response.status_code == 403
    assert response.json()["detail"] == "Unknown tenant 'tenant-nope'"
    response = api.get("/tags", as_="mock-platform-admin",
                       headers={**AS_GLOBEX, "X-Admin-Service-Id": "service-acme-prod"})
    assert response.status_code == 403
    assert response.json()["detail"] == "Unknown service 'service-acme-prod' for tenant 'tenant-globex'"


def test_x_tenant_id_must_agree_with_the_token(api):
    assert api.get("/tags", headers={"X-Tenant-Id": "tenant-acme"}).status_code == 200
    response = api.get("/tags", headers={"X-Tenant-Id": "tenant-globex"})
    assert response.status_code == 403
    assert response.json()["detail"] == "X-Tenant-Id 'tenant-globex' does not match the tenant of the token"


def test_x_tenant_id_follows_the_admin_headers(api):
    headers = {**AS_GLOBEX, "X-Tenant-Id": "tenant-globex"}
    assert api.get("/tags", as_="mock-platform-admin", headers=headers).status_code == 200
    response = api.get("/tags", as_="mock-platform-admin", headers={**AS_GLOBEX, "X-Tenant-Id": "tenant-acme"})
    assert response.status_code == 403
    assert response.json()["detail"] == "X-Tenant-Id 'tenant-acme' does not match the tenant of the token"


def test_admin_headers_do_not_replace_authentication(api):
    response = api.client.get("/tags", headers=AS_GLOBEX)
    assert response.status_code == 401
