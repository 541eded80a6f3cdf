"""Schemathesis over the control plane's own document, as tests/contract/test_fuzz.py does for the API.

Run with an admin token, so the checks that want a 401 without credentials hold.
``STREAMKAP_FUZZ_EXAMPLES`` and ``STREAMKAP_FUZZ_SEED`` lengthen or vary the run.
"""

from __future__ import annotations

import schemathesis

from mockserver import contract
from mockserver.control import routes as control_routes
from tests.contract.test_fuzz import MAX_EXAMPLES, SEED

ADMIN = "fuzz-admin-token"


def test_every_control_operation_passes_every_check(make_api):
    api = make_api(db=":memory:", admin_token=ADMIN)
    doc = api.client.get("/__mock/openapi.json").json()
    config = contract.build_config(base_url=None, token=ADMIN, max_examples=MAX_EXAMPLES, seed=SEED, doc=doc)
    schema = schemathesis.openapi.from_asgi("/__mock/openapi.json", api.client.app, config=config)

    report = contract.run(schema)

    assert report.ok, report.summary()
    documented = {f"{method.upper()} {path}" for path, methods in control_routes.document()["paths"].items()
                  for method in methods}
    assert {label for label, result in report.operations.items() if result.cases} == documented
    assert report.phases.get("stateful", 0) > 0, report.summary()
