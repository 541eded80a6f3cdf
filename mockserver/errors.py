"""Every error the emulated API can answer with.

Domain code raises these; the HTTP layer renders each one as
``{"detail": ...}`` with its status, in one place (``mockserver.http.errors``).
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    status: int = 400
    default_detail: str = "Bad request"

    def __init__(self, detail: Any = None) -> None:
        self.detail = self.default_detail if detail is None else detail
        super().__init__(str(self.detail))


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401
    default_detail = "Not authenticated"


class Forbidden(ApiError):
    status = 403
    default_detail = "Forbidden"


class NotFound(ApiError):
    status = 404
    default_detail = "Entity not found"


class Conflict(ApiError):
    status = 409
    default_detail = "Entity with this name already exists"


class Unprocessable(ApiError):
    status = 422


class PayloadTooLarge(ApiError):
    status = 413


class StorageFailed(ApiError):
    """The change could not be saved, so it was not made."""

    status = 503
    default_detail = "Storage failed; nothing was written"


class StorageFull(StorageFailed):
    status = 507
    default_detail = "Storage is full; nothing was written"


class StartupError(Exception):
    """Not an API answer: the server cannot start (unreadable db file, lost or wrong key)."""
