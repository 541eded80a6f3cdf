"""Routes of ``/sources`` and ``/destinations``: the same shapes for both."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from mockserver.domain import status as lifecycle

from mockserver.domain.connectors import SINGULAR, ConnectorInput, ConnectorService, Filters
from mockserver.domain.records import Page, envelope, envelope_of_one
from mockserver.domain.tenancy import READ, WRITE, Principal
from mockserver.http.common import (
    authenticate, backend, parse_body, show_secrets, path_id, query_bool, query_list, query_page, respond, query_value,
)
from mockserver.http.routing import (
    OBJECT_ID, PAGE, PAGE_SIZE, PARTIAL_NAME, SECRET_RETURNED, UNWIND_TOPICS, WAIT, Param, operation,
)
from mockserver.models.connectors import (
    BriefList, ConnectorEntity, ConnectorEnvelope, ConnectorRequest, ConnectorSearch,
    ConnectorTypeList,
)


def _to_input(body: ConnectorRequest) -> ConnectorInput:
    return ConnectorInput(
        name=body.name, connector=body.connector, config=body.config,
        created_from=body.created_from, tags=body.tags, kc_cluster_id=body.kc_cluster_id,
    )


def connector_routes(entity_type: str) -> list[Route]:
    def service(request: Request) -> ConnectorService:
        return backend(request).connectors[entity_type]

    def presenter(request: Request, written: bool = False):
        """How this request shows an entity; its query flags are checked here, even if nothing is shown."""
        svc = service(request)
        secret_returned = show_secrets(request)
        unwind_topics = query_bool(request, "unwind_topics", True)
        return lambda record: svc.present(record, secret_returned=secret_returned, unwind_topics=unwind_topics,
                                          written=written)

    def entity(request: Request, record: dict, written: bool = False):
        return respond(ConnectorEntity, presenter(request, written)(record))

    def listing(request: Request, who: Principal, page: Page, filters: Filters):
        shown = presenter(request)
        total, records = service(request).list(who, page, filters)
        return respond(ConnectorEnvelope, envelope(page, total, [shown(r) for r in records]))

    async def list_all(request: Request):
        who = authenticate(request, READ)
        filters = Filters(
            ids=query_list(request, "ids"),
            partial_name=query_value(request, "partial_name"),
            connectors=query_list(request, "connector"),
            statuses=query_list(request, "status"),
        )
        return listing(request, who, query_page(request), filters)

    async def search(request: Request):
        who = authenticate(request, READ)
        body = await parse_body(request, ConnectorSearch)
        as_list = lambda v: [v] if isinstance(v, str) else v  # noqa: E731
        filters = Filters(
            ids=body.ids, partial_name=body.partial_name,
            connectors=as_list(body.connector), statuses=as_list(body.status),
        )
        return listing(request, who, Page(body.page, body.page_size), filters)

    async def get_one(request: Request):
        # The provider reads one entity through the list envelope; gone means an empty result.
        who = authenticate(request, READ)
        shown = presenter(request)
        record = service(request).get(who, path_id(request))
        return respond(ConnectorEnvelope, envelope_of_one(shown(record) if record else None))

    async def brief(request: Request):
        svc = service(request)
        records = svc.find(authenticate(request, READ))
        return respond(BriefList, {"result": [svc.present_brief(r) for r in records]})

    async def connectors(request: Request):
        authenticate(request, READ)
        plugins = backend(request).plugins.all(entity_type)
        return respond(ConnectorTypeList, {"result": [p.describe() for p in plugins]})

    async def create(request: Request):
        who = authenticate(request, WRITE)
        body = await parse_body(request, ConnectorRequest)
        query_bool(request, "wait", True)  # accepted and validated; the mock's work is never slow
        return entity(request, await service(request).create(who, _to_input(body)))

    async def update(request: Request):
        who = authenticate(request, WRITE)
        body = await parse_body(request, ConnectorRequest)
        wait = query_bool(request, "wait", True)
        updated = await service(request).update(who, path_id(request), _to_input(body), wait=wait)
        return entity(request, updated, written=not wait)

    async def delete(request: Request):
        who = authenticate(request, WRITE)
        return entity(request, service(request).delete(who, path_id(request), wait=query_bool(request, "wait", True)))

    async def action(request: Request):
        who = authenticate(request, WRITE)
        return entity(request, service(request).act(who, path_id(request), request.path_params["action"]))

    prefix = f"/{entity_type}"
    one = SINGULAR[entity_type].lower()
    id_param = {"id": OBJECT_ID}
    routes = [
        operation("GET", prefix, list_all, operation_id=f"list_{entity_type}", tag=entity_type,
                  summary=f"List {entity_type}, paginated", response=ConnectorEnvelope,
                  query=(SECRET_RETURNED, UNWIND_TOPICS, PAGE, PAGE_SIZE, PARTIAL_NAME,
                         Param("ids", {"type": "string"}, "Comma-separated ids"),
                         Param("connector", {"type": "string"}, "Comma-separated connector codes"),
                         Param("status", {"type": "string"}, "Comma-separated connector statuses"))),
        operation("POST", prefix, create, operation_id=f"create_{one}", tag=entity_type,
                  summary=f"Create a {one}", body=ConnectorRequest, plugin_body=entity_type,
                  response=ConnectorEntity, errors=(400, 409), query=(SECRET_RETURNED, UNWIND_TOPICS, WAIT)),
        operation("POST", f"{prefix}/search", search, operation_id=f"search_{entity_type}", tag=entity_type,
                  summary=f"Search {entity_type} with filters in the body", body=ConnectorSearch,
                  response=ConnectorEnvelope, query=(SECRET_RETURNED, UNWIND_TOPICS)),
        operation("GET", f"{prefix}/brief", brief, operation_id=f"brief_{entity_type}", tag=entity_type,
                  summary=f"All {entity_type}, briefly", response=BriefList),
        operation("GET", f"{prefix}/connectors", connectors, operation_id=f"{one}_connectors", tag=entity_type,
                  summary=f"The {one} connector types and their fields", response=ConnectorTypeList),
        operation("GET", prefix + "/{id}", get_one, operation_id=f"get_{one}", tag=entity_type,
                  summary=f"One {one} in the list envelope (empty when it does not exist)",
                  response=ConnectorEnvelope, query=(SECRET_RETURNED, UNWIND_TOPICS), path_params=id_param),
        operation("PUT", prefix + "/{id}", update, operation_id=f"update_{one}", tag=entity_type,
                  summary=f"Replace a {one}", body=ConnectorRequest, plugin_body=entity_type,
                  response=ConnectorEntity, errors=(400, 404, 409), query=(SECRET_RETURNED, UNWIND_TOPICS, WAIT),
                  path_params=id_param),
        operation("DELETE", prefix + "/{id}", delete, operation_id=f"delete_{one}", tag=entity_type,
                  summary=f"Delete a {one}", response=ConnectorEntity, errors=(404, 409),
                  query=(SECRET_RETURNED, UNWIND_TOPICS, WAIT), path_params=id_param),
    ]
    if entity_type == "sources":  # the backend documents actions for sources only
        routes.append(operation(
            "POST", prefix + "/{id}/actions/{action}", action, operation_id="source_action", tag=entity_type,
            summary="Pause, resume, restart or stop a source", response=ConnectorEntity,
            errors=(400, 404, 409), query=(SECRET_RETURNED, UNWIND_TOPICS),
            path_params={**id_param, "action": {"type": "string", "enum": list(lifecycle.ACTIONS)}}))
    return routes
