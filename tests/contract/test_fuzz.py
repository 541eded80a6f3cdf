"""Schemathesis over the mock in-process: every operation, every check, and the stateful run over the links.

Bounded to stay fast; for a long run set ``STREAMKAP_FUZZ_EXAMPLES`` (examples
per operation) and ``STREAMKAP_FUZZ_SEED`` (a new seed explores new inputs).
"""

from __future__ import annotations

import os

import schemathesis

from mockserver import contract

MAX_EXAMPLES = int(os.environ.get("STREAMKAP_FUZZ_EXAMPLES", "25"))
SEED = int(os.environ.get("STREAMKAP_FUZZ_SEED", "20240115"))


def test_every_operation_passes_every_check(make_api):
    api = make_api(db=":memory:")
    config = contract.build_config(base_url=None, token=api.token("mock-client"),
                                   max_examples=MAX_EXAMPLES, seed=SEED)
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app, config=config)

    report = contract.run(schema)

    assert report.ok, report.summary()
    documented = {f"{method.upper()} {path}" for path, methods in contract.document()["paths"].items()
                  for method in methods}
    assert {label for label, result in report.operations.items() if result.cases} == documented
    # The stateful phase ran and followed links from created entities.
    assert report.phases.get("stateful", 0) > 0, report.summary()
    assert report.linked_calls > 0, report.summary()
