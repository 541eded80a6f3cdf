"""Connector plugins: the per-connector config schema and what it implies.

A plugin file (`fixtures/plugins/{entity_type}/{code}/configuration.latest.json`)
lists user-defined fields (validated, defaulted) and computed fields (resolved
by named functions in `mockserver.domain.resolvers`, in dependency order).
This module is pure domain code: no HTTP, no storage.
"""

from __future__ import annotations

import copy
import functools
import inspect
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, model_validator

from mockserver.errors import BadRequest
from mockserver.models.base import Model

from .resolvers import RESOLVERS, ResolverContext

ENTITY_TYPES = ("sources", "destinations", "transforms")
PLUGIN_FILE = "configuration.latest.json"

Control = Literal["string", "password", "textarea", "number", "slider", "toggle",
                  "one-select", "multi-select", "json", "map", "readonly"]

# The JSON type a client sees for each control (GET /{type}/connectors).
CONTROL_TYPES = {
    "string": "string", "password": "string", "textarea": "string", "readonly": "string",
    "one-select": "string", "number": "integer", "slider": "integer", "toggle": "boolean",
    "multi-select": "list", "json": "json", "map": "map",
}


# ---------------------------------------------------------------- file format

class _Strict(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConditionSpec(_Strict):
    operator: Literal["EQ", "NE", "IN"]
    config: str
    value: Any = None

    @model_validator(mode="after")
    def _in_takes_list(self) -> "ConditionSpec":
        if self.operator == "IN" and not isinstance(self.value, list):
            raise ValueError("IN condition needs a list value")
        return self

    def holds(self, config: Mapping[str, Any]) -> bool:
        actual = config.get(self.config)
        if self.operator == "EQ":
            return _same_json(actual, self.value)
        if self.operator == "NE":
            return not _same_json(actual, self.value)
        return any(_same_json(actual, option) for option in self.value)


class SubFieldSpec(_Strict):
    """One attribute of an object-valued map entry."""
    name: str
    type: Literal["string", "integer", "boolean"]
    required: bool = False
    min: int | None = None
    max: int | None = None


class ValueSpec(_Strict):
    control: Control
    type: Literal["raw", "dynamic"]
    default: Any = None
    raw_values: list[Any] | None = None
    min: int | None = None
    max: int | None = None
    value_fields: list[SubFieldSpec] | None = None  # map entries are objects of these
    json_string: bool = False                       # map may arrive as JSON text
    pairs_string: bool = False                      # map may arrive as "k:v,k:v" text (2.x provider)
    function_name: str | None = None
    dependencies: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> "ValueSpec":
        if self.type == "dynamic" and not self.function_name:
            raise ValueError("dynamic value needs function_name")
        if self.type == "raw" and (self.function_name or self.dependencies):
            raise ValueError("raw value cannot have function_name/dependencies")
        if self.control == "one-select" and not self.raw_values:
            raise ValueError("one-select needs raw_values")
        if self.control == "slider" and (self.min is None or self.max is None):
            raise ValueError("slider needs min and max")
        return self


class FieldSpec(_Strict):
    name: str = Field(min_length=1)
    user_defined: bool
    required: bool = False
    conditions: list[ConditionSpec] = Field(default_factory=list)
    value: ValueSpec
    encrypt: bool = False
    set_once: bool = False

    @model_validator(mode="after")
    def _kind_matches(self) -> "FieldSpec":
        if self.user_defined != (self.value.type == "raw"):
            raise ValueError(f"{self.name}: user-defined fields are raw, computed ones dynamic")
        return self

    @property
    def secret(self) -> bool:
        return self.encrypt or self.value.control == "password"


class UniqueRuleSpec(_Strict):
    keys: list[str] = Field(min_length=1)
    detail: str


class PluginFile(_Strict):
    display_name: str
    connector: str
    entity_type: Literal["sources", "destinations", "transforms"]
    unique_per_tenant: list[UniqueRuleSpec] = Field(default_factory=list)
    topics_from: str | None = None
    config: list[FieldSpec]


# ---------------------------------------------------------------- helpers

def _same_json(a: Any, b: Any) -> bool:
    # JSON equality: True is not 1.
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


def is_port(name: str) -> bool:
    return "port" in re.split(r"[._-]", name.lower())


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string",
            list: "list", dict: "object"}.get(type(value), type(value).__name__)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_NOT_JSON = object()


def _parse_json(text: str) -> Any:
    """The value ``text`` holds, or ``_NOT_JSON``; nesting too deep to parse is not JSON either."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON


def _check_range(value: int, lo: int | None, hi: int | None) -> str | None:
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        return f"{value} is out of range {'' if lo is None else lo}..{'' if hi is None else hi}"
    return None


def _check_sub(entry: Any, subs: list[SubFieldSpec], json_string: bool) -> str | None:
    if json_string and isinstance(entry, str):
        entry = _parse_json(entry)
        if entry is _NOT_JSON:
            return "entry is not valid JSON"
    if not isinstance(entry, dict):
        return f"entries must be objects, got {_type_name(entry)}"
    for sub in subs:
        item = entry.get(sub.name)
        if item is None:
            if sub.required:
                return f"entry is missing {sub.name!r}"
            continue
        if sub.type == "integer":
            if not _is_int(item):
                return f"{sub.name!r} must be an integer"
            if problem := _check_range(item, sub.min, sub.max):
                return f"{sub.name!r}: {problem}"
        elif sub.type == "boolean" and not isinstance(item, bool):
            return f"{sub.name!r} must be a boolean"
        elif sub.type == "string" and not isinstance(item, str):
            return f"{sub.name!r} must be a string"
    return None


MAX_DIGITS = sys.get_int_max_str_digits() or 4300
_DIGITS = re.compile(r"[0-9]+")  # a port sent as text: ASCII digits only, as the contract's pattern says

# What the backend's models accept as the value of a key no plugin field declares:
# SourceConnector.config is ``Dict[str, str | int | bool | None]``, a destination's
# also takes lists and objects. Transforms have no such model; any JSON goes.
UNDECLARED_VALUE_TYPES: dict[str, tuple[type, ...]] = {
    "sources": (str, int, bool),
    "destinations": (str, int, bool, list, dict),
}


def undeclared_problem(entity_type: str, value: Any) -> str | None:
    """Why the value of an undeclared key does not fit the backend's config model, or None."""
    allowed = UNDECLARED_VALUE_TYPES.get(entity_type)
    if allowed is None or value is None or isinstance(value, allowed):
        return None
    if isinstance(value, float) and value.is_integer() and int in allowed:
        return None  # 60.0 is the integer 60 to a JSON client
    names = "string, integer, boolean" + (", list or object" if list in allowed else " or null")
    return f"expected a {names}, got {_type_name(value)}"


def _own_copy(value: Any) -> Any:
    """A copy a config can change freely: a string, number, boolean or null is its own (most values are)."""
    return value if value is None or isinstance(value, (str, int, float)) else copy.deepcopy(value)


def value_problem(field: FieldSpec, value: Any) -> str | None:
    """Why `value` does not fit the field's control, or None. `value` is not null."""
    spec, control = field.value, field.value.control
    if control in ("number", "slider"):
        number = value
        if isinstance(value, str) and is_port(field.name) and _DIGITS.fullmatch(value):
            if len(value) > MAX_DIGITS:  # beyond what int() may parse
                return f"{len(value)} digits is out of range {spec.min}..{spec.max}"
            number = int(value)  # the backend keeps ports as strings
        if not _is_int(number):
            return f"expected an integer, got {_type_name(value)}"
        return _check_range(number, spec.min, spec.max)
    if control == "toggle":
        return None if isinstance(value, bool) else f"expected a boolean, got {_type_name(value)}"
    if control == "one-select":
        if any(_same_json(value, option) for option in spec.raw_values or []):
            return None
        # The 2.x provider sends numeric choices as numbers ("500" arrives as 500).
        if _is_int(value) and str(value) in (spec.raw_values or []):
            return None
        return f"{json.dumps(value)} is not one of: {', '.join(map(str, spec.raw_values or []))}"
    if control == "multi-select":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"expected a list of strings, got {_type_name(value)}"
        if spec.raw_values:
            bad = [v for v in value if v not in spec.raw_values]
            if bad:
                return f"{', '.join(bad)} not among: {', '.join(map(str, spec.raw_values))}"
        return None
    if control == "json":
        if not isinstance(value, str):
            return f"expected a string holding JSON, got {_type_name(value)}"
        return "expected a string holding valid JSON" if _parse_json(value) is _NOT_JSON else None
    if control == "map":
        mapping = value
        if value == "" and (spec.json_string or spec.pairs_string):
            return None  # the 2.x provider's text form of an empty map
        if spec.pairs_string and isinstance(value, str):
            pairs = [item.partition(":") for item in value.split(",")]
            if all(key and sep for key, sep, _ in pairs):
                return None
            return 'expected an object or "key:value,key:value" text'
        if spec.json_string and isinstance(value, str):
            mapping = _parse_json(value)
            if mapping is _NOT_JSON:
                return "expected an object or a string holding a JSON object"
        if not isinstance(mapping, dict):
            return f"expected an object, got {_type_name(value)}"
        for key, entry in mapping.items():
            if spec.value_fields is not None:
                if problem := _check_sub(entry, spec.value_fields, spec.json_string):
                    return f"key {key!r}: {problem}"
            elif not isinstance(entry, str):
                return f"key {key!r}: values must be strings, got {_type_name(entry)}"
        return None
    # string, password, textarea, readonly
    return None if isinstance(value, str) else f"expected a string, got {_type_name(value)}"


# ---------------------------------------------------------------- plugin

@dataclass(frozen=True)
class UniqueRule:
    keys: tuple[str, ...]
    detail: str


class PluginDefinitionError(RuntimeError):
    """The plugin file is broken; reported by check(), raised if used anyway."""


class Plugin:
    def __init__(self, spec: PluginFile) -> None:
        self.spec = spec
        self.entity_type: str = spec.entity_type
        self.code: str = spec.connector
        self.display_name: str = spec.display_name
        self.unique_per_tenant: tuple[UniqueRule, ...] = tuple(
            UniqueRule(tuple(rule.keys), rule.detail) for rule in spec.unique_per_tenant)
        self.topics_from: str | None = spec.topics_from
        self.fields: dict[str, FieldSpec] = {f.name: f for f in spec.config}
        self.user_fields = [f for f in spec.config if f.user_defined]
        self.computed_fields = [f for f in spec.config if not f.user_defined]
        # What steps of prepare() look at, worked out once: most concern a few fields, not all.
        self._defaults = [(f.name, f.value.default, f.set_once) for f in self.user_fields]
        self._required = [f for f in self.user_fields if f.required]
        self._set_once = [f for f in self.user_fields if f.set_once]
        self._conditional_secrets = [f for f in self.user_fields if f.secret and f.conditions]
        self.problems: list[str] = []
        self.resolution_order: list[FieldSpec] = self._order()
        # Each computed field as prepare() resolves it: its name, resolver and dependencies (None: a problem).
        self._resolution = [(f.name, RESOLVERS.get(f.value.function_name or ""), tuple(f.value.dependencies))
                            for f in self.resolution_order]
        self.problems += self._static_problems()

    def __repr__(self) -> str:
        return f"<Plugin {self.entity_type}/{self.code}>"

    # -- definition checks

    def _order(self) -> list[FieldSpec]:
        """Computed fields so that each comes after the computed fields it depends on."""
        computed = {f.name: f for f in self.computed_fields}
        pending = {name: {d for d in f.value.dependencies if d in computed and d != name}
                   for name, f in computed.items()}
        for f in self.computed_fields:
            if f.name in f.value.dependencies:
                pending[f.name].add(f.name)  # self-dependency is a cycle of one
        order: list[FieldSpec] = []
        while pending:
            ready = [name for name in computed if name in pending and not pending[name]]
            if not ready:
                self.problems.append("dependency cycle among: " + ", ".join(sorted(pending)))
                break
            for name in ready:
                order.append(computed[name])
                del pending[name]
            for deps in pending.values():
                deps.difference_update(ready)
        return order

    def _static_problems(self) -> list[str]:
        problems: list[str] = []
        seen: set[str] = set()
        for f in self.spec.config:
            if f.name in seen:
                problems.append(f"field {f.name!r} is defined twice")
            seen.add(f.name)
            for cond in f.conditions:
                if cond.config not in self.fields:
                    problems.append(f"field {f.name!r}: condition names unknown field {cond.config!r}")
            if f.user_defined:
                if f.value.default is not None and (bad := value_problem(f, f.value.default)):
                    problems.append(f"field {f.name!r}: default {bad}")
                continue
            if f.value.function_name not in RESOLVERS:
                problems.append(f"field {f.name!r}: no resolver named {f.value.function_name!r}")
            for dep in f.value.dependencies:
                if dep not in self.fields:
                    problems.append(f"field {f.name!r}: dependency {dep!r} is not a field")
        for rule in self.unique_per_tenant:
            for key in rule.keys:
                if key not in self.fields:
                    problems.append(f"unique_per_tenant names unknown field {key!r}")
        if self.topics_from is not None and self.topics_from not in self.fields:
            problems.append(f"topics_from names unknown field {self.topics_from!r}")
        return problems

    # -- public API

    @functools.cached_property  # asked several times on every write
    def _secret_keys(self) -> frozenset[str]:
        return frozenset(f.name for f in self.spec.config if f.secret)

    def secret_keys(self) -> frozenset[str]:
        return self._secret_keys

    async def prepare(self, config: dict, *, entity_id: str, existing: dict | None = None) -> dict:
        if self.problems:
            raise PluginDefinitionError(f"plugin {self.entity_type}/{self.code} is invalid: "
                                        + "; ".join(self.problems))
        if not isinstance(config, dict):
            raise BadRequest("config must be an object")
        result = {key: _own_copy(value) for key, value in config.items()}  # never touch the caller's dicts

        # Absent keys: set-once ones keep their stored value, the rest take defaults.
        defaulted: set[str] = set()
        for name, default, set_once in self._defaults:
            if name not in result:
                if set_once and existing is not None and name in existing:
                    result[name] = _own_copy(existing[name])
                else:
                    result[name] = _own_copy(default)
                    defaulted.add(name)

        missing = sorted(f.name for f in self._required
                         if result.get(f.name) is None and all(c.holds(result) for c in f.conditions))
        if missing:
            raise BadRequest("Missing required config: " + ", ".join(missing))

        # Defaults were checked when the plugin was read (a plugin with a bad one is not used): the
        # values sent and those kept are checked here, and only what was sent can be undeclared.
        for f in self.user_fields:
            value = result.get(f.name)
            if value is not None and f.name not in defaulted and (problem := value_problem(f, value)):
                raise BadRequest(f'Invalid value for "{f.name}": {problem}')
        for key in config:
            if key not in self.fields and (problem := undeclared_problem(self.entity_type, result[key])):
                raise BadRequest(f'Invalid value for "{key}": {problem}')

        if existing is not None:
            for f in self._set_once:
                if f.name in existing and not self._unchanged(f.name, existing[f.name], result.get(f.name)):
                    raise BadRequest(f'"{f.name}" cannot be changed after creation')

        # A secret the request switches off (a condition on a key it sent fails) keeps no value:
        # the backend answers null, even with secret_returned=true, and 3.x restores its own value.
        # A switch left to its default does not count: the 2.x iceberg acceptance test sends AWS
        # keys without the later credentials toggle and reads them back.
        for f in self._conditional_secrets:
            failed = [c for c in f.conditions if not c.holds(result)]
            if failed and all(c.config in config for c in failed):
                result[f.name] = None

        # Computed keys always win over whatever the request carried under that name.
        view = MappingProxyType(result)
        for name, resolve, dependencies in self._resolution:
            value = resolve(ResolverContext(entity_id=entity_id, entity_type=self.entity_type, connector=self.code,
                                            field=name, dependencies=dependencies, config=view))
            if inspect.isawaitable(value):
                value = await value
            result[name] = value
        return result

    @staticmethod
    def _unchanged(name: str, old: Any, new: Any) -> bool:
        if _same_json(old, new):
            return True
        # A port stored as "5432" and resent as 5432 is the same port.
        return (is_port(name) and old is not None and new is not None
                and str(old).strip() == str(new).strip())

    def describe(self) -> dict:
        return {
            "connector": self.code,
            "display_name": self.display_name,
            "fields": [
                {
                    "name": f.name,
                    "type": CONTROL_TYPES[f.value.control],
                    "control": f.value.control,
                    "required": f.required,
                    "default": copy.deepcopy(f.value.default),
                    "allowed_values": copy.deepcopy(f.value.raw_values),
                    "secret": f.secret,
                    "set_once": f.set_once,
                    "conditions": [c.model_dump() for c in f.conditions],
                }
                for f in self.user_fields
            ],
        }


# ---------------------------------------------------------------- registry

class PluginRegistry:
    """The plugin files of a fixtures folder, each read and checked the first time it is asked for.

    A server needs only the connectors it is sent; reading all of them at start-up
    cost about a third of it.
    """

    def __init__(self, paths: dict[tuple[str, str], Path], problems: list[str]) -> None:
        self._paths = paths
        self._plugins: dict[tuple[str, str], Plugin | None] = {}
        self._problems = problems

    @classmethod
    def load(cls, plugins_dir: Path) -> "PluginRegistry":
        """Find every plugin file; each is read on first use, broken ones are skipped and reported by check()."""
        paths: dict[tuple[str, str], Path] = {}
        problems: list[str] = []
        plugins_dir = Path(plugins_dir)
        if not plugins_dir.is_dir():
            return cls({}, [f"{plugins_dir}: not a directory"])
        for entity_type in ENTITY_TYPES:
            for folder in sorted(p for p in (plugins_dir / entity_type).glob("*") if p.is_dir()):
                path = folder / PLUGIN_FILE
                if path.is_file():
                    paths[(entity_type, folder.name)] = path
                else:
                    problems.append(f"{entity_type}/{folder.name}: no {PLUGIN_FILE}")
        return cls(paths, problems)

    def _read(self, key: tuple[str, str]) -> Plugin | None:
        if key in self._plugins:
            return self._plugins[key]
        (entity_type, folder), path = key, self._paths[key]
        where, plugin = f"{entity_type}/{folder}", None
        try:
            spec = PluginFile.model_validate_json(path.read_bytes())
        except (ValidationError, OSError) as exc:
            self._problems.append(f"{where}: invalid plugin file: {_short(exc)}")
        else:
            if spec.entity_type != entity_type or spec.connector != folder:
                self._problems.append(f"{where}: file says {spec.entity_type}/{spec.connector}")
            else:
                plugin = Plugin(spec)
        self._plugins[key] = plugin
        return plugin

    def get(self, entity_type: str, code: str) -> Plugin | None:
        key = (entity_type, code)
        return self._read(key) if key in self._paths else None

    def all(self, entity_type: str) -> list[Plugin]:
        found = (self._read(key) for key in self._paths if key[0] == entity_type)
        return sorted((p for p in found if p is not None), key=lambda p: p.code)

    def check(self) -> list[str]:
        plugins = {key: self._read(key) for key in sorted(self._paths)}
        problems = list(self._problems)
        for (entity_type, code), plugin in plugins.items():
            if plugin is not None:
                problems += [f"{entity_type}/{code}: {p}" for p in plugin.problems]
        return problems


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}"
                         for e in exc.errors()[:5])
    return str(exc)


def check_plugins(plugins_dir: Path) -> list[str]:
    try:
        return PluginRegistry.load(plugins_dir).check()
    except Exception as exc:  # a check must report, never crash the CLI
        return [f"{plugins_dir}: could not load plugins: {exc}"]
