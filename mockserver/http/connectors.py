"""Routes of ``/sources`` and ``/destinations``: the same shapes for both."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from mockserver.domain.connectors import ConnectorInput, ConnectorService, Filters
from mockserver.domain.records import Page, envelope
from mockserver.domain.tenancy import READ, WRITE
from mockserver.http.common import (
    authenticate, backend, parse_body, query_bool, query_list, query_page, respond,
)
from mockserver.models import (
    ConnectorBrief, ConnectorEntity, ConnectorRequest, ConnectorSearch, ConnectorType, Envelope,
)

EntityEnvelope = Envelope[ConnectorEntity]


def connector_routes(entity_type: str) -> list[Route]:
    def service(request: Request) -> ConnectorService:
        return backend(request).connectors[entity_type]

    def to_input(body: ConnectorRequest) -> ConnectorInput:
        return ConnectorInput(
            name=body.name, connector=body.connector, config=body.config,
            created_from=body.created_from, tags=body.tags, kc_cluster_id=body.kc_cluster_id,
        )

    def listing(request: Request, page: Page, filters: Filters):
        svc = service(request)
        total, records = svc.list(authenticate(request, READ), page, filters)
        secret_returned = query_bool(request, "secret_returned")
        result = [svc.present(r, secret_returned=secret_returned) for r in records]
        return respond(EntityEnvelope, envelope(page, total, result))

    async def list_all(request: Request):
        filters = Filters(
            ids=query_list(request, "ids"),
            partial_name=request.query_params.get("partial_name"),
            connectors=query_list(request, "connector"),
            statuses=query_list(request, "status"),
        )
        return listing(request, query_page(request), filters)

    async def search(request: Request):
        authenticate(request, READ)
        body = await parse_body(request, ConnectorSearch)
        as_list = lambda v: [v] if isinstance(v, str) else v  # noqa: E731
        filters = Filters(
            ids=body.ids, partial_name=body.partial_name,
            connectors=as_list(body.connector), statuses=as_list(body.status),
        )
        return listing(request, Page(body.page, body.page_size), filters)

    async def get_one(request: Request):
        # The provider reads one entity through the list envelope; gone means an empty result.
        who = authenticate(request, READ)
        svc = service(request)
        record = svc.get(who, request.path_params["id"])
        secret_returned = query_bool(request, "secret_returned")
        result = [svc.present(record, secret_returned=secret_returned)] if record else []
        return respond(EntityEnvelope, envelope(Page(1, 10), len(result), result))

    async def brief(request: Request):
        svc = service(request)
        records = svc.find(authenticate(request, READ))
        return respond(dict[str, list[ConnectorBrief]], {"result": [svc.present_brief(r) for r in records]})

    async def connectors(request: Request):
        authenticate(request, READ)
        plugins = backend(request).plugins.all(entity_type)
        return respond(dict[str, list[ConnectorType]], {"result": [p.describe() for p in plugins]})

    async def create(request: Request):
        who = authenticate(request, WRITE)
        body = await parse_body(request, ConnectorRequest)
        query_bool(request, "wait", True)  # accepted and validated; the mock's work is never slow
        svc = service(request)
        record = await svc.create(who, to_input(body))
        return respond(ConnectorEntity, svc.present(record, secret_returned=query_bool(request, "secret_returned")))

    async def update(request: Request):
        who = authenticate(request, WRITE)
        body = await parse_body(request, ConnectorRequest)
        query_bool(request, "wait", True)  # accepted and validated; the mock's work is never slow
        svc = service(request)
        record = await svc.update(who, request.path_params["id"], to_input(body))
        return respond(ConnectorEntity, svc.present(record, secret_returned=query_bool(request, "secret_returned")))

    async def delete(request: Request):
        who = authenticate(request, WRITE)
        svc = service(request)
        record = svc.delete(who, request.path_params["id"], wait=query_bool(request, "wait", True))
        return respond(ConnectorEntity, svc.present(record, secret_returned=query_bool(request, "secret_returned")))

    async def action(request: Request):
        who = authenticate(request, WRITE)
        svc = service(request)
        record = svc.act(who, request.path_params["id"], request.path_params["action"])
        return respond(ConnectorEntity, svc.present(record, secret_returned=query_bool(request, "secret_returned")))

    prefix = f"/{entity_type}"
    routes = [
        Route(prefix, list_all, methods=["GET"]),
        Route(prefix, create, methods=["POST"]),
        Route(f"{prefix}/search", search, methods=["POST"]),
        Route(f"{prefix}/brief", brief, methods=["GET"]),
        Route(f"{prefix}/connectors", connectors, methods=["GET"]),
        Route(prefix + "/{id}", get_one, methods=["GET"]),
        Route(prefix + "/{id}", update, methods=["PUT"]),
        Route(prefix + "/{id}", delete, methods=["DELETE"]),
    ]
    if entity_type == "sources":  # the backend documents actions for sources only
        routes.append(Route(prefix + "/{id}/actions/{action}", action, methods=["POST"]))
    return routes
