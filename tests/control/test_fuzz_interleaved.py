"""A stateful run over the control plane's document and the API's writes together: no server error.

The two documents are joined, and linked so that scenarios cross between them:
a created source or destination gets a forced status, snapshots are saved,
restored and deleted, the mock is reset and seeded, its clock moves, all between
the API's creates, updates, reads and deletes. Each plane keeps its own token.
(Faults are left out: their answers are server errors and broken connections on
purpose; tests/control/test_fuzz.py runs them alone.)
"""

from __future__ import annotations

import json
import re

import schemathesis

from mockserver import contract
from mockserver.control import routes as control_routes
from tests.contract.test_fuzz import SEED, valid_bodies

ADMIN = "fuzz-admin-token"
API_PATHS = r"^/(sources|destinations)(/\{id\})?$"


def link(doc: dict, path: str, method: str, status: str, name: str, target: str, parameters: dict) -> None:
    doc["paths"][path][method]["responses"][status].setdefault("links", {})[name] = {
        "operationId": target, "parameters": parameters}


def joined_document(api) -> dict:
    doc = contract.link_deletes_to_reads(api.client.get("/openapi.json").json())
    doc["paths"] = {path: spec for path, spec in doc["paths"].items() if re.match(API_PATHS, path)}
    control = json.loads(json.dumps(control_routes.document()))
    for methods in control["paths"].values():
        for spec in methods.values():
            if spec.get("security"):
                spec["security"] = [{"adminAuth": []}]
    # Faults are left out: their answers are errors and dropped connections on purpose.
    doc["paths"].update({path: spec for path, spec in control["paths"].items() if "/faults" not in path})
    doc["components"]["schemas"].update(control["components"]["schemas"])
    # A reset that revokes tokens, or a clock moved past the token's hour, would leave the rest of the
    # run answering 401.
    del doc["components"]["schemas"]["ResetRequest"]["properties"]["revoke_tokens"]
    doc["components"]["schemas"]["ClockAdvance"]["properties"]["seconds"]["maximum"] = 10
    doc["components"]["securitySchemes"]["adminAuth"] = {"type": "http", "scheme": "bearer"}
    for kind in ("sources", "destinations"):  # API -> control -> API
        link(doc, f"/{kind}", "post", "200", "forced_status", "mock_force_status", {"path.id": "$response.body#/id"})
    link(doc, "/__mock/connectors/{id}/status", "put", "200", "read_after_forced_status", "get_source",
         {"path.id": "$request.path.id"})
    for target in ("mock_restore_snapshot", "mock_delete_snapshot"):
        link(doc, "/__mock/snapshots/{name}", "post", "201", target, target, {"path.name": "$request.path.name"})
    link(doc, "/__mock/snapshots/{name}/restore", "post", "200", "delete_restored", "mock_delete_snapshot",
         {"path.name": "$request.path.name"})
    # The operations that take no id start scenarios only when they link on.
    link(doc, "/sources", "post", "200", "then_time_passes", "mock_clock_advance", {})
    link(doc, "/destinations", "post", "200", "then_a_snapshot", "mock_save_snapshot", {"path.name": "after-create"})
    for path, status in (("/__mock/reset", "200"), ("/__mock/seed", "201"), ("/__mock/clock/advance", "200")):
        link(doc, path, "post", status, "then_a_snapshot", "mock_save_snapshot", {"path.name": "then"})
    link(doc, "/__mock/snapshots/{name}", "post", "201", "then_a_reset", "mock_reset", {})
    kept = {spec["operationId"] for methods in doc["paths"].values() for spec in methods.values()}
    for methods in doc["paths"].values():  # links to operations left out (the connectors' actions, ...)
        for spec in methods.values():
            for response in spec["responses"].values():
                if "links" in response:
                    response["links"] = {n: ln for n, ln in response["links"].items() if ln["operationId"] in kept}
    return doc


def test_control_operations_between_api_writes_never_answer_a_server_error(make_api):
    api = make_api(admin_token=ADMIN)  # on disk: snapshots, reset and restore write files
    bodies = valid_bodies(api, "mock-client")
    doc = joined_document(api)
    config = contract.build_config(base_url=None, token=api.token("mock-client"), max_examples=15, seed=SEED,
                                   max_steps=12, doc=doc, other_tokens={"adminAuth": ADMIN})
    schema = schemathesis.openapi.from_dict(doc, config=config)
    schema.app, schema.location = api.client.app, "/openapi.json"
    for phase in ("examples", "coverage", "fuzzing"):
        getattr(schema.config.phases, phase).enabled = False
    schema.config.phases.stateful.inference.algorithms = []
    contract.creates_as_entry_points(schema)
    contract.mix_in_bodies(schema, bodies)
    report = contract.run(schema)

    server_errors = {label: {s: n for s, n in statuses.items() if s.startswith("5")}
                     for label, statuses in report.statuses.items()}
    assert not {label: errors for label, errors in server_errors.items() if errors}, report.summary()
    assert not any("not_a_server_error" in r.failures for r in report.operations.values()), report.summary()
    assert not report.errors, report.summary()
    crossed = {label for label, statuses in report.statuses.items() if any(s.startswith("2") for s in statuses)}
    assert {"POST /sources", "PUT /__mock/connectors/{id}/status", "POST /__mock/snapshots/{name}/restore",
            "POST /__mock/reset"} <= crossed, report.statuses
