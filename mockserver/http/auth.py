"""``POST /auth/access-token`` (also under ``/api``, where the 2.x provider asks)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from mockserver.http.common import backend, parse_body, respond
from mockserver.models import AccessTokenRequest, AccessTokenResponse


async def access_token(request: Request):
    body = await parse_body(request, AccessTokenRequest)
    token = backend(request).tokens.issue(body.client_id, body.secret)
    return respond(AccessTokenResponse, token.public())


routes = [
    Route("/auth/access-token", access_token, methods=["POST"]),
    Route("/api/auth/access-token", access_token, methods=["POST"]),
]
