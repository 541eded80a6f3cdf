"""The directory of tenants and credentials (mockserver.domain.tenancy), without a server."""

from __future__ import annotations

from mockserver.domain.tenancy import Credential, Directory
from mockserver.settings import DEFAULT_FIXTURES

DIRECTORY = Directory.load(DEFAULT_FIXTURES / "tenants.json")


def test_permissions_are_the_union_of_the_roles():
    both = Credential("c", "s", "tenant-acme", "service-acme-prod", ("admin", "read_only"))
    assert DIRECTORY.principal_for(both).permissions == {"read", "write"}
    assert DIRECTORY.principal_for(Credential("c", "s", "tenant-acme", "service-acme-prod", ("nope",))).permissions \
        == frozenset()


def test_a_platform_admin_naming_its_own_tenant_stays_in_its_own_service():
    admin = DIRECTORY.principal_for(
        Credential("c", "s", "tenant-acme", "service-acme-staging", ("platform_admin",)))
    assert DIRECTORY.act_as(admin, "tenant-acme", None).service_id == "service-acme-staging"
    # Another tenant without a service: that tenant's first service.
    assert DIRECTORY.act_as(admin, "tenant-globex", None).service_id == "service-globex-prod"
