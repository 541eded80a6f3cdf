"""The one place where errors become HTTP responses: ``{"detail": ...}`` with a status."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from mockserver.errors import ApiError

log = logging.getLogger("streamkap_mock")


def validation_detail(exc: ValidationError, location: str) -> list[dict]:
    """FastAPI's list form: ``[{"loc": [...], "msg": ..., "type": ...}]``."""
    return [
        {"loc": [location, *error["loc"]], "msg": error["msg"], "type": error["type"]}
        for error in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


async def api_error(request: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status)


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "Internal server error"}, status_code=500)


HANDLERS = {ApiError: api_error, HTTPException: http_error, Exception: unexpected_error}
