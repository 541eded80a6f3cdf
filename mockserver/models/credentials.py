"""Bodies of /auth/roles and /auth/client-credentials."""

from __future__ import annotations

from pydantic import Field

from mockserver.models.base import Model
from mockserver.models.common import Body, EntityOrigin


class Role(Model):
    id: str
    key: str
    name: str
    description: str


class ClientCredentialRequest(Body):
    role_ids: list[str] = Field(min_length=1)
    description: str | None = None
    service_id: str | None = None
    created_from: EntityOrigin | None = None


class ClientCredential(Model):
    client_id: str
    description: str
    created_at: str | None
    roles: list[Role]
    service_id: str


class CreatedClientCredential(ClientCredential):
    # Shown in this response only; the server keeps a hash.
    secret: str
