"""Routes of the control plane, mounted at ``/__mock``, and their own OpenAPI document.

Emulated-API tokens never work here: with an admin token configured every
route but health wants exactly that bearer token, and without one the
control plane is open (a local test tool). ``--no-admin`` leaves it unmounted.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timezone
from functools import cache
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Mount, Route

from mockserver import __version__
from mockserver.control import models
from mockserver.control.coverage import Catalogue, coverage
from mockserver.control.faults import PRESETS, path_pattern
from mockserver.control.journal import Filters, cassette
from mockserver.control.plane import ControlPlane
from mockserver.control.snapshots import NAME_PATTERN, check_name
from mockserver.errors import Unauthorized, Unprocessable
from mockserver.http.common import parse_body, query_choice, query_int, respond
from mockserver.http.docs import swagger_page
from mockserver.http.errors import HANDLERS
from mockserver.http.openapi import build_document, operations_of
from mockserver.http.routes import api_routes
from mockserver.http.routing import Param, operation
from mockserver.settings import shipped_seeds

PREFIX = "/__mock"
TAG = "control"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
YAML = "application/yaml"
NAME = {"name": {"type": "string", "pattern": NAME_PATTERN}}
CASSETTE_SCHEMA = {  # go-vcr v4's cassette file (format version 2)
    "type": "object", "required": ["version", "interactions"],
    "properties": {"version": {"const": 2},
                   "interactions": {"type": "array", "items": {
                       "type": "object", "required": ["id", "request", "response"]}}},
}


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
    await control.reset(tenant=body.tenant, revoke_tokens=body.revoke_tokens)
    return respond(models.Ok, {"status": "ok"})


async def add_seed(request: Request):
    control = guard(request)
    body = await parse_body(request, models.SeedRequest)
    created = await control.add_seed(body.model_dump(exclude_unset=True))
    return respond(models.SeedResult, {"created": created}, status=201)


async def add_shipped_seed(request: Request):
    created = await guard(request).add_shipped_seed(request.path_params["name"])
    return respond(models.SeedResult, {"created": created}, status=201)


async def list_shipped_seeds(request: Request):
    guard(request)
    return respond(models.ShippedSeedList, {"result": list(shipped_seeds())})


async def save_snapshot(request: Request):
    control = guard(request)
    return respond(models.Snapshot, control.save_snapshot(check_name(request.path_params["name"])), status=201)


async def restore_snapshot(request: Request):
    control = guard(request)
    return respond(models.Snapshot, control.restore_snapshot(check_name(request.path_params["name"])))


async def list_snapshots(request: Request):
    snapshots = guard(request).list_snapshots()
    return respond(models.SnapshotList, {"total": len(snapshots), "result": snapshots})


async def delete_snapshot(request: Request):
    guard(request).snapshots.delete(request.path_params["name"])
    return respond(models.Removed, {"removed": 1})


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


async def add_fault(request: Request):
    control = guard(request)
    body = await parse_body(request, models.FaultRequest)
    rule = control.faults.add(match=body.match.model_dump(), respond=body.respond.model_dump(exclude_unset=True),
                              preset=body.preset,
                              times=body.times, after=body.after, probability=body.probability, seed=body.seed)
    return respond(models.FaultRule, rule.public(), status=201)


async def list_faults(request: Request):
    rules = [rule.public() for rule in guard(request).faults.all()]
    return respond(models.FaultList, {"total": len(rules), "result": rules})


async def clear_faults(request: Request):
    return respond(models.Removed, {"removed": guard(request).faults.clear()})


async def remove_fault(request: Request):
    guard(request).faults.remove(request.path_params["id"])
    return respond(models.Removed, {"removed": 1})


async def fault_presets(request: Request):
    guard(request)
    return respond(models.PresetList, {"result": [preset.public() for preset in PRESETS.values()]})


def _since(request: Request) -> float | None:
    raw = request.query_params.get("since")
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise Unprocessable([{"loc": ["query", "since"], "msg": "Input should be an ISO 8601 date and time",
                              "type": "datetime_parsing"}]) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


async def list_requests(request: Request):
    control = guard(request)
    query = request.query_params
    status = query_int(request, "status", 0, 100, 599)
    filters = Filters(
        method=query_choice(request, "method", METHODS),
        path=path_pattern(query.get("path"), query.get("path_regex")),
        status=status or None,
        client_id=query.get("client_id"),
        tenant_id=query.get("tenant"),
        since=_since(request),
    )
    fmt = query_choice(request, "format", ("json", "cassette")) or "json"
    entries = await run_in_threadpool(control.journal.select, filters)  # a path_regex runs off the loop
    if fmt == "cassette":  # a sync iterator: Starlette runs it on a worker thread
        return StreamingResponse(cassette(entries), media_type=YAML)
    # Bodies are parsed, masked and rendered off the loop too: a full journal is tens of megabytes.
    return await run_in_threadpool(lambda: respond(models.JournalPage, {
        "total": len(entries), "result": [e.public() for e in entries]}))


async def clear_requests(request: Request):
    return respond(models.Removed, {"removed": guard(request).journal.clear()})


@cache
def _catalogue() -> Catalogue:
    return Catalogue((op.operation_id, op.method, op.path) for op in operations_of(api_routes()))


async def get_coverage(request: Request):
    journal = guard(request).journal
    # Off the loop, as the journal's own listing: it reads the bodies of a journal of up to 64 MiB.
    return await run_in_threadpool(lambda: respond(models.Coverage, coverage(_catalogue(), journal.select())))


async def create_tenant(request: Request):
    control = guard(request)
    body = await optional_body(request, models.TenantCreate)
    return respond(models.TenantInfo, control.create_tenant(body.name), status=201)


async def list_tenants(request: Request):
    tenants = guard(request).list_tenants()
    return respond(models.TenantList, {"total": len(tenants), "result": tenants})


async def delete_tenant(request: Request):
    return respond(models.TenantInfo, guard(request).delete_tenant(request.path_params["id"]))


async def openapi_json(request: Request):
    guard(request)  # like every control route but health
    return JSONResponse(document())


async def docs_page(request: Request):
    return swagger_page("streamkap-mock control plane", PREFIX + "/openapi.json")


routes = [
    operation("GET", "/health", health, operation_id="mock_health", tag=TAG, auth=False,
              summary="Liveness and a summary of the state (no token needed)", response=models.Health),
    operation("POST", "/reset", reset, operation_id="mock_reset", guard=guard, tag=TAG, body=models.ResetRequest,
              summary="Back to the fixtures and the seed (everything, or one tenant)", response=models.Ok,
              errors=(400, 409)),
    operation("POST", "/seed", add_seed, operation_id="mock_seed", guard=guard, tag=TAG, body=models.SeedRequest,
              response=models.SeedResult, status=201, errors=(400, 409),
              summary="Create entities with fixed ids, by the API's rules (all or none)"),
    operation("GET", "/seeds", list_shipped_seeds, operation_id="mock_list_shipped_seeds", guard=guard, tag=TAG,
              response=models.ShippedSeedList, summary="The seeds shipped with the package, by name"),
    operation("POST", "/seeds/{name}", add_shipped_seed, operation_id="mock_seed_shipped", guard=guard, tag=TAG,
              response=models.SeedResult, status=201, errors=(400, 404, 409),
              summary="Create the entities of a shipped seed (e.g. provider-acceptance) now"),
    operation("POST", "/snapshots/{name}", save_snapshot, operation_id="mock_save_snapshot", guard=guard, tag=TAG,
              response=models.Snapshot, status=201, errors=(422,), path_params=NAME,
              summary="Save the whole state under a name (replacing one of that name)"),
    operation("POST", "/snapshots/{name}/restore", restore_snapshot, operation_id="mock_restore_snapshot", guard=guard,
              tag=TAG, response=models.Snapshot, errors=(404, 409, 422), path_params=NAME,
              summary="Put the state saved under a name back (409, nothing changed, if it would not fit)"),
    operation("GET", "/snapshots", list_snapshots, operation_id="mock_list_snapshots", guard=guard, tag=TAG,
              response=models.SnapshotList, summary="The saved snapshots"),
    operation("DELETE", "/snapshots/{name}", delete_snapshot, operation_id="mock_delete_snapshot", guard=guard, tag=TAG,
              response=models.Removed, errors=(404, 422), path_params=NAME, summary="Delete a snapshot"),
    operation("GET", "/clock", get_clock, operation_id="mock_clock", guard=guard, tag=TAG,
              summary="The virtual clock", response=models.ClockState),
    operation("POST", "/clock/advance", advance_clock, operation_id="mock_clock_advance", guard=guard, tag=TAG,
              body=models.ClockAdvance, response=models.ClockState,
              summary="Move the virtual clock forward: status delays, delete grace, token expiry, jobs"),
    operation("PUT", "/connectors/{id}/status", force_status, operation_id="mock_force_status", guard=guard, tag=TAG,
              body=models.ForcedStatus, response=models.ConnectorStatus, errors=(400, 404),
              summary="Force a source's or destination's status (e.g. Broken with a task trace)"),
    operation("POST", "/faults", add_fault, operation_id="mock_add_fault", guard=guard, tag=TAG, body=models.FaultRequest,
              response=models.FaultRule, status=201, errors=(400,),
              summary="Add a fault rule: matching requests get an error, a delay or a dropped connection"),
    operation("GET", "/faults", list_faults, operation_id="mock_list_faults", guard=guard, tag=TAG, response=models.FaultList,
              summary="The fault rules with their hit counts"),
    operation("DELETE", "/faults", clear_faults, operation_id="mock_clear_faults", guard=guard, tag=TAG,
              response=models.Removed, summary="Remove every fault rule"),
    operation("GET", "/faults/presets", fault_presets, operation_id="mock_fault_presets", guard=guard, tag=TAG,
              response=models.PresetList, summary="Named faults: every error the provider retries, and more"),
    operation("DELETE", "/faults/{id}", remove_fault, operation_id="mock_remove_fault", guard=guard, tag=TAG,
              response=models.Removed, errors=(404,), summary="Remove one fault rule"),
    operation("GET", "/requests", list_requests, operation_id="mock_requests", guard=guard, tag=TAG,
              response=models.JournalPage, errors=(400,),
              summary="The request journal (oldest first), filtered; format=cassette gives go-vcr v4 YAML",
              query=(Param("method", {"type": "string", "enum": list(METHODS)}),
                     Param("path", {"type": "string"}, "Path template, matched whole: /sources/{id}"),
                     Param("path_regex", {"type": "string"}, "Regular expression searched in the path"),
                     Param("status", {"type": "integer", "minimum": 100, "maximum": 599}),
                     Param("client_id", {"type": "string"}),
                     Param("tenant", {"type": "string"}),
                     Param("since", {"type": "string", "format": "date-time"}, "Only requests from then on"),
                     Param("format", {"type": "string", "enum": ["json", "cassette"], "default": "json"}))),
    operation("DELETE", "/requests", clear_requests, operation_id="mock_clear_requests", guard=guard, tag=TAG,
              response=models.Removed, summary="Empty the request journal"),
    operation("GET", "/coverage", get_coverage, operation_id="mock_coverage", guard=guard, tag=TAG,
              response=models.Coverage,
              summary="Per operation of the contract: calls and statuses; per connector type: creates, updates, "
                      "deletes (from the request journal)"),
    operation("POST", "/tenants", create_tenant, operation_id="mock_create_tenant", guard=guard, tag=TAG,
              body=models.TenantCreate, response=models.TenantInfo, status=201,
              summary="Create an isolated tenant (one service, an admin and a read-only credential); "
                      "the answer is the only one with the secrets"),
    operation("GET", "/tenants", list_tenants, operation_id="mock_list_tenants", guard=guard, tag=TAG,
              response=models.TenantList, summary="The fixture tenants and the ones created at run time"),
    operation("DELETE", "/tenants/{id}", delete_tenant, operation_id="mock_delete_tenant", guard=guard, tag=TAG,
              response=models.TenantInfo, errors=(404, 409),
              summary="Drop a tenant created at run time with everything it owns (fixture tenants: 409)"),
]


def document() -> dict:
    """The control plane's OpenAPI document (``/__mock/openapi.json``, ``contracts/control-openapi.json``)."""
    doc = build_document(operations_of(routes), examples_dir=None)
    doc["info"] = {
        "title": "streamkap-mock control plane",
        "version": __version__,
        "description": "Test controls of streamkap-mock under /__mock, not part of the Streamkap API: reset, "
                       "seed, snapshots, faults, the request journal and the virtual clock. Open unless the "
                       "server was started with --admin-token; then Authorize with that token.",
    }
    doc["paths"] = {PREFIX + path: spec for path, spec in doc["paths"].items()}
    doc["paths"][PREFIX + "/requests"]["get"]["responses"]["200"]["content"][YAML] = {"schema": CASSETTE_SCHEMA}
    doc["paths"][PREFIX + "/reset"]["post"]["requestBody"]["required"] = False  # no body: reset everything
    doc["paths"][PREFIX + "/tenants"]["post"]["requestBody"]["required"] = False  # no body: a generated name
    return doc


def mount(control: ControlPlane) -> Mount:
    app = Starlette(routes=[*routes, Route("/openapi.json", openapi_json, methods=["GET"]),
                            Route("/docs", docs_page, methods=["GET"])],
                    exception_handlers=HANDLERS)
    app.state.plane = control
    return Mount(PREFIX, app=app)
