"""Tenants created at run time (``POST /__mock/tenants``), beside the fixture tenants of the Directory.

Each one has a single service and two credentials of its own, an admin and a
read-only one, so parallel tests can each work in a tenant nobody else sees.

Record shape (table ``tenants``, keyed by the tenant id)::

    {id, name, sub_id, service_id, created_at, deleted,
     credentials: [{client_id, secret_hash, roles, description}]}

The record has no ``tenant_id`` key, so a reset of the tenant keeps the tenant
itself (and its credentials) and drops only what it owns. A credential's client
id is the tenant id plus a suffix, so a login finds its tenant by key.
Secrets are kept as hashes only: the creation answer is the one place they show.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.domain import ids
from mockserver.domain.records import Clock, Record, iso_now
from mockserver.domain.secrets import hash_secret
from mockserver.domain.tenancy import Credential, Directory, Tenant
from mockserver.errors import Conflict, NotFound
from mockserver.store import Repository

TABLE = "tenants"
# (client id suffix, role key, description) of the credentials every runtime tenant comes with.
BUILTIN = (("-admin", "admin", "Admin"), ("-readonly", "read_only", "Read only"))


@dataclass(frozen=True)
class NewTenant:
    """A created tenant and the secrets of its credentials (shown once)."""

    record: Record
    secrets: dict[str, str]  # client id -> secret


class TenantService:
    def __init__(self, repo: Repository, directory: Directory, clock: Clock) -> None:
        self.repo = repo
        self.directory = directory
        self.clock = clock

    def create(self, name: str | None = None) -> NewTenant:
        token = ids.token_hex(6)
        tenant_id = f"tenant-{token}"
        issued: dict[str, str] = {}
        credentials = []
        for suffix, role, description in BUILTIN:
            client_id = tenant_id + suffix
            issued[client_id] = ids.secret()
            credentials.append({"client_id": client_id, "secret_hash": hash_secret(issued[client_id]),
                                "roles": [role], "description": description})
        record = self.repo.insert(TABLE, {
            "id": tenant_id,
            "name": name or tenant_id,
            "sub_id": f"sub-{token}",
            "service_id": f"service-{token}",
            "created_at": iso_now(self.clock()),
            "deleted": False,
            "credentials": credentials,
        })
        return NewTenant(record, issued)

    def deletable(self, tenant_id: str) -> Tenant:
        """The runtime tenant ``tenant_id``; a fixture tenant is refused, an unknown one not found."""
        if tenant_id in self.directory.tenants:
            raise Conflict(f"Tenant '{tenant_id}' is defined by the fixtures and cannot be deleted")
        found = self.lookup(tenant_id)
        if found is None:
            raise NotFound(f"No tenant with id '{tenant_id}'")
        return found[0]

    def runtime(self) -> list[Record]:
        return self.repo.find(TABLE, lambda r: not r.get("deleted"))

    # ---- the Directory's view ---------------------------------------------------

    def lookup(self, tenant_id: str) -> tuple[Tenant, list[Credential]] | None:
        record = self.repo.get(TABLE, tenant_id)
        if record is None or record.get("deleted"):
            return None
        tenant = Tenant(record["id"], record["name"], record["sub_id"], (record["service_id"],))
        return tenant, [Credential(c["client_id"], "", tenant.id, record["service_id"], tuple(c["roles"]),
                                   c["description"], secret_hash=c["secret_hash"]) for c in record["credentials"]]

    def credential(self, client_id: str) -> Credential | None:
        for suffix, _, _ in BUILTIN:
            if client_id.endswith(suffix):
                found = self.lookup(client_id.removesuffix(suffix))
                return next((c for c in found[1] if c.client_id == client_id), None) if found else None
        return None
