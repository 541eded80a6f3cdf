"""Routes of ``/transforms``: CRUD, implementation versions, job deploys and job status."""

from __future__ import annotations

from starlette.requests import Request

from mockserver.domain import jobs
from mockserver.domain.records import envelope, envelope_of_one
from mockserver.domain.tenancy import READ, WRITE, Principal
from mockserver.domain.transforms import ImplementationInput, TransformInput, TransformService
from mockserver.errors import BadRequest
from mockserver.http.common import (
    authenticate, backend, parse_body, show_secrets, path_id, query_bool, query_id, query_page, respond, query_value,
)
from mockserver.http.routing import (
    OBJECT_ID, PAGE, PAGE_SIZE, PARTIAL_NAME, SECRET_RETURNED, WAIT, Param, operation,
)
from mockserver.models.transforms import (
    DeployResult, ImplementationDetails, ImplementationUpdate, ImplementationVersion, JobStatus,
    TransformCreate, TransformEntity, TransformEnvelope, TransformUpdate, TransformUpdateWithId,
)

TAG = "transforms"
UNWIND_TOPICS = Param("unwind_topics", {"type": "boolean", "default": True},
                      "Accepted (validated); a transform lists the names and ids of its topics either way")
REPLAY_WINDOW = Param("replay_window", {"type": "string", "pattern": r"^\d+[smhd]$"},
                      "How far back the preview job starts reading, like 7d, 24h or 10m")
ID = {"id": OBJECT_ID}
VERSION = {"version": {"type": "string", "description": "A version id, or no-version for the current one"}}


def service(request: Request) -> TransformService:
    return backend(request).transforms


def entity(request: Request, record: dict):
    svc = service(request)
    return respond(TransformEntity, svc.present(record, secret_returned=show_secrets(request)))


async def list_all(request: Request):
    who = authenticate(request, READ)
    page = query_page(request)
    query_bool(request, "unwind_topics", True)  # validated; topics are listed either way (see domain/transforms.py)
    svc = service(request)
    total, records = svc.list(who, page, query_value(request, "partial_name"))
    secret_returned = show_secrets(request)
    return respond(TransformEnvelope, envelope(page, total, [svc.present(r, secret_returned=secret_returned)
                                                             for r in records]))


async def get_one(request: Request):
    # The provider reads one transform through the list envelope; gone means an empty result.
    who = authenticate(request, READ)
    query_bool(request, "unwind_topics", True)  # validated; topics are listed either way (see domain/transforms.py)
    svc = service(request)
    record = svc.get(who, path_id(request))
    secret_returned = show_secrets(request)
    return respond(TransformEnvelope, envelope_of_one(
        svc.present(record, secret_returned=secret_returned) if record else None))


async def create(request: Request):
    who = authenticate(request, WRITE)
    body = await parse_body(request, TransformCreate)
    record = await service(request).create(who, TransformInput(
        transform=body.transform, config=body.config, created_from=body.created_from, tags=body.tags))
    return entity(request, record)


async def _update(request: Request, who: Principal, transform_id: str, body: TransformUpdate):
    record = await service(request).update(who, transform_id, TransformInput(
        transform=body.transform, config=body.config, tags=body.tags, implementation=body.implementation))
    return entity(request, record)


async def update_by_body(request: Request):
    who = authenticate(request, WRITE)
    body = await parse_body(request, TransformUpdateWithId)
    return await _update(request, who, body.id, body)


async def update_by_path(request: Request):
    who = authenticate(request, WRITE)
    transform_id = path_id(request)
    body = await parse_body(request, TransformUpdate)
    if body.id is not None and body.id != transform_id:
        raise BadRequest(f"id '{body.id}' in the body does not match '{transform_id}' in the path")
    return await _update(request, who, transform_id, body)


def _delete(request: Request, who: Principal, transform_id: str):
    record = service(request).delete(who, transform_id, wait=query_bool(request, "wait", True))
    return entity(request, record)


async def delete_by_query(request: Request):
    who = authenticate(request, WRITE)
    return _delete(request, who, query_id(request))


async def delete_by_path(request: Request):
    who = authenticate(request, WRITE)
    return _delete(request, who, path_id(request))


async def get_implementation(request: Request):
    who = authenticate(request, READ)
    return respond(ImplementationDetails, service(request).implementation_details(who, path_id(request)))


async def put_implementation(request: Request):
    who = authenticate(request, WRITE)
    transform_id = path_id(request)
    body = await parse_body(request, ImplementationUpdate)
    version = service(request).put_implementation(who, transform_id, ImplementationInput(
        implementation=body.implementation, transform_id=body.transform_id, version_id=body.version_id,
        description=body.description, config=body.config))
    return respond(ImplementationVersion, version)


async def deploy_preview(request: Request):
    who = authenticate(request, WRITE)
    result = service(request).deploy(who, path_id(request), jobs.PREVIEW, request.path_params["version"],
                                     query_value(request, "replay_window"))
    return respond(DeployResult, result)


async def deploy_live(request: Request):
    who = authenticate(request, WRITE)
    result = service(request).deploy(who, path_id(request), jobs.LIVE, request.path_params["version"])
    return respond(DeployResult, result)


async def job_status(request: Request):
    who = authenticate(request, READ)
    return respond(JobStatus, service(request).job_status(who, path_id(request)))


routes = [
    operation("GET", "/transforms", list_all, operation_id="list_transforms", tag=TAG,
              summary="List transforms, paginated", response=TransformEnvelope,
              query=(SECRET_RETURNED, PAGE, PAGE_SIZE, PARTIAL_NAME, UNWIND_TOPICS)),
    operation("POST", "/transforms", create, operation_id="create_transform", tag=TAG,
              summary="Create a transform (its name is config transforms.name)", body=TransformCreate,
              plugin_body=TAG,
              response=TransformEntity, errors=(400, 409), query=(SECRET_RETURNED,)),
    operation("PUT", "/transforms", update_by_body, operation_id="update_transform_by_body", tag=TAG,
              summary="Replace a transform whose id is in the body", body=TransformUpdateWithId,
              plugin_body=TAG,
              response=TransformEntity, errors=(400, 404, 409), query=(SECRET_RETURNED,)),
    operation("DELETE", "/transforms", delete_by_query, operation_id="delete_transform_by_query", tag=TAG,
              summary="Delete the transform given by the id query parameter", response=TransformEntity,
              errors=(404, 409), query=(Param("id", OBJECT_ID, "The transform id", required=True),
                                        SECRET_RETURNED, WAIT)),
    operation("GET", "/transforms/{id}", get_one, operation_id="get_transform", tag=TAG,
              summary="One transform in the list envelope (empty when it does not exist)",
              response=TransformEnvelope, query=(SECRET_RETURNED, UNWIND_TOPICS), path_params=ID),
    operation("PUT", "/transforms/{id}", update_by_path, operation_id="update_transform", tag=TAG,
              summary="Replace a transform", body=TransformUpdate, plugin_body=TAG, response=TransformEntity,
              errors=(400, 404, 409), query=(SECRET_RETURNED,), path_params=ID),
    operation("DELETE", "/transforms/{id}", delete_by_path, operation_id="delete_transform", tag=TAG,
              summary="Delete a transform", response=TransformEntity, errors=(404, 409),
              query=(SECRET_RETURNED, WAIT), path_params=ID),
    operation("GET", "/transforms/{id}/implementation_details", get_implementation,
              operation_id="get_transform_implementation", tag=TAG,
              summary="Every implementation version of a transform", response=ImplementationDetails,
              errors=(404,), path_params=ID),
    operation("PUT", "/transforms/{id}/implementation_details", put_implementation,
              operation_id="put_transform_implementation", tag=TAG,
              summary="Store a new implementation version and make it current", body=ImplementationUpdate,
              response=ImplementationVersion, errors=(400, 404), path_params=ID),
    operation("PUT", "/transforms/{id}/deploy-job-preview/{version}", deploy_preview,
              operation_id="deploy_transform_preview", tag=TAG, summary="Deploy a preview job of a version",
              response=DeployResult, errors=(400, 404), query=(REPLAY_WINDOW,), path_params={**ID, **VERSION}),
    operation("PUT", "/transforms/{id}/deploy-job-live/{version}", deploy_live,
              operation_id="deploy_transform_live", tag=TAG, summary="Deploy the live job of a version",
              response=DeployResult, errors=(404,), path_params={**ID, **VERSION}),
    operation("GET", "/transforms/{id}/job_status", job_status, operation_id="transform_job_status", tag=TAG,
              summary="The status of the transform's job; 400 'Job not found' if never deployed",
              response=JobStatus, errors=(400,), path_params=ID),
]
