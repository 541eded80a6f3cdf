"""Routes of ``/pipelines``."""

from __future__ import annotations

from starlette.requests import Request

from mockserver.domain.pipelines import PipelineInput, PipelineService
from mockserver.domain.records import envelope, envelope_of_one
from mockserver.domain.tenancy import READ, WRITE
from mockserver.http.common import (
    authenticate, backend, parse_body, path_id, query_bool, query_page, respond, query_value,
)
from mockserver.http.routing import (
    OBJECT_ID, PAGE, PAGE_SIZE, PARTIAL_NAME, SECRET_RETURNED, WAIT, operation,
)
from mockserver.models.pipelines import PipelineEntity, PipelineEnvelope, PipelineRequest

TAG = "pipelines"


def _service(request: Request) -> PipelineService:
    return backend(request).pipelines


def _to_input(body: PipelineRequest) -> PipelineInput:
    return PipelineInput(
        name=body.name,
        snapshot_new_tables=body.snapshot_new_tables,
        source=body.source.model_dump(),
        destination=body.destination.model_dump(),
        transforms=[t.model_dump() for t in body.transforms or []],
        topic_auto_discovery_transforms=[t.model_dump() for t in body.topic_auto_discovery_transforms or []],
        tags=body.tags,
        created_from=body.created_from,
    )


def _flags(request: Request) -> None:
    # Accepted and validated; a pipeline holds no secrets and the mock's work is never slow.
    query_bool(request, "secret_returned")
    query_bool(request, "wait", True)


async def list_all(request: Request):
    who = authenticate(request, READ)
    _flags(request)
    page = query_page(request)
    svc = _service(request)
    total, records = svc.list(who, page, query_value(request, "partial_name"))
    return respond(PipelineEnvelope, envelope(page, total, [svc.present(r) for r in records]))


async def get_one(request: Request):
    # Read through the list envelope, like sources: gone means an empty result, never a 404.
    who = authenticate(request, READ)
    _flags(request)
    svc = _service(request)
    record = svc.get(who, path_id(request))
    return respond(PipelineEnvelope, envelope_of_one(svc.present(record) if record else None))


async def create(request: Request):
    who = authenticate(request, WRITE)
    body = await parse_body(request, PipelineRequest)
    _flags(request)
    svc = _service(request)
    return respond(PipelineEntity, svc.present(svc.create(who, _to_input(body))))


async def update(request: Request):
    who = authenticate(request, WRITE)
    body = await parse_body(request, PipelineRequest)
    _flags(request)
    svc = _service(request)
    return respond(PipelineEntity, svc.present(svc.update(who, path_id(request), _to_input(body))))


async def delete(request: Request):
    who = authenticate(request, WRITE)
    query_bool(request, "secret_returned")
    svc = _service(request)
    record = svc.delete(who, path_id(request), wait=query_bool(request, "wait", True))
    return respond(PipelineEntity, svc.present(record))


_id = {"id": OBJECT_ID}
routes = [
    operation("GET", "/pipelines", list_all, operation_id="list_pipelines", tag=TAG,
              summary="List pipelines, paginated", response=PipelineEnvelope,
              query=(SECRET_RETURNED, PAGE, PAGE_SIZE, PARTIAL_NAME)),
    operation("POST", "/pipelines", create, operation_id="create_pipeline", tag=TAG,
              summary="Create a pipeline from a source (and its topics) to a destination",
              body=PipelineRequest, response=PipelineEntity, errors=(400, 409),
              query=(SECRET_RETURNED, WAIT)),
    operation("GET", "/pipelines/{id}", get_one, operation_id="get_pipeline", tag=TAG,
              summary="One pipeline in the list envelope (empty when it does not exist)",
              response=PipelineEnvelope, query=(SECRET_RETURNED,), path_params=_id),
    operation("PUT", "/pipelines/{id}", update, operation_id="update_pipeline", tag=TAG,
              summary="Replace a pipeline", body=PipelineRequest, response=PipelineEntity,
              errors=(400, 404, 409), query=(SECRET_RETURNED, WAIT), path_params=_id),
    operation("DELETE", "/pipelines/{id}", delete, operation_id="delete_pipeline", tag=TAG,
              summary="Delete a pipeline", response=PipelineEntity, errors=(404,),
              query=(SECRET_RETURNED, WAIT), path_params=_id),
]
