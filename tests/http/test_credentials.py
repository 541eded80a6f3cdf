"""/auth/roles and /auth/client-credentials: roles, secrets shown once, login, revocation."""

from __future__ import annotations

import pytest

ADMIN, READ_ONLY, PLATFORM_ADMIN = "6650a1f0c0ffee0000000001", "6650a1f0c0ffee0000000002", "6650a1f0c0ffee0000000003"
ADMIN_ROLE = {"id": ADMIN, "key": "admin", "name": "Admin",
              "description": "Read and write every entity of the tenant's service"}
PATH = "/auth/client-credentials"


def create(api, role_ids=(ADMIN,), as_="mock-client", **extra):
    response = api.post(PATH, as_=as_, json={"role_ids": list(role_ids), "description": "ci",
                                            "created_from": "terraform", **extra})
    assert response.status_code == 200, response.text
    return response.json()


def login(api, credential) -> str:
    return api.token(credential["client_id"], credential["secret"])


def test_roles_are_a_bare_array(api):
    response = api.get("/auth/roles", as_="mock-readonly")
    assert response.status_code == 200
    roles = response.json()
    assert [r["key"] for r in roles] == ["admin", "read_only", "platform_admin"]
    assert roles[0] == ADMIN_ROLE


def test_create_shows_the_secret_once(api):
    created = create(api)
    assert set(created) == {"client_id", "secret", "description", "created_at", "roles", "service_id"}
    assert created["description"] == "ci"
    assert created["roles"] == [ADMIN_ROLE]
    assert created["service_id"] == "service-acme-prod"
    assert created["created_at"].startswith("2027-01-15T")  # the test clock
    assert len(created["secret"]) >= 32
    listed = next(c for c in api.get(PATH).json() if c["client_id"] == created["client_id"])
    assert listed == {k: v for k, v in created.items() if k != "secret"}


def test_secret_is_stored_only_as_a_hash(api):
    created = create(api)
    on_disk = api.disk_text()
    assert created["secret"] not in on_disk
    stored = api.backend.repo.get("client_credentials", created["client_id"])
    assert stored["secret_hash"].startswith("pbkdf2_sha256$")
    assert stored["tenant_id"] == "tenant-acme" and stored["created_from"] == "terraform"


def test_a_new_credential_logs_in_at_once_with_its_roles_permissions(api):
    writer = create(api, [ADMIN])
    reader = create(api, [READ_ONLY])
    login(api, writer)
    login(api, reader)
    assert api.post("/tags", as_=writer["client_id"], json={"name": "t", "type": ["sources"]}).status_code == 200
    assert api.get("/tags", as_=reader["client_id"]).status_code == 200
    response = api.post("/tags", as_=reader["client_id"], json={"name": "u", "type": ["sources"]})
    assert response.status_code == 403
    assert response.json()["detail"] == f"The credential '{reader['client_id']}' lacks the 'write' permission"


def test_a_new_credential_acts_in_the_creators_tenant(api):
    api.ok("POST", "/tags", as_="mock-client-2", json={"name": "globex-only", "type": ["sources"]})
    created = create(api)
    login(api, created)
    names = {t["name"] for t in api.get("/tags", as_=created["client_id"]).json()["tags"]}
    assert "globex-only" not in names
    api.ok("POST", "/tags", as_=created["client_id"], json={"name": "acme-tag", "type": ["sources"]})
    assert "acme-tag" in {t["name"] for t in api.get("/tags").json()["tags"]}


def test_wrong_secret_is_401(api):
    created = create(api)
    response = api.client.post("/auth/access-token", json={"client_id": created["client_id"], "secret": "nope"})
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid client_id or secret"


def test_created_credentials_survive_a_restart(make_api):
    created = create(make_api())
    again = make_api()  # same db file
    login(again, created)
    assert again.get("/tags", as_=created["client_id"]).status_code == 200
    assert created["client_id"] in {c["client_id"] for c in again.get(PATH).json()}


def test_list_shows_the_tenants_credentials_without_secrets(api):
    ours = create(api)
    create(api, as_="mock-client-2")
    listed = api.get(PATH, as_="mock-readonly").json()
    assert [c["client_id"] for c in listed] == ["mock-client", "mock-readonly", "mock-platform-admin",
                                                "mock-client-staging", ours["client_id"]]
    assert all("secret" not in c for c in listed)
    assert listed[0] == {"client_id": "mock-client", "description": "Acme admin", "created_at": None,
                         "roles": [ADMIN_ROLE], "service_id": "service-acme-prod"}


def test_unknown_role_id_is_400_naming_it(api):
    response = api.post(PATH, json={"role_ids": [ADMIN, "0123456789abcdef01234567"], "description": "x"})
    assert response.status_code == 400
    assert response.json()["detail"] == "Unknown role id: 0123456789abcdef01234567"


def test_role_ids_are_required(api):
    response = api.post(PATH, json={"role_ids": [], "description": "x"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "role_ids"]


def test_a_credential_cannot_grant_more_than_it_holds(api):
    response = api.post(PATH, json={"role_ids": [PLATFORM_ADMIN]})
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "The credential 'mock-client' cannot grant role 'platform_admin': it lacks the cross_tenant permission"
    )


@pytest.mark.parametrize("service_id", ["service-nope", "service-globex-prod"])
def test_service_outside_the_tenant_is_400(api, service_id):
    response = api.post(PATH, json={"role_ids": [ADMIN], "service_id": service_id})
    assert response.status_code == 400
    assert response.json()["detail"] == f"Unknown service '{service_id}' for tenant 'tenant-acme'"


def test_read_only_cannot_create_or_delete(api):
    created = create(api)
    before = api.get(PATH).json()
    for response in (api.post(PATH, as_="mock-readonly", json={"role_ids": [READ_ONLY]}),
                     api.delete(f"{PATH}/{created['client_id']}", as_="mock-readonly")):
        assert response.status_code == 403
        assert response.json()["detail"] == "The credential 'mock-readonly' lacks the 'write' permission"
    assert api.get(PATH).json() == before


def test_delete_revokes_tokens_and_login(api):
    created = create(api)
    login(api, created)
    response = api.delete(f"{PATH}/{created['client_id']}")
    assert response.status_code == 200
    assert response.json() == {k: v for k, v in created.items() if k != "secret"}
    response = api.get("/tags", as_=created["client_id"])
    assert response.status_code == 401
    response = api.client.post("/auth/access-token", json={"client_id": created["client_id"],
                                                           "secret": created["secret"]})
    assert response.status_code == 401
    assert created["client_id"] not in {c["client_id"] for c in api.get(PATH).json()}
    assert api.backend.repo.get("client_credentials", created["client_id"])["deleted"] is True


def test_delete_of_unknown_deleted_or_foreign_credential_is_404(api):
    created = create(api)
    theirs = create(api, as_="mock-client-2")
    api.ok("DELETE", f"{PATH}/{created['client_id']}")
    for client_id in ("no-such-client", created["client_id"], theirs["client_id"], "mock-client-2"):
        response = api.delete(f"{PATH}/{client_id}")
        assert response.status_code == 404
        assert response.json()["detail"] == "Entity not found"
    assert theirs["client_id"] in {c["client_id"] for c in api.get(PATH, as_="mock-client-2").json()}


def test_fixture_credentials_cannot_be_deleted(api):
    response = api.delete(f"{PATH}/mock-readonly")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Client credential 'mock-readonly' is defined by the fixtures and cannot be deleted"
    )
    assert api.get("/tags", as_="mock-readonly").status_code == 200
