"""Routes of ``/kafka-access/kafka-users``."""

from __future__ import annotations

from starlette.requests import Request

from mockserver.domain.kafka_users import KafkaAcl, KafkaUserInput, KafkaUserService
from mockserver.domain.tenancy import READ, WRITE
from mockserver.http.common import authenticate, backend, parse_body, respond
from mockserver.http.routing import operation
from mockserver.models.kafka_users import KafkaUser, KafkaUserCreate, KafkaUserUpdate

PREFIX = "/kafka-access/kafka-users"


def _service(request: Request) -> KafkaUserService:
    return backend(request).kafka_users


def _input(body: KafkaUserUpdate) -> KafkaUserInput:
    return KafkaUserInput(
        kafka_acls=[KafkaAcl(a.topic_name, a.operation, a.resource_pattern_type, a.resource) for a in body.kafka_acls],
        is_create_schema_registry=body.is_create_schema_registry,
        whitelist_ips=body.whitelist_ips,
        password=body.password,
    )


async def list_users(request: Request):
    svc = _service(request)
    return respond(list[KafkaUser], [svc.present(r) for r in svc.list(authenticate(request, READ))])


async def create_user(request: Request):
    who = authenticate(request, WRITE)
    body = await parse_body(request, KafkaUserCreate)
    svc = _service(request)
    record = svc.create(who, body.username, body.password, _input(body), created_from=body.created_from)
    return respond(KafkaUser, svc.present(record))


async def update_user(request: Request):
    who = authenticate(request, WRITE)
    body = await parse_body(request, KafkaUserUpdate)
    svc = _service(request)
    return respond(KafkaUser, svc.present(svc.update(who, request.path_params["username"], _input(body))))


async def delete_user(request: Request):
    who = authenticate(request, WRITE)
    svc = _service(request)
    return respond(KafkaUser, svc.present(svc.delete(who, request.path_params["username"])))


routes = [
    operation("GET", PREFIX, list_users, operation_id="list_kafka_users", tag="kafka-access",
              summary="Kafka users of the caller's service (a bare array)", response=list[KafkaUser]),
    operation("POST", PREFIX, create_user, operation_id="create_kafka_user", tag="kafka-access",
              summary="Create a Kafka user", body=KafkaUserCreate, response=KafkaUser, errors=(400, 409)),
    operation("PUT", PREFIX + "/{username}", update_user, operation_id="update_kafka_user", tag="kafka-access",
              summary="Replace a Kafka user's settings; no password keeps the current one",
              body=KafkaUserUpdate, response=KafkaUser, errors=(400, 404)),
    operation("DELETE", PREFIX + "/{username}", delete_user, operation_id="delete_kafka_user", tag="kafka-access",
              summary="Delete a Kafka user", response=KafkaUser, errors=(404,)),
]
