"""Routes of ``/auth/roles`` and ``/auth/client-credentials``."""

from __future__ import annotations

from starlette.requests import Request

from mockserver.domain.credentials import CredentialInput, CredentialService
from mockserver.domain.tenancy import READ, WRITE
from mockserver.http.common import authenticate, backend, parse_body, respond
from mockserver.http.routing import operation
from mockserver.models.credentials import (
    ClientCredential, ClientCredentialRequest, CreatedClientCredential, Role,
)


def _service(request: Request) -> CredentialService:
    return backend(request).credentials


async def list_roles(request: Request):
    authenticate(request, READ)
    return respond(list[Role], [r.public() for r in _service(request).roles()])


async def list_credentials(request: Request):
    who = authenticate(request, READ)
    return respond(list[ClientCredential], _service(request).list(who))


async def create_credential(request: Request):
    who = authenticate(request, WRITE)
    body = await parse_body(request, ClientCredentialRequest)
    created = _service(request).create(who, CredentialInput(
        role_ids=body.role_ids, description=body.description,
        service_id=body.service_id, created_from=body.created_from,
    ))
    return respond(CreatedClientCredential, created)


async def delete_credential(request: Request):
    who = authenticate(request, WRITE)
    return respond(ClientCredential, _service(request).delete(who, request.path_params["client_id"]))


routes = [
    operation("GET", "/auth/roles", list_roles, operation_id="list_roles", tag="auth",
              summary="The roles a client credential can hold (a bare array)", response=list[Role]),
    operation("GET", "/auth/client-credentials", list_credentials, operation_id="list_client_credentials",
              tag="auth", summary="Client credentials of the caller's tenant, without secrets",
              response=list[ClientCredential]),
    operation("POST", "/auth/client-credentials", create_credential, operation_id="create_client_credential",
              tag="auth", summary="Create a client credential; its secret is shown in this response only",
              body=ClientCredentialRequest, response=CreatedClientCredential, errors=(400,)),
    operation("DELETE", "/auth/client-credentials/{client_id}", delete_credential,
              operation_id="delete_client_credential", tag="auth",
              summary="Delete a client credential and revoke its tokens", response=ClientCredential,
              errors=(404,)),
]
