"""The directory of tenants and credentials (mockserver.domain.tenancy), without a server."""

from __future__ import annotations

import pytest

from mockserver.domain.tenancy import Credential, Directory, TokenService
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
    for header in (None, "", token, f"Basic {token}", "Bearer other", f"Bearer x {token}"):
        assert service.client_of(header) is None, header
