"""Who may call what, for every route of the route table.

The operations come from the app's own route table (``operation(...)``
declarations), so a new route joins every matrix below by itself: a write
must refuse a read-only credential with 403, every route must refuse a
missing token with 401, and nothing may reach or change an entity of another
tenant or of another service of the same tenant. Each refusal is followed by
a read of the whole stored state (every GET route of the table, as the
owner), which must be unchanged; the owner's own call of the same request
proves both that the request is valid and that the read-back sees its effect.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from mockserver.app import create_app
from mockserver.http.openapi import operations_of, statuses
from mockserver.http.routing import Operation
from mockserver.settings import MEMORY, Settings
from tests.conftest import PG_SOURCE_CONFIG, SNOWFLAKE_CONFIG
from tests.http.test_transforms import provider_config

OWNER = "mock-client"  # admin of tenant-acme, service-acme-prod: owns every entity of the world
READ_ONLY = "mock-readonly"  # same tenant and service, read permission only
OTHER_TENANT = "mock-client-2"  # admin of tenant-globex
OTHER_SERVICE = "mock-client-staging"  # admin of tenant-acme, service-acme-staging
ADMIN_ROLE = "6650a1f0c0ffee0000000001"

OPERATIONS: list[Operation] = operations_of(create_app(Settings(db=MEMORY)).routes)
AUTHENTICATED = [op for op in OPERATIONS if op.auth]
# Reads sent as POST (a filter in the body); every other non-GET operation writes.
READS_BY_POST = {"search_sources", "search_destinations", "search_tags", "topic_table_metrics"}
WRITES = [op for op in AUTHENTICATED if op.method != "GET" and op.operation_id not in READS_BY_POST]
READS = [op for op in AUTHENTICATED if op not in WRITES]


def _ids(ops: list[Operation]) -> list[str]:
    return [op.operation_id for op in ops]


def pg_config(name: str) -> dict:
    return {**PG_SOURCE_CONFIG, "slot.name": f"slot_{name}", "publication.name": f"pub_{name}"}


class World:
    """One of each entity, created by OWNER; ``target`` ids are the ones every request acts on.

    The pipeline uses its own source, destination and transform, so the target
    ones can be deleted without a 409 for being in use.
    """

    def __init__(self, api) -> None:
        self.api = api
        self.tag = api.ok("POST", "/tags", as_=OWNER, json={"name": "world-tag", "type": ["sources", "destinations"]})["id"]
        self.source = api.ok("POST", "/sources", as_=OWNER, json={"name": "world-src", "connector": "postgresql",
                                                    "config": pg_config("world"), "tags": [self.tag]})
        self.destination = api.ok("POST", "/destinations", as_=OWNER, json={"name": "world-dst", "connector": "snowflake",
                                                              "config": SNOWFLAKE_CONFIG})
        self.transform = api.ok("POST", "/transforms", as_=OWNER, json={"transform": "map_filter",
                                                          "config": provider_config("map_filter", "world-tf")})
        piped_source = api.ok("POST", "/sources", as_=OWNER, json={"name": "world-piped-src", "connector": "postgresql",
                                                     "config": pg_config("piped")})
        piped_destination = api.ok("POST", "/destinations", as_=OWNER, json={"name": "world-piped-dst", "connector": "snowflake",
                                                               "config": SNOWFLAKE_CONFIG})
        piped_transform = api.ok("POST", "/transforms", as_=OWNER, json={"transform": "map_filter",
                                                           "config": provider_config("map_filter", "world-piped-tf")})
        self.pipeline_body = {
            "name": "world-pipeline",
            "source": {"id": piped_source["id"], "name": piped_source["name"], "connector": "postgresql",
                       "topics": ["public.users"]},
            "destination": {"id": piped_destination["id"], "name": piped_destination["name"],
                            "connector": "snowflake"},
            "transforms": [{"id": piped_transform["id"], "name": piped_transform["name"],
                            "topic_id": f"transform_{piped_transform['id']}.public.users", "topic": "public.users"}],
            "tags": [],
        }
        self.pipeline = api.ok("POST", "/pipelines", as_=OWNER, json=self.pipeline_body)
        self.topic = self.source["topic_ids"][0]
        api.ok("PUT", f"/transforms/{self.transform['id']}/implementation_details", as_=OWNER, json={"implementation": {"language": "JavaScript", "value_transform": "function f(v) { return v; }"}})
        api.ok("PUT", f"/transforms/{self.transform['id']}/deploy-job-preview/no-version?replay_window=1d", as_=OWNER, json=None)
        self.kafka_user = api.ok("POST", "/kafka-access/kafka-users", as_=OWNER, json={"username": "world-user", "password": "pw-1"})["username"]
        self.credential = api.ok("POST", "/auth/client-credentials", as_=OWNER, json={"role_ids": [ADMIN_ROLE], "description": "world credential"})["client_id"]
        # Strings that identify the world's data: none may reach another tenant or service.
        self.markers = ["world-", self.source["id"], self.destination["id"], self.transform["id"],
                        self.pipeline["id"], self.tag, self.topic, self.credential]
        # Each reference to the world a request can carry, and one of the same form that names nothing.
        references = [self.source["id"], self.destination["id"], self.transform["id"], self.pipeline["id"],
                      piped_source["id"], piped_destination["id"], piped_transform["id"], self.tag, self.topic]
        self.missing = {ref: f"{n:024x}" for n, ref in enumerate(references, start=0xeee000)}
        self.missing[self.kafka_user] = "gone-user"
        self.missing[self.credential] = str(uuid.uuid4())

    # ---- the request of each operation, on the target entities ----------------

    def path_of(self, op: Operation) -> str:
        by_collection = {"sources": self.source["id"], "destinations": self.destination["id"],
                         "transforms": self.transform["id"], "pipelines": self.pipeline["id"],
                         "topics": self.topic, "tags": self.tag}
        collection = op.path.strip("/").split("/")[0]
        values = {"id": by_collection.get(collection), "action": "pause", "version": "no-version",
                  "client_id": self.credential, "username": self.kafka_user}

        def fill(match: re.Match) -> str:
            value = values.get(match.group(1))
            assert value is not None, f"no value for {{{match.group(1)}}} of {op.path}: add one to World.path_of"
            return value

        path = re.sub(r"{([^}:]+)(?::[^}]*)?}", fill, op.path)
        query = {p.name for p in op.query}
        params = []
        if "id" in query:
            params.append(f"id={self.transform['id']}")
        if "replay_window" in query:
            params.append("replay_window=7d")
        return path + ("?" + "&".join(params) if params else "")

    def body_of(self, op: Operation) -> Any:
        if op.body is None:
            return None
        transform_update = {"transform": "map_filter", "config": provider_config("map_filter", "renamed-tf", 1)}
        bodies = {
            "create_client_credential": {"role_ids": [ADMIN_ROLE], "description": "new credential"},
            "create_source": {"name": "new-src", "connector": "postgresql", "config": pg_config("new"),
                              "tags": [self.tag]},
            "update_source": {"name": "renamed-src", "connector": "postgresql", "config": pg_config("world"),
                              "tags": []},
            "search_sources": {"ids": [self.source["id"]]},
            "create_destination": {"name": "new-dst", "connector": "snowflake", "config": SNOWFLAKE_CONFIG,
                                   "tags": [self.tag]},
            "update_destination": {"name": "renamed-dst", "connector": "snowflake",
                                   "config": {**SNOWFLAKE_CONFIG, "snowflake.schema.name": "OTHER"}},
            "search_destinations": {"ids": [self.destination["id"]]},
            "create_transform": {"transform": "map_filter", "config": provider_config("map_filter", "new-tf"),
                                 "tags": [self.tag]},
            "update_transform_by_body": {"id": self.transform["id"], **transform_update},
            "update_transform": transform_update,
            "put_transform_implementation": {"implementation": {"language": "JavaScript",
                                                                "value_transform": "function g(v) { return v; }"}},
            "create_pipeline": {**self.pipeline_body, "name": "new-pipeline"},
            "update_pipeline": {**self.pipeline_body, "name": "renamed-pipeline"},
            "topic_table_metrics": {"entities": [{"id": self.source["id"], "entity_type": "sources",
                                                  "topic_ids": [self.topic]}]},
            "update_topic": {"payload": {"partition_count": 7}},
            "search_tags": {"tag_ids": [self.tag]},
            "create_tag": {"name": "new-tag", "type": ["pipelines"]},
            "update_tag": {"name": "renamed-tag", "type": ["pipelines"]},
            "create_kafka_user": {"username": "new-user", "password": "pw-2"},
            "update_kafka_user": {"password": "pw-3", "whitelist_ips": "10.0.0.0/8"},
        }
        assert op.operation_id in bodies, f"{op.operation_id} takes a body: add a valid one to World.body_of"
        return bodies[op.operation_id]

    def call(self, op: Operation, as_: str | None, missing: bool = False):
        """``op`` on the target entities; ``missing``: on ids that do not exist instead."""
        path, body = self.path_of(op), self.body_of(op)
        if missing:
            path, body = self.as_missing(path), json.loads(self.as_missing(json.dumps(body)))
        if as_ is None:
            return self.api.client.request(op.method, path, json=body)
        return self.api.request(op.method, path, as_=as_, json=body)

    def names_the_world(self, op: Operation) -> bool:
        return self.as_missing(self.path_of(op) + json.dumps(self.body_of(op))) != \
            self.path_of(op) + json.dumps(self.body_of(op))

    def as_missing(self, text: str) -> str:
        for ref, gone in self.missing.items():
            text = text.replace(ref, gone)
        return text

    # ---- the whole stored state, as its owner reads it -------------------------

    def state(self) -> dict[str, Any]:
        """The answer of every GET route of the table (secrets shown, biggest pages), as OWNER."""
        seen = {}
        for op in OPERATIONS:
            if op.method != "GET" or not op.auth:
                continue
            path = self.path_of(op)
            flags = [f for f, name in (("secret_returned=true", "secret_returned"), ("page_size=100", "page_size"))
                     if name in {p.name for p in op.query}]
            if flags:
                path += ("&" if "?" in path else "?") + "&".join(flags)
            response = self.api.get(path, as_=OWNER)
            seen[op.operation_id] = (response.status_code, response.json())
        return seen


@pytest.fixture
def world(make_api, clock) -> World:
    built = World(make_api(db=MEMORY))
    clock.advance(60)  # so a redeploy or any other timestamped write shows a new time
    return built


def detail(response) -> Any:
    return response.json().get("detail")


def _acts_on_one(op: Operation) -> bool:
    """The request names one of the world's entities in its path or query."""
    return "{" in op.path or any(p.name == "id" for p in op.query) or op.operation_id == "update_transform_by_body"


# Client credentials belong to the tenant (each names its service), so the other
# service of the same tenant lists and manages them: no isolation to check there.
TENANT_WIDE = {"list_client_credentials", "create_client_credential", "delete_client_credential"}


def check_stranger(world: World, op: Operation, stranger: str, before: dict) -> None:
    """Another tenant or service gets what it gets for ids that do not exist, sees nothing, changes nothing."""
    response = world.call(op, stranger)
    text = response.text
    assert response.status_code in statuses(op), f"{stranger}: {text}"
    if response.status_code < 300:
        leaked = [m for m in world.markers if m in text]
        assert not leaked, f"{op.operation_id} shows {leaked} to {stranger}: {text}"
    assert world.state() == before, f"{op.operation_id} by {stranger} changed the world"
    if world.names_the_world(op):
        missing = world.call(op, stranger, missing=True)
        assert (missing.status_code, missing.text) == (response.status_code, world.as_missing(text)), \
            f"{op.operation_id} by {stranger}: the world's ids answer otherwise than ids that do not exist"
        if _acts_on_one(op) and not (op.method == "GET" and "result" in response.json()):
            assert response.status_code in (400, 404), text


# ---- the matrix ----------------------------------------------------------------

@pytest.mark.parametrize("op", AUTHENTICATED, ids=_ids(AUTHENTICATED))
def test_every_caller_gets_what_its_rights_allow(world, op):
    before = world.state()

    anonymous = world.call(op, None)
    assert anonymous.status_code == 401, anonymous.text
    assert detail(anonymous) == "Not authenticated: send 'Authorization: Bearer <token>'"
    assert world.state() == before, "a call without a token changed the world"

    read_only = world.call(op, READ_ONLY)
    if op in WRITES:
        assert read_only.status_code == 403, read_only.text
        assert detail(read_only) == "The credential 'mock-readonly' lacks the 'write' permission"
        assert world.state() == before, "a refused read-only write changed the world"
    else:
        assert (read_only.status_code, read_only.json()) == (op.status, world.call(op, OWNER).json())

    for stranger in (OTHER_TENANT, OTHER_SERVICE):
        if not (stranger == OTHER_SERVICE and op.operation_id in TENANT_WIDE):
            check_stranger(world, op, stranger, before)

    # The control: the request is valid, and the read-back sees what a write did.
    owner = world.call(op, OWNER)
    assert owner.status_code == op.status, owner.text
    if op in WRITES:
        assert world.state() != before, f"{op.operation_id} changed nothing the read-back sees"
