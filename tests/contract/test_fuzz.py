"""Schemathesis over the mock in-process: every operation, every check, and the stateful run over the links.

Bounded to stay fast; for a long run set ``STREAMKAP_FUZZ_EXAMPLES`` (examples
per operation) and ``STREAMKAP_FUZZ_SEED`` (a new seed explores new inputs).
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
import schemathesis

from mockserver import contract

MAX_EXAMPLES = int(os.environ.get("STREAMKAP_FUZZ_EXAMPLES", "25"))
SEED = int(os.environ.get("STREAMKAP_FUZZ_SEED", "20240115"))


def fuzz(api, document_path: str, token: str, documented: dict) -> contract.Report:
    """Every check over the document the app serves at ``document_path``; every documented operation ran."""
    config = contract.build_config(base_url=None, token=token, max_examples=MAX_EXAMPLES, seed=SEED,
                                   doc=api.client.get(document_path).json())
    schema = schemathesis.openapi.from_asgi(document_path, api.client.app, config=config)

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
