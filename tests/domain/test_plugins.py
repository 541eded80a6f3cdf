"""The plugin engine and the shipped plugin files, without a server."""

from __future__ import annotations

import asyncio
import copy
import json
import shutil
from pathlib import Path

import pytest

from mockserver.domain.plugins import Plugin, PluginRegistry, check_plugins
from mockserver.domain.resolvers.network import TUNNEL_HOST, tunnel_port
from mockserver.errors import BadRequest

PLUGINS_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "plugins"
REGISTRY = PluginRegistry.load(PLUGINS_DIR)
ALL_PLUGINS = [p for kind in ("sources", "destinations", "transforms") for p in REGISTRY.all(kind)]


def prepare(plugin: Plugin, config: dict, existing: dict | None = None, entity_id: str = "e1") -> dict:
    return asyncio.run(plugin.prepare(config, entity_id=entity_id, existing=existing))


def plausible(field) -> object:
    """A value of the right shape for any control."""
    spec = field.value
    control = spec.control
    if control in ("number", "slider"):
        return spec.min if spec.min is not None else (5432 if "port" in field.name else 1)
    if control == "toggle":
        return True
    if control == "one-select":
        return spec.raw_values[0]
    if control == "multi-select":
        return ["a"]
    if control == "json":
        return json.dumps({"k": "v"})
    if control == "map":
        if spec.value_fields:
            return {"k": {s.name: 1 if s.type == "integer" else "v" for s in spec.value_fields}}
        return {"k": "v"}
    return f"{field.name}-value"


def minimal_config(plugin: Plugin) -> dict:
    """Only the keys that are (conditionally) required and have no default."""
    config: dict = {}
    while True:
        effective = {f.name: f.value.default for f in plugin.user_fields} | config
        needed = [f for f in plugin.user_fields
                  if f.required and effective.get(f.name) is None
                  and all(c.holds(effective) for c in f.conditions)]
        if not needed:
            return config
        for f in needed:
            config[f.name] = plausible(f)


def pg() -> Plugin:
    return REGISTRY.get("sources", "postgresql")


def pg_config(**extra) -> dict:
    return {"database.hostname.user.defined": "db.example.com", "database.user": "u",
            "database.password": "secret", "database.dbname": "app",
            "schema.include.list": "public", "table.include.list.user.defined": "orders",
            **{k.replace("__", "."): v for k, v in extra.items()}}


# ---------------------------------------------------------------- the files

def test_shipped_plugins_are_valid():
    assert check_plugins(PLUGINS_DIR) == []
    assert [len(REGISTRY.all(k)) for k in ("sources", "destinations", "transforms")] == [25, 24, 7]
    assert REGISTRY.get("sources", "nope") is None
    assert [p.code for p in REGISTRY.all("transforms")] == sorted(p.code for p in REGISTRY.all("transforms"))


def _broken_copy(tmp_path: Path, mutate) -> Path:
    target = tmp_path / "plugins"
    shutil.copytree(PLUGINS_DIR / "sources" / "postgresql", target / "sources" / "postgresql")
    path = target / "sources" / "postgresql" / "configuration.latest.json"
    data = json.loads(path.read_text())
    mutate(data)
    path.write_text(json.dumps(data))
    return target


def _field(data: dict, name: str) -> dict:
    return next(f for f in data["config"] if f["name"] == name)


def test_check_reports_cycle(tmp_path):
    def cycle(data):
        _field(data, "database.hostname")["value"]["dependencies"].append("database.port")
        _field(data, "database.port")["value"]["dependencies"].append("database.hostname")
    problems = check_plugins(_broken_copy(tmp_path, cycle))
    assert any("cycle" in p and "database.hostname" in p for p in problems), problems


def test_check_reports_unknown_function(tmp_path):
    def unknown(data):
        _field(data, "database.port")["value"]["function_name"] = "get_nothing"
    problems = check_plugins(_broken_copy(tmp_path, unknown))
    assert any("get_nothing" in p for p in problems), problems


def test_check_reports_bad_dependency_and_condition(tmp_path):
    def bad(data):
        _field(data, "database.port")["value"]["dependencies"].append("no.such.key")
        _field(data, "ssh.host")["conditions"][0]["config"] = "ssh.nope"
    problems = check_plugins(_broken_copy(tmp_path, bad))
    assert any("no.such.key" in p for p in problems), problems
    assert any("ssh.nope" in p for p in problems), problems


def test_check_reports_bad_shape(tmp_path):
    def shape(data):
        data["config"][0]["value"]["control"] = "dial"
        del data["display_name"]
    problems = check_plugins(_broken_copy(tmp_path, shape))
    assert len(problems) == 1 and "sources/postgresql" in problems[0], problems
    assert check_plugins(tmp_path / "missing") != []
    (tmp_path / "plugins" / "sources" / "empty").mkdir()
    assert any("sources/empty" in p for p in check_plugins(tmp_path / "plugins"))


def test_broken_plugin_refuses_to_prepare(tmp_path):
    def unknown(data):
        _field(data, "database.port")["value"]["function_name"] = "get_nothing"
    plugin = PluginRegistry.load(_broken_copy(tmp_path, unknown)).get("sources", "postgresql")
    with pytest.raises(RuntimeError):
        prepare(plugin, pg_config())


# ---------------------------------------------------------------- every plugin

@pytest.mark.parametrize("plugin", ALL_PLUGINS, ids=lambda p: f"{p.entity_type}/{p.code}")
def test_minimal_config_round_trips(plugin):
    config = minimal_config(plugin)
    sent = copy.deepcopy(config)
    out = prepare(plugin, config)
    assert config == sent  # not mutated
    for key, value in sent.items():
        assert out[key] == value and type(out[key]) is type(value), key
    assert "schema.registry.url" in out
    assert {f.name for f in plugin.user_fields} <= out.keys()
    if plugin.topics_from:
        assert out[plugin.topics_from]


# The plugins whose every user field is optional or has a default: an empty config is complete.
NOTHING_REQUIRED = {"sources/s3", "sources/salesforce_webhook", "sources/shopify_webhook", "sources/stripe_webhook",
                    "sources/webhook", "sources/zendesk_webhook", "destinations/weaviate"}
REQUIRING = [p for p in ALL_PLUGINS if f"{p.entity_type}/{p.code}" not in NOTHING_REQUIRED]


def test_the_plugins_that_require_nothing_accept_an_empty_config():
    assert {f"{p.entity_type}/{p.code}" for p in ALL_PLUGINS if not minimal_config(p)} == NOTHING_REQUIRED
    for plugin in ALL_PLUGINS:
        if plugin not in REQUIRING:
            assert {f.name for f in plugin.user_fields} <= prepare(plugin, {}).keys()


@pytest.mark.parametrize("plugin", REQUIRING, ids=lambda p: f"{p.entity_type}/{p.code}")
def test_each_required_key_is_enforced(plugin):
    config = minimal_config(plugin)
    assert config, "no required key: list the plugin in NOTHING_REQUIRED"
    for key in config:
        partial = {k: v for k, v in config.items() if k != key}
        with pytest.raises(BadRequest) as err:
            prepare(plugin, partial)
        assert key in err.value.detail
        with pytest.raises(BadRequest):  # null counts as missing
            prepare(plugin, partial | {key: None})


@pytest.mark.parametrize("plugin", ALL_PLUGINS, ids=lambda p: f"{p.entity_type}/{p.code}")
def test_describe_lists_user_fields(plugin):
    described = plugin.describe()
    assert described["connector"] == plugin.code and described["display_name"]
    names = [f["name"] for f in described["fields"]]
    assert names == [f.name for f in plugin.user_fields]
    for entry in described["fields"]:
        assert set(entry) == {"name", "type", "control", "required", "default",
                              "allowed_values", "secret", "set_once", "conditions"}
        assert entry["type"] in {"string", "integer", "boolean", "list", "json", "map"}
    secrets = {f["name"] for f in described["fields"] if f["secret"]}
    assert secrets <= plugin.secret_keys()


def test_transforms_take_their_name_in_config():
    for plugin in REGISTRY.all("transforms"):
        with pytest.raises(BadRequest, match="transforms.name"):
            prepare(plugin, {k: v for k, v in minimal_config(plugin).items() if k != "transforms.name"})


# ---------------------------------------------------------------- rules

def test_missing_keys_named_together():
    with pytest.raises(BadRequest) as err:
        prepare(pg(), {k: v for k, v in pg_config().items()
                       if k not in ("database.user", "database.password")})
    assert err.value.detail == "Missing required config: database.password, database.user"


def test_ssh_host_required_only_when_ssh_enabled():
    prepare(pg(), pg_config())
    prepare(pg(), pg_config(ssh__enabled=False))
    with pytest.raises(BadRequest, match="ssh.host"):
        prepare(pg(), pg_config(ssh__enabled=True))
    with pytest.raises(BadRequest, match="ssh.host"):
        prepare(pg(), pg_config(ssh__enabled=True, ssh__host=None))
    prepare(pg(), pg_config(ssh__enabled=True, ssh__host="bastion.example.com"))


def test_condition_uses_defaults():
    # Snowflake's passphrase flag defaults to true, so the passphrase is needed.
    snowflake = REGISTRY.get("destinations", "snowflake")
    base = {k: v for k, v in minimal_config(snowflake).items()
            if k != "snowflake.private.key.passphrase"}
    with pytest.raises(BadRequest, match="snowflake.private.key.passphrase"):
        prepare(snowflake, base)
    prepare(snowflake, base | {"snowflake.private.key.passphrase.secured": False})


def test_ne_and_in_conditions(tmp_path):
    def conditions(data):
        _field(data, "database.sslmode")["required"] = True
        _field(data, "database.sslmode")["value"]["default"] = None
        _field(data, "database.sslmode")["conditions"] = [
            {"operator": "NE", "config": "ssh.enabled", "value": True},
            {"operator": "IN", "config": "binary.handling.mode", "value": ["hex", "base64"]}]
    plugin = PluginRegistry.load(_broken_copy(tmp_path, conditions)).get("sources", "postgresql")
    prepare(plugin, pg_config())  # binary.handling.mode defaults to bytes: not IN
    with pytest.raises(BadRequest, match="database.sslmode"):
        prepare(plugin, pg_config(binary__handling__mode="hex"))
    prepare(plugin, pg_config(binary__handling__mode="hex", ssh__enabled=True, ssh__host="b"))


@pytest.mark.parametrize("key, value, reason", [
    ("database.port.user.defined", "abc", "integer"),
    ("database.port.user.defined", True, "integer"),
    ("database.port.user.defined", 54.5, "integer"),
    ("streamkap.snapshot.parallelism", "3", "integer"),  # numeric strings only for ports
    ("ssh.enabled", "true", "boolean"),
    ("ssh.enabled", 1, "boolean"),
    ("database.user", 7, "string"),
    ("database.password", ["x"], "string"),
    ("binary.handling.mode", "octal", "not one of"),
    ("binary.handling.mode", 1, "not one of"),
    ("streamkap.snapshot.parallelism", 0, "out of range"),
    ("streamkap.snapshot.parallelism", 10**9, "out of range"),
])
def test_control_rejections(key, value, reason):
    with pytest.raises(BadRequest) as err:
        prepare(pg(), pg_config() | {key: value})
    assert key in err.value.detail and reason in err.value.detail


def test_slider_bounds_inclusive():
    field = pg().fields["streamkap.snapshot.parallelism"]
    for edge in (field.value.min, field.value.max):
        assert prepare(pg(), pg_config() | {field.name: edge})[field.name] == edge


def test_list_json_and_map_controls():
    gcs = REGISTRY.get("destinations", "gcs")
    base = minimal_config(gcs)
    assert prepare(gcs, base | {"format.output.fields.user.defined": ["a", "b"]})
    for bad in ("a,b", ["a", 1]):
        with pytest.raises(BadRequest, match="format.output.fields.user.defined"):
            prepare(gcs, base | {"format.output.fields.user.defined": bad})

    bigquery = REGISTRY.get("destinations", "bigquery")
    with pytest.raises(BadRequest, match="keyfile"):
        prepare(bigquery, minimal_config(bigquery) | {"keyfile": "{not json"})
    with pytest.raises(BadRequest, match="keyfile"):
        prepare(bigquery, minimal_config(bigquery) | {"keyfile": {"type": "x"}})

    snowflake = REGISTRY.get("destinations", "snowflake")
    base = minimal_config(snowflake)
    mapping = {"orders": "orders_dedupe"}
    assert prepare(snowflake, base | {"auto.qa.dedupe.table.mapping": mapping})[
        "auto.qa.dedupe.table.mapping"] == mapping
    for bad in ({"orders": 1}, ["orders"], "orders"):
        with pytest.raises(BadRequest, match="auto.qa.dedupe.table.mapping"):
            prepare(snowflake, base | {"auto.qa.dedupe.table.mapping": bad})

    sqlserver = REGISTRY.get("sources", "sqlserveraws")
    key = "streamkap.snapshot.custom.table.config.user.defined"
    prepare(sqlserver, minimal_config(sqlserver) | {key: {"dbo.orders": {"chunks": 4}}})
    with pytest.raises(BadRequest, match="chunks"):
        prepare(sqlserver, minimal_config(sqlserver) | {key: {"dbo.orders": {"chunks": 0}}})

    clickhouse = REGISTRY.get("destinations", "clickhouse")
    as_text = json.dumps({"t": json.dumps({"delete_sql_execute": "DELETE"})})
    out = prepare(clickhouse, minimal_config(clickhouse) | {"topics.config.map": as_text})
    assert out["topics.config.map"] == as_text


def test_set_once_on_update():
    created = prepare(pg(), pg_config(slot__name="slot_a"))
    # Same value, or left out (keeps the stored one): fine.
    assert prepare(pg(), pg_config(slot__name="slot_a"), existing=created)["slot.name"] == "slot_a"
    assert prepare(pg(), pg_config(), existing=created)["slot.name"] == "slot_a"
    with pytest.raises(BadRequest) as err:
        prepare(pg(), pg_config(slot__name="slot_b"), existing=created)
    assert '"slot.name" cannot be changed after creation' == err.value.detail
    with pytest.raises(BadRequest, match="publication.name"):
        prepare(pg(), pg_config(publication__name="other"), existing=created)
    # On create anything goes.
    prepare(pg(), pg_config(slot__name="slot_b"))


def test_mysql_server_id_is_set_once():
    mysql = REGISTRY.get("sources", "mysql")
    assert mysql.fields["database.server.id"].set_once
    created = prepare(mysql, minimal_config(mysql) | {"database.server.id": 5400})
    with pytest.raises(BadRequest, match="database.server.id"):
        prepare(mysql, minimal_config(mysql) | {"database.server.id": 5401}, existing=created)


def test_unique_rule_and_topics_from():
    assert [r.keys for r in pg().unique_per_tenant] == [("slot.name", "publication.name")]
    assert "already exist" in pg().unique_per_tenant[0].detail
    assert REGISTRY.get("sources", "supabase").unique_per_tenant
    assert not REGISTRY.get("sources", "mysql").unique_per_tenant
    assert pg().topics_from == "table.include.list"
    assert REGISTRY.get("sources", "mongodb").topics_from == "collection.include.list"
    assert REGISTRY.get("destinations", "snowflake").topics_from is None


def test_secret_keys():
    assert {"database.password"} <= pg().secret_keys()
    assert "database.user" not in pg().secret_keys()


def test_ssh_off_uses_user_host_and_port():
    out = prepare(pg(), pg_config(database__port__user__defined=6543))
    assert out["database.hostname"] == "db.example.com"
    assert out["database.port"] == "6543"
    assert out["ssh.destination.hostname"] is None


def test_ssh_on_uses_tunnel():
    config = pg_config(ssh__enabled=True, ssh__host="bastion.example.com")
    out = prepare(pg(), config, entity_id="src-1")
    assert out["database.hostname"] == TUNNEL_HOST
    assert out["database.port"] == str(tunnel_port("src-1"))
    assert out["ssh.host"] == "bastion.example.com"
    assert out["database.hostname.user.defined"] == "db.example.com"
    assert out["database.port.user.defined"] == 5432
    assert out["ssh.destination.hostname"] == "db.example.com"
    assert out["ssh.destination.port"] == "5432"
    # Deterministic per entity, different across entities (almost always).
    assert prepare(pg(), config, entity_id="src-1")["database.port"] == out["database.port"]
    assert tunnel_port("src-1") != tunnel_port("src-2")


def test_dependency_order_computed_on_computed():
    # connection.url depends on the computed host/port, listed after them or not.
    dest = REGISTRY.get("destinations", "postgresql")
    url_field = dest.fields["connection.url"]
    assert {"database.hostname", "database.port"} <= set(url_field.value.dependencies)
    order = [f.name for f in dest.resolution_order]
    assert order.index("database.hostname") < order.index("connection.url")
    base = minimal_config(dest) | {"database.hostname.user.defined": "pg.example.com"}
    assert prepare(dest, base)["connection.url"] == (
        f"jdbc:postgresql://pg.example.com:5432/{base['database.database.user.defined']}")
    tunnelled = prepare(dest, base | {"ssh.enabled": True, "ssh.host": "b"}, entity_id="d1")
    assert tunnelled["connection.url"].startswith(f"jdbc:postgresql://{TUNNEL_HOST}:{tunnel_port('d1')}/")


def test_dependency_order_follows_dependencies_not_file_order(tmp_path):
    def reorder(data):
        url = _field(data, "signal.data.collection")
        data["config"].remove(url)
        data["config"].insert(0, url)  # now listed before the list it reads
        url["value"]["dependencies"] = ["table.include.list"]
    plugin = PluginRegistry.load(_broken_copy(tmp_path, reorder)).get("sources", "postgresql")
    # The signal resolver takes the first entry's schema: proves table.include.list ran first.
    out = prepare(plugin, pg_config(table__include__list__user__defined="sales.orders"))
    assert out["signal.data.collection"] == "sales.orders.streamkap_signal"


def test_table_include_list_is_qualified():
    out = prepare(pg(), pg_config(schema__include__list="public, sales",
                                  table__include__list__user__defined="orders, audit.log"))
    assert out["table.include.list"] == "public.orders,sales.orders,audit.log"
    assert out["table.include.list.user.defined"] == "orders, audit.log"
    mysql = REGISTRY.get("sources", "mysql")
    out = prepare(mysql, minimal_config(mysql) | {"database.include.list.user.defined": "shop",
                                                  "table.include.list.user.defined": "orders"})
    assert out["table.include.list"] == "shop.orders"
    assert out["signal.data.collection"] == "shop.streamkap_signal"


def test_null_handling():
    out = prepare(pg(), pg_config(slot__name=None, column__include__list__user__defined=None))
    assert out["slot.name"] is None  # explicit null stays null, no default
    assert out["column.include.list.user.defined"] is None
    assert prepare(pg(), pg_config())["slot.name"] == "streamkap_pgoutput_slot"  # absent: default


def test_unknown_keys_kept_but_never_override_computed():
    out = prepare(pg(), pg_config(**{"custom__flag": 7, "database__hostname": "evil",
                                     "schema__registry__url": "http://evil"}))
    assert out["custom.flag"] == 7
    assert out["database.hostname"] == "db.example.com"
    assert out["schema.registry.url"] != "http://evil"


def test_numeric_string_port_accepted_and_kept():
    out = prepare(pg(), pg_config(database__port__user__defined="5433", ssh__port="2222"))
    assert out["database.port.user.defined"] == "5433"
    assert out["ssh.port"] == "2222"
    assert out["database.port"] == "5433"


def test_prepare_does_not_mutate_inputs():
    config = pg_config(slot__name="s")
    existing = prepare(pg(), config)
    frozen_config, frozen_existing = copy.deepcopy(config), copy.deepcopy(existing)
    out = prepare(pg(), config, existing=existing)
    out["database.user"] = "changed"
    assert config == frozen_config and existing == frozen_existing


def test_config_must_be_object():
    with pytest.raises(BadRequest):
        prepare(pg(), ["not", "a", "dict"])  # type: ignore[arg-type]


# The connector reference the plugin files were generated from is not part of
# the repository (the committed files are the source of truth); where a copy
# sits beside the checkout (or beside its worktree folder), the generator must
# still reproduce them.
REFERENCE_DIR = next((parent / "shared" / "reference" / "connectors" for parent in Path(__file__).resolve().parents
                      if (parent / "shared" / "reference" / "connectors").is_dir()),
                     Path(__file__).resolve().parents[3] / "shared" / "reference" / "connectors")


def _generator():
    """tools/build_plugins.py as a module (tools/ is not a package)."""
    import importlib.util

    script = Path(__file__).resolve().parents[2] / "tools" / "build_plugins.py"
    spec = importlib.util.spec_from_file_location("build_plugins", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not REFERENCE_DIR.is_dir(), reason=f"connector reference not present at {REFERENCE_DIR}")
def test_committed_files_match_generator(tmp_path):
    module = _generator()
    assert module.main([str(REFERENCE_DIR), "--out", str(tmp_path)]) == 0
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.json"))
    committed = sorted(p.relative_to(PLUGINS_DIR) for p in PLUGINS_DIR.rglob("*.json"))
    assert generated == committed
    for rel in generated:
        assert (tmp_path / rel).read_text() == (PLUGINS_DIR / rel).read_text(), rel


def test_generator_refuses_a_missing_reference(tmp_path, capsys):
    module = _generator()
    missing = tmp_path / "no-such-reference"
    assert module.main([str(missing), "--out", str(tmp_path / "out")]) != 0
    assert str(missing) in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
