"""Client credentials created through the API, beside the fixture ones of the Directory.

Record shape (table ``client_credentials``, keyed by the client id):
``{id, client_id, secret_hash, description, role_ids, tenant_id, service_id,
created_at, created_from, deleted}``. The secret itself is never stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.domain import ids
from mockserver.domain.records import Clock, Record, is_live, iso_now, mark_deleted
from mockserver.domain.secrets import hash_secret
from mockserver.domain.tenancy import (
    Credential,
    Directory,
    Principal,
    Role,
    TokenService,
)
from mockserver.errors import BadRequest, Forbidden, NotFound
from mockserver.store import Repository

TABLE = "client_credentials"


@dataclass(frozen=True)
class CredentialInput:
    role_ids: list[str]
    description: str | None = None
    service_id: str | None = None
    created_from: str | None = None


class CredentialService:
    def __init__(self, repo: Repository, directory: Directory, tokens: TokenService, clock: Clock) -> None:
        self.repo = repo
        self.directory = directory
        self.tokens = tokens
        self.clock = clock

    def roles(self) -> list[Role]:
        return list(self.directory.roles.values())

    def lookup(self, client_id: str) -> Credential | None:
        """A live created credential, in the form the Directory and TokenService use."""
        record = self.repo.get(TABLE, client_id)
        if record is None or not is_live(record):
            return None
        return Credential(
            client_id=record["client_id"], secret="", tenant_id=record["tenant_id"],
            service_id=record["service_id"], roles=tuple(r.key for r in self._roles_of(record)),
            description=record["description"], secret_hash=record["secret_hash"],
        )

    # ---- reads -------------------------------------------------------------

    def list(self, who: Principal) -> list[dict]:
        """The fixture credentials and the live created ones of the caller's tenant."""
        fixtures = [self._present_fixture(c) for c in self.directory.builtin_credentials(who.tenant_id)]
        created = self.repo.find(TABLE, lambda r: is_live(r) and r["tenant_id"] == who.tenant_id)
        return fixtures + [self.present(r) for r in created]

    # ---- writes ------------------------------------------------------------

    def create(self, who: Principal, data: CredentialInput) -> dict:
        """The new credential, with its secret: the only time the secret is ever shown."""
        roles = self._resolve_roles(who, data.role_ids)
        tenant = self.directory.tenant(who.tenant_id)
        service_id = data.service_id or who.service_id
        if service_id not in tenant.service_ids:
            raise BadRequest(f"Unknown service '{service_id}' for tenant '{tenant.id}'")
        secret = ids.secret()
        client_id = ids.new_uuid()
        record = self.repo.insert(TABLE, {
            "id": client_id,
            "client_id": client_id,
            "secret_hash": hash_secret(secret),
            "description": data.description or "",
            "role_ids": [r.id for r in roles],
            "tenant_id": tenant.id,
            "service_id": service_id,
            "created_at": iso_now(self.clock()),
            "created_from": data.created_from,
            "deleted": False,
        })
        return {**self.present(record), "secret": secret}

    def delete(self, who: Principal, client_id: str) -> dict:
        if any(c.client_id == client_id for c in self.directory.builtin_credentials(who.tenant_id)):
            raise Forbidden(f"Client credential '{client_id}' is defined by the fixtures and cannot be deleted")
        record = self.repo.get(TABLE, client_id)
        if record is None or not is_live(record) or record["tenant_id"] != who.tenant_id:
            raise NotFound()
        self.repo.replace(TABLE, mark_deleted(record, self.clock(), 0))
        self.tokens.revoke_client(client_id)
        return self.present(record)

    # ---- presentation ------------------------------------------------------

    def present(self, record: Record) -> dict:
        return {
            "client_id": record["client_id"],
            "description": record["description"],
            "created_at": record["created_at"],
            "roles": [r.public() for r in self._roles_of(record)],
            "service_id": record["service_id"],
        }

    def _present_fixture(self, credential: Credential) -> dict:
        return self.present({
            "client_id": credential.client_id,
            "description": credential.description,
            "created_at": None,
            "role_ids": [self.directory.roles[k].id for k in credential.roles if k in self.directory.roles],
            "service_id": credential.service_id,
        })

    # ---- rules -------------------------------------------------------------

    def _roles_by_id(self) -> dict[str, Role]:
        return {r.id: r for r in self.roles()}

    def _roles_of(self, record: Record) -> list[Role]:
        by_id = self._roles_by_id()
        return [by_id[i] for i in record["role_ids"] if i in by_id]

    def _resolve_roles(self, who: Principal, role_ids: list[str]) -> list[Role]:
        by_id = self._roles_by_id()
        unknown = [i for i in dict.fromkeys(role_ids) if i not in by_id]
        if unknown:
            raise BadRequest(f"Unknown role id: {', '.join(unknown)}")
        roles = [by_id[i] for i in dict.fromkeys(role_ids)]
        # A caller cannot mint a credential more powerful than itself.
        for role in roles:
            missing = role.permissions - who.permissions
            if missing:
                raise Forbidden(
                    f"The credential '{who.client_id}' cannot grant role '{role.key}': "
                    f"it lacks the {', '.join(sorted(missing))} permission"
                )
        return roles
