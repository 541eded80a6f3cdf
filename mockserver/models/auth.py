"""Bodies of the auth endpoints."""

from __future__ import annotations

from pydantic import BaseModel

from mockserver.models.common import Body


class AccessTokenRequest(Body):
    client_id: str
    secret: str


class AccessTokenResponse(BaseModel):
    accessToken: str
    expires: str
    expiresIn: int
    refreshToken: str
