"""The directory of tenants and credentials (mockserver.domain.tenancy), without a server."""

from __future__ import annotations

import json

import pytest

from mockserver.domain.secrets import hash_secret
from mockserver.domain.tenancy import Credential, Directory, Tenant, TokenService
from mockserver.errors import Unauthorized
from mockserver.settings import DEFAULT_FIXTURES

DIRECTORY = Directory.load(DEFAULT_FIXTURES / "tenants.json")


def test_permissions_are_the_union_of_the_roles():
    both = Credential("c", "s", "tenant-acme", "service-acme-prod", ("admin", "read_only"))
    assert DIRECTORY.principal_for(both).permissions == {"read", "write", "read_secrets"}
    assert DIRECTORY.principal_for(Credential("c", "s", "tenant-acme", "service-acme-prod", ("nope",))).permissions \
        == frozenset()


def test_a_platform_admin_naming_its_own_tenant_stays_in_its_own_service():
    admin = DIRECTORY.principal_for(
        Credential("c", "s", "tenant-acme", "service-acme-staging", ("platform_admin",)))
    assert DIRECTORY.act_as(admin, "tenant-acme", None).service_id == "service-acme-staging"
    # Another tenant without a service: that tenant's first service.
    assert DIRECTORY.act_as(admin, "tenant-globex", None).service_id == "service-globex-prod"


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def tokens() -> tuple[TokenService, Clock, str]:
    clock = Clock()
    service = TokenService(DIRECTORY, ttl=60, clock=clock)
    return service, clock, service.issue("mock-client", "mock-secret").access_token


def test_a_token_resolves_until_the_instant_it_expires():
    service, clock, token = tokens()
    clock.now = 1059.999
    assert service.resolve(f"Bearer {token}").client_id == "mock-client"
    assert service.resolve(f"bearer  {token} ").client_id == "mock-client"  # scheme in any case, spaces around
    clock.now = 1060.0
    with pytest.raises(Unauthorized) as err:
        service.resolve(f"Bearer {token}")
    assert err.value.detail == "Token expired"


@pytest.mark.parametrize("header,detail", [
    (None, "Not authenticated: send 'Authorization: Bearer <token>'"),
    ("", "Not authenticated: send 'Authorization: Bearer <token>'"),
    ("Basic abc", "Malformed Authorization header: expected 'Bearer <token>'"),
    ("Bearer", "Malformed Authorization header: expected 'Bearer <token>'"),
    ("Bearer unknown", "Invalid or revoked token"),
    ("Bearer a b", "Invalid or revoked token"),
])
def test_refused_authorization_headers(header, detail):
    service, _, _ = tokens()
    with pytest.raises(Unauthorized) as err:
        service.resolve(header)
    assert err.value.detail == detail


def test_client_of_names_the_client_of_any_issued_token_expired_or_not():
    service, clock, token = tokens()
    clock.now = 5000.0
    assert service.client_of(f"Bearer {token}") == "mock-client"
    assert service.client_of(f"BEARER {token}") == "mock-client"
    assert service.client_of(f"Bearer  {token}") == "mock-client"  # spaces before the token, as resolve takes them
    for header in (None, "", token, f"Basic {token}", "Bearer other", f"Bearer x {token}"):
        assert service.client_of(header) is None, header


def test_a_directory_file_may_leave_descriptions_out(tmp_path):
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps({
        "roles": [{"id": "r1", "key": "viewer", "name": "Viewer", "permissions": ["read"]}],
        "tenants": [{"id": "t1", "name": "Tenant One", "sub_id": "sub-1", "services": [{"id": "s1"}, {"id": "s2"}],
                     "credentials": [{"client_id": "c1", "secret": "pw", "service_id": "s2", "roles": ["viewer"]}]}],
    }))
    directory = Directory.load(path)
    assert directory.roles["viewer"].public() == {"id": "r1", "key": "viewer", "name": "Viewer", "description": ""}
    assert directory.tenants["t1"] == Tenant("t1", "Tenant One", "sub-1", ("s1", "s2"))
    assert directory.fixture_credentials() == [Credential("c1", "pw", "t1", "s2", ("viewer",), "")]


def test_a_token_of_a_credential_that_is_gone_no_longer_resolves():
    created = {"api-client": Credential("api-client", "", "tenant-acme", "service-acme-prod", ("admin",),
                                        secret_hash=hash_secret("pw"))}
    directory = Directory.load(DEFAULT_FIXTURES / "tenants.json")
    directory.extra_lookups.append(created.get)
    service = TokenService(directory, ttl=60, clock=Clock())
    token = service.issue("api-client", "pw").access_token
    assert service.resolve(f"Bearer {token}").client_id == "api-client"
    del created["api-client"]
    with pytest.raises(Unauthorized) as err:
        service.resolve(f"Bearer {token}")
    assert err.value.detail == "Invalid or revoked token"


def test_issuing_a_token_forgets_the_ones_expired_by_then():
    service, clock, first = tokens()  # expires at 1060
    clock.now = 1059.5
    service.issue("mock-client", "mock-secret")
    assert service.client_of(f"Bearer {first}") == "mock-client"  # still valid, kept
    clock.now = 1060.0
    service.issue("mock-client", "mock-secret")
    assert service.client_of(f"Bearer {first}") is None
    with pytest.raises(Unauthorized) as err:
        service.resolve(f"Bearer {first}")
    assert err.value.detail == "Invalid or revoked token"


def test_an_issued_token_comes_with_a_refresh_token_of_its_own():
    service, _, _ = tokens()
    public = service.issue("mock-client", "mock-secret").public()
    assert isinstance(public["refreshToken"], str) and len(public["refreshToken"]) >= 43
    assert public["refreshToken"] != public["accessToken"]
