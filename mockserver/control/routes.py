"""Routes of the control plane, mounted at ``/__mock``, and their own OpenAPI document.

Emulated-API tokens never work here: with an admin token configured every
route but health wants exactly that bearer token, and without one the
control plane is open (a local test tool). ``--no-admin`` leaves it unmounted.
"""

from __future__ import annotations

import hmac
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from mockserver.control import models
from mockserver.control.plane import ControlPlane
from mockserver.errors import Unauthorized
from mockserver.http.common import parse_body, respond
from mockserver.http.errors import HANDLERS
from mockserver.http.openapi import build_document, operations_of
from mockserver.http.routing import operation

PREFIX = "/__mock"
TAG = "control"


def plane(request: Request) -> ControlPlane:
    return request.app.state.plane


def guard(request: Request) -> ControlPlane:
    """The control plane, once the caller has shown the admin token (when one is configured)."""
    control = plane(request)
    expected = control.settings.admin_token
    if expected:
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
            raise Unauthorized("The control plane wants 'Authorization: Bearer <admin token>'")
    return control


async def optional_body(request: Request, model: type[models.Strict]) -> Any:
    """A body that may be left out entirely (its defaults then apply)."""
    if not await request.body():
        return model()
    return await parse_body(request, model)


# ---- handlers ---------------------------------------------------------------

async def health(request: Request):
    return respond(models.Health, plane(request).health())


async def reset(request: Request):
    control = guard(request)
    body = await optional_body(request, models.ResetRequest)
    control.reset(tenant=body.tenant, revoke_tokens=body.revoke_tokens)
    return respond(models.Ok, {"status": "ok"})


async def get_clock(request: Request):
    return respond(models.ClockState, guard(request).clock_state())


async def advance_clock(request: Request):
    control = guard(request)
    body = await parse_body(request, models.ClockAdvance)
    control.clock.advance(body.seconds)
    return respond(models.ClockState, control.clock_state())


async def force_status(request: Request):
    control = guard(request)
    body = await parse_body(request, models.ForcedStatus)
    return respond(models.ConnectorStatus, control.force_status(
        request.path_params["id"], body.status, trace=body.trace, then=body.then, after=body.after))


async def openapi_json(request: Request):
    return JSONResponse(document())


routes = [
    operation("GET", "/health", health, operation_id="mock_health", tag=TAG, auth=False,
              summary="Liveness and a summary of the state (no token needed)", response=models.Health),
    operation("POST", "/reset", reset, operation_id="mock_reset", tag=TAG, body=models.ResetRequest,
              summary="Back to the fixtures and the seed (everything, or one tenant)", response=models.Ok,
              errors=(400,)),
    operation("GET", "/clock", get_clock, operation_id="mock_clock", tag=TAG,
              summary="The virtual clock", response=models.ClockState),
    operation("POST", "/clock/advance", advance_clock, operation_id="mock_clock_advance", tag=TAG,
              body=models.ClockAdvance, response=models.ClockState,
              summary="Move the virtual clock forward: status delays, delete grace, token expiry, jobs"),
    operation("PUT", "/connectors/{id}/status", force_status, operation_id="mock_force_status", tag=TAG,
              body=models.ForcedStatus, response=models.ConnectorStatus, errors=(400, 404),
              summary="Force a source's or destination's status (e.g. Broken with a task trace)"),
]


def document() -> dict:
    """The control plane's OpenAPI document (``/__mock/openapi.json``, ``contracts/control-openapi.json``)."""
    doc = build_document(operations_of(routes), examples_dir=None)
    doc["info"] = {
        "title": "streamkap-mock control plane",
        "version": "0.1.0",
        "description": "Test controls of streamkap-mock under /__mock (not part of the Streamkap API); "
                       "regenerate with `streamkap-mock openapi --control > contracts/control-openapi.json`.",
    }
    doc["paths"] = {PREFIX + path: spec for path, spec in doc["paths"].items()}
    return doc


def mount(control: ControlPlane) -> Mount:
    app = Starlette(routes=[*routes, Route("/openapi.json", openapi_json, methods=["GET"])],
                    exception_handlers=HANDLERS)
    app.state.plane = control
    return Mount(PREFIX, app=app)
