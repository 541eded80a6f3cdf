"""The committed contract is the route table's, and the mock serves it."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from starlette.routing import Route

from mockserver.http import docs
from mockserver.http.openapi import (
    CONTRACTS,
    build_document,
    document,
    example_files,
    openapi_path,
    operations_of,
    render,
    statuses,
)
from mockserver.http.routing import SECRET_RETURNED, Operation

COMMITTED = CONTRACTS / "openapi.json"
REGENERATE = "regenerate it: streamkap-mock openapi > contracts/openapi.json"


def committed() -> dict:
    return json.loads(COMMITTED.read_text())


def test_committed_document_is_the_generated_one():
    assert COMMITTED.read_text() == render(document()), f"contracts/openapi.json is out of date; {REGENERATE}"


def test_every_route_declares_its_operation(api):
    undeclared = [route.path for route in api.client.app.routes
                  if isinstance(route, Route) and not hasattr(route, "operation") and route not in docs.routes]
    assert undeclared == []


def test_every_operation_and_status_is_in_the_document(api):
    paths = committed()["paths"]
    for op in operations_of(api.client.app.routes):
        spec = paths[openapi_path(op.path)][op.method.lower()]
        assert spec["operationId"] == op.operation_id
        assert sorted(int(code) for code in spec["responses"]) == statuses(op)
    documented = sum(len(methods) for methods in paths.values())
    assert documented == len(operations_of(api.client.app.routes))


def test_a_status_added_to_a_route_changes_the_document():
    op = Operation(method="GET", path="/things/{id}", operation_id="get_thing", summary="A thing", tag="things",
                   errors=(404,), path_params={"id": {"type": "string"}})
    before = build_document([op], examples_dir=None)["paths"]["/things/{id}"]["get"]["responses"]
    after = build_document([Operation(**{**op.__dict__, "errors": (404, 409)})],
                           examples_dir=None)["paths"]["/things/{id}"]["get"]["responses"]
    assert set(after) - set(before) == {"409"}


def test_implied_statuses_follow_auth_body_and_parameters():
    bare = Operation(method="GET", path="/x", operation_id="x", summary="", tag="t", auth=False)
    assert statuses(bare) == [200]
    assert statuses(Operation(**{**bare.__dict__, "auth": True})) == [200, 401, 403]
    # A malformed id in a path is an entity that does not exist (404), not a 422.
    with_id = Operation(**{**bare.__dict__, "path_params": {"id": {"type": "string", "pattern": "^[0-9a-f]{24}$"}}})
    assert statuses(with_id) == [200, 404]
    assert 422 in statuses(Operation(**{**bare.__dict__, "query": (SECRET_RETURNED,)}))


def test_document_declares_bearer_auth_and_public_token_endpoint():
    doc = committed()
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert doc["paths"]["/auth/access-token"]["post"]["security"] == []
    assert doc["paths"]["/sources"]["get"]["security"] == [{"bearerAuth": []}]


def test_create_links_to_the_operations_on_the_created_entity():
    links = committed()["paths"]["/sources"]["post"]["responses"]["200"]["links"]
    assert set(links) == {"get_source", "update_source", "delete_source", "source_action"}
    assert links["get_source"]["parameters"] == {"path.id": "$response.body#/id"}


def test_examples_are_referenced_and_match_their_models(api):
    doc = committed()
    by_id = {op.operation_id: op for op in operations_of(api.client.app.routes)}
    names = {path.name.removesuffix(".json") for path in example_files(CONTRACTS / "examples")}
    assert names and set(doc["components"]["examples"]) == names
    for name in names:
        operation_id, kind = name.split(".")
        op = by_id[operation_id]
        value = doc["components"]["examples"][name]["value"]
        if kind == "request":
            op.body.model_validate_json(json.dumps(value))
        else:
            from pydantic import TypeAdapter
            TypeAdapter(op.response).validate_python(value)


def test_served_at_openapi_json_without_auth(api):
    response = api.client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == committed()


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.refs += [value for name, value in attrs if name in ("src", "href") and value]

    def handle_data(self, data):
        self.scripts.append(data)


def test_docs_page_is_swagger_ui_served_offline_over_the_document(api):
    response = api.client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = _Page()
    page.feed(response.text)
    assert page.refs and all(ref.startswith("/docs/assets/") for ref in page.refs), page.refs
    for ref in page.refs:  # every asset comes from this server
        asset = api.client.get(ref)
        assert asset.status_code == 200 and asset.content, ref
    script = "".join(page.scripts)
    assert "SwaggerUIBundle(" in script
    options = json.loads(script[script.index("{"):script.index("}") + 1])
    assert options["url"] == "/openapi.json" and options["tryItOutEnabled"] is True


def test_the_document_names_its_server_and_the_bearer_scheme():
    doc = committed()
    assert doc["servers"] == [{"url": "/", "description": "the streamkap-mock that serves this document"}]
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}


def test_request_examples_are_plain_bodies_the_api_accepts(api):
    """As ``curl -d @contracts/examples/<op>.request.json`` sends them."""
    by_id = {op.operation_id: op for op in operations_of(api.client.app.routes)}
    requests = [path for path in example_files(CONTRACTS / "examples") if path.name.endswith(".request.json")]
    assert requests
    for path in requests:
        op = by_id[path.name.split(".")[0]]
        response = api.request(op.method, op.path, content=path.read_bytes(),
                               headers={"Content-Type": "application/json"})
        assert response.status_code == 200, (path.name, response.text)


def test_openapi_command_prints_the_document():
    from click.testing import CliRunner

    from mockserver.cli import main

    result = CliRunner().invoke(main, ["openapi"])
    assert result.exit_code == 0, result.output
    assert result.output == COMMITTED.read_text()


def test_document_is_openapi_3_1_that_schemathesis_loads():
    import schemathesis

    schema = schemathesis.openapi.from_dict(committed())
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert "POST /sources" in labels and "GET /sources/{id}" in labels
