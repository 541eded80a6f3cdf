"""Tenants, credentials, roles, tokens: who is calling and what they may touch."""

from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from mockserver.domain import ids
from mockserver.domain.secrets import verify_secret
from mockserver.errors import Forbidden, Unauthorized

READ, WRITE, CROSS_TENANT = "read", "write", "cross_tenant"
# Secret config values in clear (secret_returned=true); a role without it reads them masked.
READ_SECRETS = "read_secrets"


@dataclass(frozen=True)
class Role:
    id: str
    key: str
    name: str
    description: str
    permissions: frozenset[str]

    def public(self) -> dict:
        return {"id": self.id, "key": self.key, "name": self.name, "description": self.description}


@dataclass(frozen=True)
class Credential:
    client_id: str
    secret: str
    tenant_id: str
    service_id: str
    roles: tuple[str, ...]  # role keys
    description: str = ""
    # Credentials created through the API keep only a hash of their secret (``secret`` is empty).
    secret_hash: str = ""

    def verify(self, secret: str) -> bool:
        if self.secret_hash:
            return verify_secret(secret, self.secret_hash)
        return hmac.compare_digest(self.secret.encode(), secret.encode())


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    sub_id: str
    service_ids: tuple[str, ...]


@dataclass(frozen=True)
class Principal:
    """The caller of one request, already scoped to one tenant and service."""

    client_id: str
    tenant_id: str
    service_id: str
    sub_id: str
    permissions: frozenset[str] = field(default_factory=frozenset)

    def require(self, permission: str) -> None:
        if permission not in self.permissions:
            raise Forbidden(f"The credential '{self.client_id}' lacks the '{permission}' permission")


class Directory:
    """The tenants, roles and fixture credentials loaded from ``fixtures/tenants.json``."""

    def __init__(self, tenants: list[Tenant], roles: list[Role], credentials: list[Credential]) -> None:
        self.tenants = {t.id: t for t in tenants}
        self.roles = {r.key: r for r in roles}
        self._credentials = {c.client_id: c for c in credentials}
        # Later sources of credentials (e.g. ones created through the API) plug in here.
        self.extra_lookups: list[Callable[[str], Credential | None]] = []
        # Tenants created at run time (``POST /__mock/tenants``) plug in here: (tenant, its built-in credentials).
        self.extra_tenants: list[Callable[[str], tuple[Tenant, list[Credential]] | None]] = []

    @classmethod
    def load(cls, path: Path) -> "Directory":
        data = json.loads(path.read_text(encoding="utf-8"))
        roles = [
            Role(r["id"], r["key"], r["name"], r.get("description", ""), frozenset(r["permissions"]))
            for r in data["roles"]
        ]
        tenants, credentials = [], []
        for t in data["tenants"]:
            tenants.append(Tenant(t["id"], t["name"], t["sub_id"], tuple(s["id"] for s in t["services"])))
            for c in t["credentials"]:
                credentials.append(
                    Credential(c["client_id"], c["secret"], t["id"], c["service_id"], tuple(c["roles"]), c.get("description", ""))
                )
        return cls(tenants, roles, credentials)

    def fixture_credentials(self) -> list[Credential]:
        return list(self._credentials.values())

    def _runtime(self, tenant_id: str) -> tuple[Tenant, list[Credential]] | None:
        return next((found for found in (lookup(tenant_id) for lookup in self.extra_tenants) if found), None)

    def tenant(self, tenant_id: str) -> Tenant | None:
        """A fixture tenant, or one created at run time."""
        if tenant_id in self.tenants:
            return self.tenants[tenant_id]
        runtime = self._runtime(tenant_id)
        return runtime[0] if runtime else None

    def builtin_credentials(self, tenant_id: str) -> list[Credential]:
        """The credentials a tenant comes with (not the ones created through the API)."""
        if tenant_id in self.tenants:
            return [c for c in self._credentials.values() if c.tenant_id == tenant_id]
        runtime = self._runtime(tenant_id)
        return runtime[1] if runtime else []

    def credential(self, client_id: str) -> Credential | None:
        if client_id in self._credentials:
            return self._credentials[client_id]
        return next((c for c in (lookup(client_id) for lookup in self.extra_lookups) if c is not None), None)

    def principal_for(self, credential: Credential) -> Principal:
        permissions: set[str] = set()
        for key in credential.roles:
            role = self.roles.get(key)
            if role is not None:
                permissions |= role.permissions
        tenant = self.tenant(credential.tenant_id)
        if tenant is None:  # its tenant was deleted
            raise Unauthorized("Invalid or revoked token")
        return Principal(credential.client_id, tenant.id, credential.service_id, tenant.sub_id, frozenset(permissions))

    def act_as(self, principal: Principal, tenant_id: str | None, service_id: str | None) -> Principal:
        """Apply the admin headers: only a cross-tenant admin may move to another tenant or service."""
        if tenant_id is None and service_id is None:
            return principal
        if CROSS_TENANT not in principal.permissions:
            raise Forbidden("Admin headers are only allowed for admin credentials")
        tenant = self.tenant(tenant_id or principal.tenant_id)
        if tenant is None:
            raise Forbidden(f"Unknown tenant '{tenant_id}'")
        service = service_id or (principal.service_id if tenant.id == principal.tenant_id else tenant.service_ids[0])
        if service not in tenant.service_ids:
            raise Forbidden(f"Unknown service '{service}' for tenant '{tenant.id}'")
        return replace(principal, tenant_id=tenant.id, service_id=service, sub_id=tenant.sub_id)


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    refresh_token: str
    expires_at: float
    expires_in: int

    def public(self) -> dict:
        expires = datetime.fromtimestamp(self.expires_at, tz=timezone.utc).isoformat().replace("+00:00", "Z")
        return {
            "accessToken": self.access_token,
            "expires": expires,
            "expiresIn": self.expires_in,
            "refreshToken": self.refresh_token,
        }


class TokenService:
    """Issues opaque bearer tokens and resolves them back to a principal.

    Tokens live in memory: a restart logs every client out, which the provider
    handles by asking for a new token at start-up.
    """

    def __init__(self, directory: Directory, ttl: float, clock: Callable[[], float] = time.time) -> None:
        self._directory = directory
        self._ttl = ttl
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (client_id, expires_at)

    def issue(self, client_id: str, secret: str) -> IssuedToken:
        credential = self._directory.credential(client_id)
        if credential is None or not credential.verify(secret):
            raise Unauthorized("Invalid client_id or secret")
        now = self._clock()
        # Forget tokens nobody can use any more, so a long-lived server does not grow.
        self._tokens = {t: entry for t, entry in self._tokens.items() if entry[1] > now}
        expires_at = now + self._ttl
        token = ids.secret()
        self._tokens[token] = (client_id, expires_at)
        return IssuedToken(token, ids.secret(), expires_at, int(self._ttl))

    def resolve(self, authorization: str | None) -> Principal:
        if not authorization:
            raise Unauthorized("Not authenticated: send 'Authorization: Bearer <token>'")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("Malformed Authorization header: expected 'Bearer <token>'")
        entry = self._tokens.get(token)
        if entry is None:
            raise Unauthorized("Invalid or revoked token")
        client_id, expires_at = entry
        if self._clock() >= expires_at:
            del self._tokens[token]
            raise Unauthorized("Token expired")
        credential = self._directory.credential(client_id)
        if credential is None:
            raise Unauthorized("Invalid or revoked token")
        return self._directory.principal_for(credential)

    def client_of(self, authorization: str | None) -> str | None:
        """The client id a bearer token was issued to, expired or not; forgets nothing (for logs and faults)."""
        scheme, _, token = (authorization or "").partition(" ")
        entry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        return entry[0] if entry else None

    def revoke_client(self, client_id: str) -> None:
        for token in [t for t, (cid, _) in self._tokens.items() if cid == client_id]:
            del self._tokens[token]
