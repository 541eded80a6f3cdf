"""A plugin's config as a JSON Schema: what ``Plugin.prepare`` accepts, as far as JSON Schema can say it.

Each user-defined field becomes a property typed by its control (``value_problem``
in ``plugins.py`` is the rule this mirrors): types, enums, bounds, required keys,
conditional requirements as ``if``/``then``, secrets as ``writeOnly``. Computed
keys may be sent and are overwritten, so they take any value; keys no field
declares take what the backend's model allows (``UNDECLARED_VALUE_TYPES``).

What it cannot say, the server still checks (400, listed in docs/contract-rules.md):
a ``json`` field's text must parse, set-once keys cannot change, and
slot/publication names are unique per tenant.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from mockserver.domain.plugins import MAX_DIGITS, UNDECLARED_VALUE_TYPES, FieldSpec, Plugin, is_port
from mockserver.domain.transforms import NAME_KEY

_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)")
# The JSON types of the Python types in UNDECLARED_VALUE_TYPES.
_JSON_TYPES = {str: "string", int: "integer", bool: "boolean", list: "array", dict: "object"}


def _scalar(json_type: str | list[str], spec: Any) -> dict:
    schema: dict[str, Any] = {"type": json_type}
    if spec.min is not None:
        schema["minimum"] = spec.min
    if spec.max is not None:
        schema["maximum"] = spec.max
    return schema


def _sub_fields(subs: list, json_string: bool) -> dict:
    """A map entry: an object of these attributes (JSON text of one, too, with ``json_string``)."""
    entry: dict[str, Any] = {"type": "object", "properties": {}}
    for sub in subs:
        entry["properties"][sub.name] = _scalar(sub.type if sub.required else [sub.type, "null"], sub)
    required = [sub.name for sub in subs if sub.required]
    if required:
        entry["required"] = required
    return {"anyOf": [entry, {"type": "string", "contentMediaType": "application/json"}]} if json_string else entry


def value_schema(field: FieldSpec) -> dict:
    """The values ``value_problem`` accepts for this field (null aside)."""
    spec, control = field.value, field.value.control
    if control in ("number", "slider"):
        number = _scalar("integer", spec)
        if is_port(field.name):  # the backend keeps ports as text
            return {"anyOf": [number, {"type": "string", "pattern": f"^[0-9]{{1,{MAX_DIGITS}}}$"}]}
        return number
    if control == "toggle":
        return {"type": "boolean"}
    if control == "one-select":
        options = list(spec.raw_values or [])
        # The 2.x provider sends numeric choices as numbers ("500" arrives as 500).
        options += [int(v) for v in options if isinstance(v, str) and _DECIMAL.fullmatch(v)]
        return {"enum": options}
    if control == "multi-select":
        items: dict[str, Any] = {"type": "string"}
        if spec.raw_values:
            items["enum"] = list(spec.raw_values)
        return {"type": "array", "items": items}
    if control == "json":
        return {"type": "string", "contentMediaType": "application/json"}
    if control == "map":
        entries = _sub_fields(spec.value_fields, spec.json_string) if spec.value_fields is not None \
            else {"type": "string"}
        mapping = {"type": "object", "additionalProperties": entries}
        if spec.pairs_string:
            return {"anyOf": [mapping, {"type": "string", "pattern": r"^$|^[^:,]+:[^,]*(,[^:,]+:[^,]*)*$"}]}
        if spec.json_string:
            return {"anyOf": [mapping, {"type": "string", "contentMediaType": "application/json"}]}
        return mapping
    return {"type": "string"}


def _nullable(schema: dict) -> dict:
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None]}
    if "anyOf" in schema:
        return {**schema, "anyOf": [*schema["anyOf"], {"type": "null"}]}
    return {**schema, "type": [schema["type"], "null"]}


def _condition_holds(plugin: Plugin, key: str, value: Any) -> dict:
    """``key`` EQ ``value`` after defaults: sent with that value, or absent with that default."""
    holds: dict[str, Any] = {"required": [key], "properties": {key: {"const": value}}}
    target = plugin.fields.get(key)
    default = target.value.default if target is not None and target.user_defined else None
    if default is not None and default == value and type(default) is type(value):
        return {"anyOf": [holds, {"not": {"required": [key]}}]}
    return holds


def config_schema(plugin: Plugin) -> dict:
    properties: dict[str, Any] = {}
    required: list[str] = []
    conditional: list[dict] = []
    for field in plugin.spec.config:
        if not field.user_defined:
            properties[field.name] = {"description": "Computed by the server; a value sent here is replaced"}
            continue
        schema = value_schema(field)
        # A required key may not be null (null is missing); absent, it takes its default if it has one.
        always = field.required and not field.conditions
        if always and field.value.default is None:
            required.append(field.name)
        if not always:
            schema = _nullable(schema)
        if field.name == NAME_KEY and plugin.entity_type == "transforms":
            schema["pattern"] = r"\S"  # a transform's name: not blank
        if field.value.default is not None:
            schema["default"] = copy.deepcopy(field.value.default)
        if field.secret:
            schema["writeOnly"] = True
        if field.set_once:
            schema["description"] = "Set once: cannot change after create"
        properties[field.name] = schema
        if field.required and field.conditions:
            conditions = [_condition_holds(plugin, c.config, c.value) for c in field.conditions]
            then: dict[str, Any] = {"properties": {field.name: {"not": {"type": "null"}}}}
            if field.value.default is None:
                then = {"required": [field.name], **then}
            conditional.append({"if": conditions[0] if len(conditions) == 1 else {"allOf": conditions},
                                "then": then})
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if conditional:
        schema["allOf"] = conditional
    allowed = UNDECLARED_VALUE_TYPES.get(plugin.entity_type)
    if allowed is not None:
        schema["additionalProperties"] = {"type": [*(_JSON_TYPES[t] for t in allowed), "null"]}
    return schema
