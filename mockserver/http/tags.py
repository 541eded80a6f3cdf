"""Routes of ``/tags``."""

from __future__ import annotations

from starlette.requests import Request

from mockserver.domain.tags import TAG_TYPES, TagFilters, TagInput, TagService
from mockserver.domain.tenancy import READ, WRITE, Principal
from mockserver.http.common import (
    authenticate, backend, parse_body, path_id, query_choices, query_list, respond, query_value,
)
from mockserver.http.routing import OBJECT_ID, Param, operation
from mockserver.models.tags import Tag, TagList, TagRequest, TagSearch


def _service(request: Request) -> TagService:
    return backend(request).tags


def _query_filters(request: Request) -> TagFilters:
    return TagFilters(
        ids=query_list(request, "tag_ids"),
        name=query_value(request, "tag_name"),
        entity_types=query_choices(request, "tag_type", TAG_TYPES),
    )


def _listing(request: Request, who: Principal, filters: TagFilters):
    svc = _service(request)
    tags = svc.find(who, filters)
    return respond(TagList, {"tags": [svc.present(t) for t in tags]})


def _input(body: TagRequest) -> TagInput:
    return TagInput(name=body.name, types=list(body.type), description=body.description,
                    created_from=body.created_from)


async def list_tags(request: Request):
    who = authenticate(request, READ)
    return _listing(request, who, _query_filters(request))


async def search_tags(request: Request):
    who = authenticate(request, READ)
    body = await parse_body(request, TagSearch)
    query = _query_filters(request)
    # Whatever the body says wins over the query string.
    return _listing(request, who, TagFilters(
        ids=body.tag_ids if body.tag_ids is not None else query.ids,
        name=body.tag_name if body.tag_name is not None else query.name,
        entity_types=[body.tag_type] if body.tag_type is not None else query.entity_types,
    ))


async def create_tag(request: Request):
    who = authenticate(request, WRITE)
    body = await parse_body(request, TagRequest)
    svc = _service(request)
    return respond(Tag, svc.present(svc.create(who, _input(body))))


async def update_tag(request: Request):
    who = authenticate(request, WRITE)
    body = await parse_body(request, TagRequest)
    svc = _service(request)
    return respond(Tag, svc.present(svc.update(who, path_id(request), _input(body))))


async def delete_tag(request: Request):
    who = authenticate(request, WRITE)
    svc = _service(request)
    return respond(Tag, svc.present(svc.delete(who, path_id(request))))


_FILTERS = (
    Param("tag_ids", {"type": "array", "items": {"type": "string"}}, "Only these tag ids (repeat the parameter)"),
    Param("tag_name", {"type": "string"}, "Only tags whose name contains this (case-insensitive)"),
    Param("tag_type", {"type": "string", "enum": list(TAG_TYPES)}, "Only tags that apply to one of these entity types (repeatable)"),
)
_ID = {"id": OBJECT_ID}

routes = [
    operation("GET", "/tags", list_tags, operation_id="list_tags", tag="tags",
              summary="System tags and the caller's tags, filtered", response=TagList, query=_FILTERS),
    operation("POST", "/tags/search", search_tags, operation_id="search_tags", tag="tags",
              summary="Search tags; body filters win over query filters", body=TagSearch,
              response=TagList, query=_FILTERS),
    operation("POST", "/tags", create_tag, operation_id="create_tag", tag="tags",
              summary="Create a custom tag", body=TagRequest, response=Tag, errors=(409,)),
    operation("PUT", "/tags/{id}", update_tag, operation_id="update_tag", tag="tags",
              summary="Replace a custom tag (system tags cannot change)", body=TagRequest, response=Tag,
              errors=(404, 409), path_params=_ID),
    operation("DELETE", "/tags/{id}", delete_tag, operation_id="delete_tag", tag="tags",
              summary="Delete a custom tag and remove it from every entity", response=Tag,
              errors=(404,), path_params=_ID),
]
