"""Bodies of the auth endpoints."""

from __future__ import annotations


from mockserver.models.base import Model
from mockserver.models.common import Body


class AccessTokenRequest(Body):
    client_id: str
    secret: str


class AccessTokenResponse(Model):
    accessToken: str
    expires: str
    expiresIn: int
    refreshToken: str
