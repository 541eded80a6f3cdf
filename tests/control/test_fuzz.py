"""Schemathesis over the control plane's own document, as tests/contract/test_fuzz.py does for the API.

Run with an admin token, so the checks that want a 401 without credentials hold.
``STREAMKAP_FUZZ_EXAMPLES`` and ``STREAMKAP_FUZZ_SEED`` lengthen or vary the run.
"""

from __future__ import annotations

from mockserver.control import routes as control_routes
from tests.contract.test_fuzz import fuzz

ADMIN = "fuzz-admin-token"


def test_every_control_operation_passes_every_check(make_api):
    api = make_api(db=":memory:", admin_token=ADMIN)
    report = fuzz(api, "/__mock/openapi.json", ADMIN, control_routes.document())
    assert report.phases.get("stateful", 0) > 0, report.summary()
