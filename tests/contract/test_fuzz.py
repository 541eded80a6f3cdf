"""Schemathesis over the mock in-process: every operation, every check, and the stateful run over the links.

Bounded to stay fast; for a long run set ``STREAMKAP_FUZZ_EXAMPLES`` (examples
per operation) and ``STREAMKAP_FUZZ_SEED`` (a new seed explores new inputs).
"""

from __future__ import annotations

import dataclasses
import os
import re
from types import SimpleNamespace

import pytest
import schemathesis

import mockserver.app as app_module
from mockserver import contract
from mockserver.domain import records
from mockserver.domain.tenancy import Directory, Principal
from tests.conftest import PG_SOURCE_CONFIG, SNOWFLAKE_CONFIG

MAX_EXAMPLES = int(os.environ.get("STREAMKAP_FUZZ_EXAMPLES", "25"))
SEED = int(os.environ.get("STREAMKAP_FUZZ_SEED", "20240115"))


def fuzz(api, document_path: str, token: str, documented: dict) -> contract.Report:
    """Every check over the document the app serves at ``document_path``; every documented operation ran."""
    auth = {"Authorization": f"Bearer {token}"}  # the control document wants the admin token
    config = contract.build_config(base_url=None, token=token, max_examples=MAX_EXAMPLES, seed=SEED,
                                   doc=api.client.get(document_path, headers=auth).json())
    schema = schemathesis.openapi.from_asgi(document_path, api.client.app, config=config, headers=auth)

    report = contract.run(schema)

    assert report.ok, report.summary()
    labels = {f"{method.upper()} {path}" for path, methods in documented["paths"].items() for method in methods}
    assert {label for label, result in report.operations.items() if result.cases} == labels
    return report


def test_every_operation_passes_every_check(make_api):
    api = make_api(db=":memory:")
    report = fuzz(api, "/openapi.json", api.token("mock-client"), contract.document())
    # The stateful phase ran and followed links from created entities.
    assert report.phases.get("stateful", 0) > 0, report.summary()
    assert report.linked_calls > 0, report.summary()


def test_missing_reads_empty_operations_are_exempt_from_use_after_free_only():
    doc = contract.document()
    assert contract._missing_reads_empty(doc) == ["get_destination", "get_pipeline", "get_source", "get_transform"]
    config = contract.build_config(base_url=None, token="t", max_examples=1, doc=doc)
    schema = schemathesis.openapi.from_dict(doc, config=config)
    get_source = schema["/sources/{id}"]["GET"]
    create_source = schema["/sources"]["POST"]
    checks = schema.config.checks_config_for(operation=get_source, phase=None)
    assert not checks.use_after_free.enabled and checks.response_schema_conformance.enabled
    assert schema.config.checks_config_for(operation=create_source, phase=None).use_after_free.enabled


class _Calls:
    """The bits of schemathesis's check context that deleted_reads_empty reads."""

    def __init__(self, related, responses):
        self.related, self.responses = related, responses

    def find_related(self, case_id):
        return iter(self.related)

    def find_response(self, case_id):
        return self.responses.get(case_id)


def _case(method, path, params, raw, case_id, query=None):
    operation = SimpleNamespace(method=method, label=f"{method} {path}", definition=SimpleNamespace(raw=raw))
    return SimpleNamespace(id=case_id, operation=operation, path=path, path_parameters=params, query=query or {},
                           formatted_path=path.replace("{id}", params["id"]))


def _response(status, body=None):
    return SimpleNamespace(status_code=status, json=lambda: body)


def test_deleted_reads_empty_fails_when_a_deleted_entity_is_still_read():
    ident = {"id": "6650a1f0c0ffee0000000001"}
    delete = _case("DELETE", "/sources/{id}", ident, {}, "d")
    read = _case("GET", "/sources/{id}", ident, {"x-missing-reads-empty": True}, "g")
    ctx = SimpleNamespace(internals=_Calls([delete], {"d": _response(200)}))

    empty = _response(200, {"total": 0, "page": 1, "page_size": 10, "result": []})
    assert contract.deleted_reads_empty(ctx, empty, read) is None
    with pytest.raises(contract.DeletedStillListed):
        contract.deleted_reads_empty(ctx, _response(200, {"total": 1, "result": [{"id": ident["id"]}]}), read)
    # A failed delete leaves the entity in place; another id is another entity.
    failed = SimpleNamespace(internals=_Calls([delete], {"d": _response(404)}))
    assert contract.deleted_reads_empty(failed, _response(200, {"total": 1, "result": [{}]}), read) is None
    other = _case("GET", "/sources/{id}", {"id": "6650a1f0c0ffee0000000002"}, read.operation.definition.raw, "o")
    assert contract.deleted_reads_empty(ctx, _response(200, {"total": 1, "result": [{}]}), other) is None
    # DELETE ?wait=false finishes in the background: a read may still see the entity for a while.
    background = _case("DELETE", "/sources/{id}", ident, {}, "d", query={"wait": False})
    later = SimpleNamespace(internals=_Calls([background], {"d": _response(200)}))
    assert contract.deleted_reads_empty(later, _response(200, {"total": 1, "result": [{}]}), read) is None


def test_refusals_for_who_asks_are_accepted_only_where_the_backend_refuses():
    doc = contract.document()

    def accepted(schema, path, method):
        checks = schema.config.checks_config_for(operation=schema[path][method], phase=None)
        return set(checks.positive_data_acceptance.expected_statuses)

    admin = schemathesis.openapi.from_dict(doc, config=contract.build_config(
        base_url=None, token="t", max_examples=1, doc=doc))
    assert "401" in accepted(admin, "/auth/access-token", "POST")
    assert "403" in accepted(admin, "/tags/{id}", "DELETE") and "403" in accepted(admin, "/auth/client-credentials", "POST")
    for path, method in (("/sources", "POST"), ("/sources/{id}", "DELETE"), ("/pipelines/{id}", "PUT")):
        assert not {"401", "403"} & accepted(admin, path, method), (method, path)

    read_only = schemathesis.openapi.from_dict(doc, config=contract.build_config(
        base_url=None, token="t", max_examples=1, doc=doc, read_only=True))
    assert "403" in accepted(read_only, "/sources/{id}", "DELETE")
    assert "403" not in accepted(read_only, "/sources/{id}", "GET")


# ---- stateful runs that create, read, update and delete every entity type ---------

ENTITY_TYPES = ("sources", "destinations", "transforms", "pipelines")
ENTITY_PATHS = f"^/({'|'.join(ENTITY_TYPES)})(/|$)"
STATEFUL_EXAMPLES = int(os.environ.get("STREAMKAP_FUZZ_STATEFUL_EXAMPLES", "30"))
STATEFUL_STEPS = 10


def valid_bodies(api, as_: str) -> dict:
    """Bodies that pass the plugin rules, unique where the backend wants it, by operation label.

    A pipeline needs a source and a destination: they are made first, as ``as_``.
    """
    source = api.ok("POST", "/sources", as_=as_, json={
        "name": f"fuzz-pipe-src-of-{as_}-only", "connector": "postgresql",
        "config": {**PG_SOURCE_CONFIG, "slot.name": f"fuzz_pipe_slot_{as_}".replace("-", "_"),
                   "publication.name": f"fuzz_pipe_pub_{as_}".replace("-", "_")}})
    destination = api.ok("POST", "/destinations", as_=as_, json={
        "name": f"fuzz-pipe-dst-of-{as_}-only", "connector": "snowflake", "config": SNOWFLAKE_CONFIG})

    def new_source(n):  # a replication slot and publication are one source's own
        return {"name": f"fuzz-src-{n}", "connector": "postgresql",
                "config": {**PG_SOURCE_CONFIG, "slot.name": f"slot_{n}", "publication.name": f"pub_{n}"}}

    def source_update(n):  # absent set-once keys (the slot, the publication) keep their stored values
        return {"name": f"fuzz-src-{n}", "connector": "postgresql", "config": PG_SOURCE_CONFIG}

    def new_destination(n):
        return {"name": f"fuzz-dst-{n}", "connector": "snowflake", "config": SNOWFLAKE_CONFIG}

    def transform(n):
        return {"transform": "map_filter", "config": {"transforms.name": f"fuzz-tf-{n}",
                                                      "transforms.input.topic.pattern": "public\\..*",
                                                      "transforms.output.topic.pattern": "clean"}}

    def pipeline(n):
        return {"name": f"fuzz-pipe-{n}",
                "source": {"id": source["id"], "name": source["name"], "connector": "postgresql",
                           "topics": ["public.users"]},
                "destination": {"id": destination["id"], "name": destination["name"], "connector": "snowflake"},
                "transforms": [], "tags": []}

    return {"POST /sources": new_source, "PUT /sources/{id}": source_update,
            "POST /destinations": new_destination, "PUT /destinations/{id}": new_destination,
            "POST /transforms": transform, "PUT /transforms/{id}": transform,
            "POST /pipelines": pipeline, "PUT /pipelines/{id}": pipeline}


def stateful_run(api, as_: str, bodies: dict, paths: str = "", watch: tuple[str, ...] = (), seed: int = SEED,
                 read_only: bool = False, examples: int = STATEFUL_EXAMPLES,
                 phases: tuple[str, ...] = ("stateful",)) -> contract.Report:
    """The stateful phase (and ``phases``), as ``as_``, over the operations whose path matches ``paths``."""
    doc = contract.link_deletes_to_reads(api.client.get("/openapi.json").json())
    doc["paths"] = {path: spec for path, spec in doc["paths"].items() if re.match(paths, path)}
    config = contract.build_config(base_url=None, token=api.token(as_), max_examples=examples, seed=seed,
                                   max_steps=STATEFUL_STEPS, doc=doc, read_only=read_only)
    schema = schemathesis.openapi.from_dict(doc, config=config)
    schema.app, schema.location = api.client.app, "/openapi.json"
    for phase in ("examples", "coverage", "fuzzing"):
        getattr(schema.config.phases, phase).enabled = phase in phases
    # Links the document declares only: inferred ones send random ids, which only find 404s.
    schema.config.phases.stateful.inference.algorithms = []
    contract.creates_as_entry_points(schema)
    contract.mix_in_bodies(schema, bodies)
    return contract.run(schema, watch)


def successes(report: contract.Report, label: str) -> int:
    return sum(n for status, n in report.statuses.get(label, {}).items() if status.startswith("2"))


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_stateful_runs_create_update_and_delete_then_read_deleted_entities(make_api, entity_type):
    api = make_api(db=":memory:")
    report = stateful_run(api, "mock-client", valid_bodies(api, "mock-client"), paths=f"^/{entity_type}(/|$)")

    assert report.ok, report.summary()
    member = f"/{entity_type}/{{id}}"
    for label in (f"POST /{entity_type}", f"PUT {member}", f"DELETE {member}", f"GET {member}"):
        assert successes(report, label), (label, report.statuses)
    # deleted_reads_empty examined at least one read of an entity after its delete
    assert report.deleted_reads.get(member, 0) > 0, report.deleted_reads


def writes_that_succeeded(report: contract.Report) -> dict[str, dict]:
    reads_by_post = {"POST /sources/search", "POST /destinations/search"}  # the filter is in the body
    return {label: dict(statuses) for label, statuses in report.statuses.items()
            if not label.startswith("GET ") and label not in reads_by_post and successes(report, label)}


def read_only_run(api, bodies: dict) -> contract.Report:
    return stateful_run(api, "mock-readonly", bodies, paths=ENTITY_PATHS, read_only=True, examples=10)


def test_a_read_only_credential_changes_nothing_however_it_tries(make_api):
    api = make_api(db=":memory:")
    bodies = valid_bodies(api, "mock-client")
    before = {kind: api.get(f"/{kind}?page_size=100").json() for kind in ENTITY_TYPES}
    report = read_only_run(api, bodies)

    assert report.ok, report.summary()
    assert sum(n for label, statuses in report.statuses.items() if not label.startswith("GET ")
               for n in statuses.values()) > 0
    assert not writes_that_succeeded(report)
    assert {kind: api.get(f"/{kind}?page_size=100").json() for kind in ENTITY_TYPES} == before


def other_tenant_run(api) -> tuple[contract.Report, dict]:
    """Globex fuzzes beside acme's entities, watching for acme's ids and names; and acme's state before."""
    valid_bodies(api, "mock-client")  # acme's source and destination
    acme = {kind: api.get(f"/{kind}?page_size=100").json() for kind in ENTITY_TYPES}
    watch = tuple(e[key] for page in acme.values() for e in page["result"] for key in ("id", "name"))
    # The fuzzing phase as well: it calls the lists and searches, where a leak would show.
    return stateful_run(api, "mock-client-2", valid_bodies(api, "mock-client-2"), paths=ENTITY_PATHS,
                        watch=watch, examples=10, phases=("fuzzing", "stateful")), acme


def test_another_tenant_neither_sees_nor_changes_what_it_does_not_own(make_api):
    api = make_api(db=":memory:")
    report, acme = other_tenant_run(api)

    assert report.ok, report.summary()
    assert successes(report, "POST /sources") and successes(report, "DELETE /pipelines/{id}"), report.statuses
    assert not report.leaks, report.leaks
    assert {kind: api.get(f"/{kind}?page_size=100").json() for kind in ENTITY_TYPES} == acme


# ---- each check above fails against an app broken the way it guards against -------

def test_deleted_reads_empty_fails_when_deleted_entities_stay_readable(make_api, monkeypatch):
    monkeypatch.setattr(records, "is_visible", lambda record, who, now: records.in_scope(record, who))
    monkeypatch.setattr(app_module, "tombstone", lambda record, now: record)  # keep what the read would show
    api = make_api(db=":memory:")
    report = stateful_run(api, "mock-client", valid_bodies(api, "mock-client"), paths="^/destinations(/|$)")
    assert "deleted_reads_empty" in report.operations["GET /destinations/{id}"].failures, report.summary()


def test_the_read_only_run_fails_when_a_read_only_credential_may_write(make_api, monkeypatch):
    monkeypatch.setattr(Principal, "require", lambda self, permission: None)
    api = make_api(db=":memory:")
    assert writes_that_succeeded(read_only_run(api, valid_bodies(api, "mock-client")))


def test_the_other_tenant_run_fails_when_tenancy_is_ignored(make_api, monkeypatch):
    # Every caller acts in acme's scope, whoever it logged in as (lists are served by tenant indexes,
    # so the tenancy a broken app would ignore is the principal's).
    principal_for = Directory.principal_for
    monkeypatch.setattr(Directory, "principal_for", lambda self, credential: dataclasses.replace(
        principal_for(self, credential), tenant_id="tenant-acme", service_id="service-acme-prod"))
    api = make_api(db=":memory:")
    report, _ = other_tenant_run(api)
    assert report.leaks
