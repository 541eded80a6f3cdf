"""The contract describes every connector: a body valid against a plugin's variant is accepted."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import jsonschema_rs
import pytest

from mockserver import contract
from mockserver.domain.plugins import PluginRegistry
from mockserver.settings import DEFAULT_FIXTURES

PLUGINS = PluginRegistry.load(DEFAULT_FIXTURES / "plugins")
BODIES = [("/sources", "sources", "connector"), ("/destinations", "destinations", "connector"),
          ("/transforms", "transforms", "transform")]
CASES = [(path, kind, key, plugin.code) for path, kind, key in BODIES for plugin in PLUGINS.all(kind)]


@pytest.fixture(scope="module")
def doc():
    return contract.document()


def variant(doc: dict, path: str, code: str, method: str = "post") -> dict:
    body = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return doc["components"]["schemas"][body["discriminator"]["mapping"][code].rsplit("/", 1)[1]]


def sample(schema: dict, name: str) -> object:
    """A value the schema accepts (its enum's first, its minimum, a string)."""
    for option in schema.get("anyOf", []):
        if option.get("type") != "null":
            return sample(option, name)
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    kinds = schema.get("type", "string")
    kind = next(k for k in ([kinds] if isinstance(kinds, str) else kinds) if k != "null")
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return '{"type": "service_account"}' if schema.get("contentMediaType") == "application/json" else f"{name}-x"


def minimal_config(config_schema: dict) -> dict:
    """The required keys, then whatever the if/then rules ask for, until the config is valid."""
    config = {name: sample(config_schema["properties"][name], name) for name in config_schema.get("required", [])}
    validator = jsonschema_rs.validator_for(config_schema)
    for _ in range(10):
        missing = [e.kind.property for e in validator.iter_errors(config) if type(e.kind).__name__ == "Required"]
        if not missing:
            break
        config.update({name: sample(config_schema["properties"][name], name) for name in missing})
    validator.validate(config)
    return config


@pytest.mark.parametrize("path,kind,key,code", CASES, ids=[f"{c[1]}-{c[3]}" for c in CASES])
def test_a_schema_valid_body_of_every_connector_is_accepted(api, doc, path, kind, key, code):
    schema = variant(doc, path, code)
    body = {key: code, "config": minimal_config(schema["properties"]["config"])}
    if kind == "transforms":
        body["config"]["transforms.name"] = f"t-{code}"
    else:
        body["name"] = f"n-{code}"
    jsonschema_rs.validator_for(schema).validate(body)
    response = api.post(path, json=body)
    assert response.status_code == 200, response.text


def test_variants_carry_types_enums_bounds_conditions_and_secrets(doc):
    postgresql = variant(doc, "/sources", "postgresql")["properties"]["config"]
    assert postgresql["properties"]["database.password"]["writeOnly"] is True
    assert "database.hostname.user.defined" in postgresql["required"]
    assert postgresql["properties"]["snapshot.read.only.user.defined"]["enum"][:2] == ["Yes", "No"]
    assert postgresql["additionalProperties"] == {"type": ["string", "integer", "boolean", "null"]}
    httpsink = variant(doc, "/destinations", "httpsink")["properties"]["config"]
    assert {"if": {"required": ["http.authorization.type"],
                   "properties": {"http.authorization.type": {"const": "static"}}},
            "then": {"required": ["http.headers.authorization"],
                     "properties": {"http.headers.authorization": {"not": {"type": "null"}}}}} in httpsink["allOf"]
    sliders = [s for s in variant(doc, "/sources", "mysql")["properties"]["config"]["properties"].values()
               if "minimum" in s and "maximum" in s]
    assert sliders
    assert variant(doc, "/transforms/{id}", "map_filter", "put")["properties"]["transform"]["const"] == "map_filter"


def test_a_condition_met_by_a_default_requires_the_key_when_the_controller_is_absent(api, doc):
    # Snowflake: passphrase.secured defaults to true, so leaving it out still requires the passphrase.
    config = minimal_config(variant(doc, "/destinations", "snowflake")["properties"]["config"])
    assert "snowflake.private.key.passphrase" in config and "snowflake.private.key.passphrase.secured" not in config
    config.pop("snowflake.private.key.passphrase")
    response = api.post("/destinations", json={"name": "s", "connector": "snowflake", "config": config})
    assert (response.status_code, response.json()) == (
        400, {"detail": "Missing required config: snowflake.private.key.passphrase"})


def test_the_document_is_built_without_the_app():
    code = "import sys, mockserver.http.openapi as o; o.document(); print('mockserver.app' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_schemathesis_toml_exempts_exactly_the_reads_that_answer_empty(doc):
    settings = tomllib.loads(contract.PROJECT_SETTINGS.read_text())
    exempt = [op for op in settings["operations"] if op.get("checks", {}).get("use_after_free") == {"enabled": False}]
    assert [op["include-operation-id"] for op in exempt] == [contract._missing_reads_empty(doc)]


def test_a_conditionally_required_key_with_a_default_may_be_left_out_but_not_null(api, doc):
    schema = variant(doc, "/sources", "postgresql")
    validator = jsonschema_rs.validator_for(schema)
    config = {**minimal_config(schema["properties"]["config"]), "ssh.enabled": True, "ssh.host": "bastion"}
    body = {"name": "ssh", "connector": "postgresql", "config": config}
    assert validator.is_valid(body)  # ssh.port and ssh.user left out: their defaults apply
    assert api.post("/sources", json=body).status_code == 200
    null_port = {**body, "name": "ssh2", "config": {**config, "ssh.port": None, "slot.name": "s2"}}
    assert not validator.is_valid(null_port)
    response = api.post("/sources", json=null_port)
    assert response.status_code == 400 and "ssh.port" in response.json()["detail"]
