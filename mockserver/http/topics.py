"""Routes of ``/topics``.

A topic in the path may be its id or its Kafka name (the provider's topic resource
passes names such as ``source_<id>.public.users``).
"""

from __future__ import annotations

from starlette.requests import Request

from mockserver.domain.records import envelope
from mockserver.domain.tenancy import READ, WRITE
from mockserver.domain.topics import ENTITY_TYPES, MetricsQuery, MetricsWindow, TopicFilters, TopicService
from mockserver.errors import Unprocessable
from mockserver.http.common import (
    authenticate, backend, parse_body, query_bool, query_int, query_list, query_page, respond, query_value,
)
from mockserver.http.routing import PAGE, PAGE_SIZE, PARTIAL_NAME, Param, operation
from mockserver.models.topics import (
    TableMetrics, TableMetricsRequest, Topic, TopicDetailsPage, TopicEnvelope, TopicUpdateRequest,
)

TAG = "topics"
DETAILS_LIMIT, MAX_DETAILS_LIMIT = 100, 1000


def _service(request: Request) -> TopicService:
    return backend(request).topic_service


def _filters(request: Request) -> TopicFilters:
    entity_type = query_value(request, "entity_type")
    if entity_type is not None and entity_type not in ENTITY_TYPES:
        raise Unprocessable([{"loc": ["query", "entity_type"], "type": "enum",
                              "msg": f"Input should be one of {', '.join(ENTITY_TYPES)}"}])
    # The provider repeats ``entity_id=``; the documented spelling is ``entity_ids``.
    ids = (query_list(request, "entity_id") or []) + (query_list(request, "entity_ids") or [])
    return TopicFilters(entity_type, ids or None, query_value(request, "partial_name"))


async def list_all(request: Request):
    who = authenticate(request, READ)
    page = query_page(request)
    detailed = query_bool(request, "detailed", True)
    svc = _service(request)
    total, found = svc.select(who, _filters(request), *page.bounds)
    result = [svc.present(t, detailed=detailed) for t in found]
    return respond(TopicEnvelope, envelope(page, total, result))


async def details(request: Request):
    who = authenticate(request, READ)
    limit = query_int(request, "limit", DETAILS_LIMIT, 1, MAX_DETAILS_LIMIT)
    offset = query_int(request, "offset", 0, 0)
    svc = _service(request)
    total, found = svc.select(who, _filters(request), offset, offset + limit)
    return respond(TopicDetailsPage, {
        "page": offset // limit + 1,
        "page_size": limit,
        "total": total,
        "has_next": offset + limit < total,
        "result": [svc.present_details(t) for t in found],
    })


async def table_metrics(request: Request):
    who = authenticate(request, READ)
    body = await parse_body(request, TableMetricsRequest)
    queries = [
        MetricsQuery(e.id, e.entity_type, e.topic_ids or [], e.topic_db_ids or []) for e in body.entities
    ]
    svc = _service(request)
    window = MetricsWindow.parse(svc.clock(), body.time_type, body.timestamp_from, body.timestamp_to,
                                 body.time_interval, body.time_unit)
    return respond(TableMetrics, svc.table_metrics(who, queries, window))


async def get_one(request: Request):
    who = authenticate(request, READ)
    detailed = query_bool(request, "detailed", True)
    svc = _service(request)
    return respond(Topic, svc.present(svc.require(who, request.path_params["id"]), detailed=detailed))


async def update(request: Request):
    who = authenticate(request, WRITE)
    body = await parse_body(request, TopicUpdateRequest)
    svc = _service(request)
    topic = svc.update(who, request.path_params["id"], body.payload.partition_count, body.payload.tags)
    return respond(Topic, svc.present(topic))


async def delete(request: Request):
    who = authenticate(request, WRITE)
    svc = _service(request)
    return respond(Topic, svc.present(svc.delete(who, request.path_params["id"])))


_ref = {"id": {"type": "string", "description": "The topic id or its Kafka name"}}
_detailed = Param("detailed", {"type": "boolean", "default": True}, "Include the Kafka block")
_filter_params = (
    Param("entity_type", {"type": "string", "enum": list(ENTITY_TYPES)}, "Only topics of this entity type"),
    Param("entity_id", {"type": "string"}, "Only topics of this entity (repeatable)"),
    Param("entity_ids", {"type": "string"}, "Only topics of these entities (repeatable or comma-separated)"),
    PARTIAL_NAME,
)
routes = [
    operation("GET", "/topics", list_all, operation_id="list_topics", tag=TAG,
              summary="List topics, paginated", response=TopicEnvelope,
              query=(PAGE, PAGE_SIZE, _detailed, *_filter_params)),
    # Declared before /topics/{id} so "details" is not taken for a topic.
    operation("GET", "/topics/details", details, operation_id="topic_details", tag=TAG,
              summary="Topics with their owning entity and message counts, by offset",
              response=TopicDetailsPage,
              query=(*_filter_params,
                     Param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_DETAILS_LIMIT,
                                     "default": DETAILS_LIMIT}, "Topics per page"),
                     Param("offset", {"type": "integer", "minimum": 0, "default": 0}, "Topics to skip"))),
    operation("POST", "/topics/table_metrics", table_metrics, operation_id="topic_table_metrics", tag=TAG,
              summary="Throughput and lag per topic of the given entities", body=TableMetricsRequest,
              response=TableMetrics, errors=(400,)),
    operation("GET", "/topics/{id}", get_one, operation_id="get_topic", tag=TAG,
              summary="One topic with its entity, serialization and Kafka settings", response=Topic,
              errors=(400, 404), query=(_detailed,), path_params=_ref),
    operation("PUT", "/topics/{id}", update, operation_id="update_topic", tag=TAG,
              summary="Grow a topic's partitions or set its tags", body=TopicUpdateRequest, response=Topic,
              errors=(400, 404), path_params=_ref),
    operation("DELETE", "/topics/{id}", delete, operation_id="delete_topic", tag=TAG,
              summary="Delete a topic", response=Topic, errors=(400, 404, 409), path_params=_ref),
]
