"""The OpenAPI 3.1 contract, generated from the route table.

Every route declared with ``routing.operation(...)`` becomes one operation:
its parameters, request body and every status it can answer (the declared
``errors`` plus the implied 401/403 for authenticated routes and 422 where a
body, query or typed path parameter can be malformed). Schemas come from the
pydantic models, under ``#/components/schemas``. Examples are the JSON files
of ``contracts/examples`` named ``<operation_id>.request.json`` or
``<operation_id>.response.json`` (plain payloads), with their summaries in
``contracts/examples/summaries.json``. ``contracts/openapi.json`` is this output,
committed; a test regenerates it and fails when the two differ.

A GET of one entity that answers with the list envelope is marked
``x-missing-reads-empty``: a missing or deleted id reads as 200 with an empty
result, never 404 (the provider relies on it to notice out-of-band deletes).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from mockserver import __version__
from mockserver.domain.plugin_schemas import config_schema
from mockserver.domain.plugins import PluginRegistry
from mockserver.http.routes import api_routes
from mockserver.http.routing import Operation
from mockserver.models.common import OBJECT_ID_PATTERN, Envelope, ErrorBody, ValidationErrorBody
from mockserver.settings import DEFAULT_FIXTURES, shipped

CONTRACTS = shipped("contracts")
REF_TEMPLATE = "#/components/schemas/{model}"
SECURITY_SCHEME = "bearerAuth"
MISSING_READS_EMPTY = "x-missing-reads-empty"
_PATH_PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


def operations_of(routes: Iterable[Any]) -> list[Operation]:
    return [route.operation for route in routes if hasattr(route, "operation")]


def build_document(operations: Iterable[Operation], examples_dir: Path | None = CONTRACTS / "examples",
                   plugins: PluginRegistry | None = None) -> dict:
    """The document of these operations; with ``plugins``, a config body is a ``oneOf`` of their configs."""
    operations = list(operations)
    schemas, components = _schemas(operations)
    bodies = {op.operation_id: _plugin_variants(op, schemas, components, plugins)
              for op in operations if op.plugin_body is not None and plugins is not None}
    examples = _load_examples(examples_dir)
    paths: dict[str, dict] = {}
    for op in operations:
        methods = paths.setdefault(openapi_path(op.path), {})
        if op.method.lower() in methods:
            raise ValueError(f"{op.method} {op.path} is declared twice")
        methods[op.method.lower()] = _operation(op, schemas, examples, bodies.get(op.operation_id))
    ids = [op.operation_id for op in operations]
    if len(ids) != len(set(ids)):
        raise ValueError(f"operation ids declared twice: {sorted({i for i in ids if ids.count(i) > 1})}")
    _add_links(operations, paths, components)
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Streamkap API (as served by streamkap-mock)",
            "version": __version__,
            "description": "The Streamkap REST API as streamkap-mock serves it, for testing clients such as the "
                           "Streamkap Terraform provider without the real service.\n\n"
                           "To try an operation here: open POST /auth/access-token (filled in with the "
                           "credential mock-client / mock-secret) and Execute; the page then sends its "
                           "accessToken with every other operation. Elsewhere, send it as "
                           "`Authorization: Bearer <accessToken>`.\n\n"
                           "Updates (PUT) replace the whole entity: send every field, as on create. A read "
                           "by id answers with the list envelope, whose result is empty for an id that does "
                           "not exist.",
        },
        # Relative: try-it-out in /docs calls whichever address served the document.
        "servers": [{"url": "/", "description": "the streamkap-mock that serves this document"}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {SECURITY_SCHEME: {"type": "http", "scheme": "bearer"}},
        },
    }
    used = {name for op in operations for name in _example_names(op, examples)}
    if used:
        document["components"]["examples"] = {name: examples[name] for name in sorted(used)}
    return document


def document() -> dict:
    """The document of this build's route table and its fixtures' plugins (what ``/openapi.json`` serves)."""
    return build_document(operations_of(api_routes()), plugins=PluginRegistry.load(DEFAULT_FIXTURES / "plugins"))


def render(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# ---- schemas ----------------------------------------------------------------

def _schemas(operations: list[Operation]) -> tuple[dict[tuple[Any, str], dict], dict[str, dict]]:
    """The schema of every body and response type, keyed by (type, mode), and the shared definitions."""
    inputs: dict[tuple[Any, str], tuple[Any, str, TypeAdapter]] = {}

    def want(model: Any, mode: str) -> None:
        if (model, mode) not in inputs:
            inputs[(model, mode)] = (model, mode, TypeAdapter(model))

    want(ErrorBody, "serialization")
    want(ValidationErrorBody, "serialization")
    for op in operations:
        if op.body is not None:
            want(op.body, "validation")
        if op.response is not None:
            want(op.response, "serialization")
    by_key, defs = TypeAdapter.json_schemas(list(inputs.values()), ref_template=REF_TEMPLATE)
    return dict(by_key), defs.get("$defs", {})


def _schema_of(schemas: dict, model: Any, mode: str) -> dict:
    return schemas[(model, mode)]


def _plugin_variants(op: Operation, schemas: dict, components: dict, plugins: PluginRegistry) -> dict:
    """The body as one variant per plugin, told apart by its connector (or transform) code."""
    base = schemas[(op.body, "validation")]
    name = base["$ref"].rsplit("/", 1)[1] if "$ref" in base else op.body.__name__
    model_schema = components.get(name, base)
    key = "transform" if op.plugin_body == "transforms" else "connector"
    mapping = {}
    for plugin in plugins.all(op.plugin_body):
        variant_name = f"{name}.{op.plugin_body}.{plugin.code}"
        if variant_name not in components:
            variant = copy.deepcopy(model_schema)
            variant["title"] = f"{name} for {plugin.display_name} ({op.plugin_body})"
            variant["properties"][key] = {"type": "string", "const": plugin.code}
            variant["properties"]["config"] = config_schema(plugin)
            components[variant_name] = variant
        mapping[plugin.code] = REF_TEMPLATE.format(model=variant_name)
    if not mapping:
        return base
    return {"oneOf": [{"$ref": ref} for ref in mapping.values()],
            "discriminator": {"propertyName": key, "mapping": mapping}}


# ---- operations -------------------------------------------------------------

def openapi_path(path: str) -> str:
    return _PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", path)


def _operation(op: Operation, schemas: dict, examples: dict[str, dict], body: dict | None = None) -> dict:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": op.path_params.get(name, {"type": "string"})}
        for name in _PATH_PARAM.findall(op.path)
    ]
    parameters += [
        {"name": p.name, "in": "query", "required": p.required, "schema": p.schema,
         **({"description": p.description} if p.description else {})}
        for p in op.query
    ]
    spec: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag]}
    if parameters:
        spec["parameters"] = parameters
    if op.body is not None:
        media: dict[str, Any] = {"schema": body or _schema_of(schemas, op.body, "validation")}
        request_example = f"{op.operation_id}.request"
        if request_example in examples:
            media["examples"] = {request_example: {"$ref": f"#/components/examples/{request_example}"}}
        spec["requestBody"] = {"required": True, "content": {"application/json": media}}
    spec["responses"] = _responses(op, schemas, examples)
    spec["security"] = [{SECURITY_SCHEME: []}] if op.auth else []
    if op.method == "GET" and _PATH_PARAM.search(op.path) and _is_envelope(op.response):
        spec[MISSING_READS_EMPTY] = True
    return spec


def _is_envelope(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, Envelope)


def statuses(op: Operation) -> list[int]:
    """Every status the operation can answer: success, declared errors, and the implied ones."""
    codes = {op.status, *op.errors}
    if op.auth:
        codes |= {401, 403}
    ids = [name for name, schema in op.path_params.items() if schema.get("pattern") == OBJECT_ID_PATTERN]
    if ids:
        codes.add(404)  # a malformed id is an entity that does not exist
    if op.body is not None or op.query or len(ids) < len(op.path_params):
        codes.add(422)
    return sorted(codes)


def _responses(op: Operation, schemas: dict, examples: dict[str, dict]) -> dict:
    responses: dict[str, dict] = {}
    for code in statuses(op):
        if code == op.status:
            body = _schema_of(schemas, op.response, "serialization") if op.response is not None else None
        elif code == 422:
            body = _schema_of(schemas, ValidationErrorBody, "serialization")
        else:
            body = _schema_of(schemas, ErrorBody, "serialization")
        response: dict[str, Any] = {"description": HTTPStatus(code).phrase}
        if body is not None:
            media: dict[str, Any] = {"schema": body}
            response_example = f"{op.operation_id}.response"
            if code == op.status and response_example in examples:
                media["examples"] = {response_example: {"$ref": f"#/components/examples/{response_example}"}}
            response["content"] = {"application/json": media}
        responses[str(code)] = response
    return responses


# ---- links, for stateful testing ---------------------------------------------

def _add_links(operations: list[Operation], paths: dict, components: dict) -> None:
    """Link each create (POST on a collection) to every operation on one member of that collection.

    The member's path parameter is filled from the created entity's field of
    the same name, or its ``id``.
    """
    for create in operations:
        if create.method != "POST" or create.response is None:
            continue
        collection = openapi_path(create.path)
        fields = _response_fields(paths[collection]["post"], create.status, components)
        links = {}
        for target in operations:
            target_path = openapi_path(target.path)
            member = re.fullmatch(re.escape(collection) + r"/{([^}]+)}(/.*)?", target_path)
            if not member:
                continue
            name = member.group(1)
            source_field = name if name in fields else "id" if "id" in fields else None
            if source_field is None:
                continue
            links[target.operation_id] = {
                "operationId": target.operation_id,
                "parameters": {f"path.{name}": f"$response.body#/{source_field}"},
            }
        if links:
            paths[collection]["post"]["responses"][str(create.status)]["links"] = dict(sorted(links.items()))


def _response_fields(spec: dict, status: int, components: dict) -> set[str]:
    schema = spec["responses"][str(status)].get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = components[ref.rsplit("/", 1)[1]]
    return set(schema.get("properties", {}))


# ---- examples ----------------------------------------------------------------

def example_files(directory: Path) -> list[Path]:
    """The example payloads: plain bodies, as ``curl -d @file`` sends them."""
    return sorted([*directory.glob("*.request.json"), *directory.glob("*.response.json")])


def _load_examples(directory: Path | None) -> dict[str, dict]:
    if directory is None or not directory.is_dir():
        return {}
    summaries = json.loads((directory / "summaries.json").read_text())
    return {file.name.removesuffix(".json"): {"summary": summaries[file.name.removesuffix(".json")],
                                              "value": json.loads(file.read_text())}
            for file in example_files(directory)}


def _example_names(op: Operation, examples: dict[str, dict]) -> list[str]:
    names = []
    if op.body is not None:
        names.append(f"{op.operation_id}.request")
    if op.response is not None:
        names.append(f"{op.operation_id}.response")
    return [name for name in names if name in examples]
