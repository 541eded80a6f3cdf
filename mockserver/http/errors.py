"""The one place where errors become HTTP responses: ``{"detail": ...}`` with a status."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mockserver.errors import ApiError
from mockserver.http.access_log import quoted

log = logging.getLogger("streamkap_mock")


def validation_detail(exc: ValidationError, location: str) -> list[dict]:
    """FastAPI's list form: ``[{"loc": [...], "msg": ..., "type": ...}]``."""
    return [
        {"loc": [location, *error["loc"]], "msg": error["msg"], "type": error["type"]}
        for error in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def render(exc: ApiError) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status)


async def api_error(request: Request, exc: ApiError) -> JSONResponse:
    return render(exc)


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names the methods of the first route on the path only; a path
        # served by several single-method routes allows all of theirs.
        headers["Allow"] = ", ".join(allowed_methods(request))
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Methods of every route on this path; a literal path (``/sources/brief``) hides ``/sources/{id}``."""
    # Within a mounted app (the control plane) routes see the path below the mount point.
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))
    matching = [route for route in request.app.routes
                if isinstance(route, Route) and route.methods and route.path_regex.fullmatch(path)]
    literal = [route for route in matching if not route.param_convertors]
    return sorted({method for route in literal or matching for method in route.methods})


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", quoted(request.method), quoted(request.url.path))
    return JSONResponse({"detail": "Internal server error"}, status_code=500)


HANDLERS = {ApiError: api_error, HTTPException: http_error, Exception: unexpected_error}
