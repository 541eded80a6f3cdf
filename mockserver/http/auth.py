"""``POST /auth/access-token`` (also under ``/api``, where the 2.x provider asks)."""

from __future__ import annotations

from starlette.requests import Request

from mockserver.http.common import backend, parse_body, respond
from mockserver.http.routing import operation
from mockserver.models.auth import AccessTokenRequest, AccessTokenResponse


async def access_token(request: Request):
    body = await parse_body(request, AccessTokenRequest)
    token = backend(request).tokens.issue(body.client_id, body.secret)
    return respond(AccessTokenResponse, token.public())


_token_spec = dict(summary="Exchange client credentials for an access token", tag="auth",
                   body=AccessTokenRequest, response=AccessTokenResponse, errors=(401,), auth=False)

routes = [
    operation("POST", "/auth/access-token", access_token, operation_id="get_access_token", **_token_spec),
    operation("POST", "/api/auth/access-token", access_token, operation_id="get_access_token_api", **_token_spec),
]
