"""What each provider line puts in `config`, built from facts only.

- 3.x (branch `develop`): every user-defined key of the connector's mapping, read
  here from the plugin files (fixtures/plugins, generated from the provider's
  field reference): the default when there is one, a value when the user must
  set it (required, or required because a condition holds), JSON null
  otherwise. Ints go as numbers, json fields as text holding JSON, maps as the
  note of each map field says.
- 2.x (branch `main`): the hand-written resources send a fixed set of keys per
  connector, with their own defaults and value types (`V2_CONFIGS`). Where it
  differs from 3.x: ports as strings (`ssh.port`, ClickHouse `port`), a numeric
  choice as a number (Databricks `consumer.wait.time.for.larger.batch.ms`),
  maps as text (ClickHouse, Snowflake, SQL Server), optional strings as "" when
  unset, keys 3.x does not send (`column.include.list.toggled`,
  PostgreSQL destination `primary.key.mode`, ...).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PLUGINS = Path(__file__).resolve().parents[2] / "fixtures" / "plugins"

# User-defined keys in the plugin files that the 3.x provider's mapping does not
# send: backend-only (MySQL family server id) or 2.x-only (PostgreSQL destination).
NOT_SENT_BY_V3 = {
    ("sources", "mysql"): {"database.server.id"},
    ("sources", "mariadb"): {"database.server.id"},
    ("destinations", "postgresql"): {"primary.key.mode"},
}
# Deprecated 3.x aliases: sent only when the user sets the old attribute.
V3_ALIAS_ONLY = {("sources", "sqlserveraws"): {"streamkap.snapshot.large.table.threshold"}}
# 2.x sends these maps as text; when the user leaves the map empty it sends this.
V2_EMPTY_TEXT_MAPS = {
    "destinations/clickhouse": {"topics.config.map": ""},
    "destinations/snowflake": {"auto.qa.dedupe.table.mapping": ""},
    "sources/sqlserveraws": {"streamkap.snapshot.custom.table.config.user.defined": None},
}

V2_CONFIGS: dict[str, dict[str, Any]] = {
    'destinations/clickhouse': {
        'ingestion.mode': 'upsert',
        'hard.delete': True,
        'tasks.max': 5,
        'hostname': 'v2-hostname',
        'connection.username': 'v2-connection.username',
        'connection.password': 'v2-connection.password',
        'port': '8443',
        'database': 'demo',
        'ssl': True,
        'topics.config.map': '{"orders":"{\\"delete.sql.execute\\": \\"DELETE FROM orders WHERE id = ?\\"}"}',
        'schema.evolution': 'basic',
        'quote.identifiers': False,
    },
    'destinations/databricks': {
        'connection.url.user.defined': 'v2-connection.url.user.defined',
        'databricks.token': 'v2-databricks.token',
        'databricks.catalog.user.defined': 'hive_metastore',
        'table.name.prefix': 'v2-table.name.prefix',
        'ingestion.mode': 'append',
        'partition.mode': 'by_topic',
        'hard.delete': False,
        'schema.evolution': 'basic',
        'tasks.max': 5,
        'consumer.wait.time.for.larger.batch.ms': 500,
        'quote.identifiers': True,
    },
    'destinations/iceberg': {
        'iceberg.catalog.type': 'rest',
        'iceberg.catalog.name': '',
        'iceberg.catalog.uri': '',
        'iceberg.catalog.s3.access-key-id': '',
        'iceberg.catalog.s3.secret-access-key': '',
        'iceberg.catalog.client.assume-role.arn': '',
        'iceberg.catalog.client.region.user.defined': 'us-west-2',
        'iceberg.catalog.warehouse': 'v2-iceberg.catalog.warehouse',
        'table.name.prefix': 'v2-table.name.prefix',
        'insert.mode.user.defined': 'insert',
        'iceberg.tables.default-id-columns': '',
        'quote.identifiers': True,
    },
    'destinations/kafka': {
        'kafka.sink.bootstrap': 'v2-kafka.sink.bootstrap',
        'destination.format': 'json',
        'json.schema.enable': False,
        'schema.registry.url.user.defined': '',
        'topic.prefix': '',
        'topic.suffix': '',
        'tasks.max': 5,
    },
    'destinations/postgresql': {
        'database.hostname.user.defined': 'v2-database.hostname.user.defined',
        'database.port.user.defined': 5432,
        'database.database.user.defined': 'v2-database.database.user.defined',
        'connection.username': 'v2-connection.username',
        'connection.password': 'v2-connection.password',
        'table.name.prefix': 'v2-table.name.prefix',
        'schema.evolution': 'basic',
        'insert.mode': 'insert',
        'delete.enabled': False,
        'primary.key.mode': 'record_key',
        'primary.key.fields': None,
        'tasks.max': 5,
        'ssh.enabled': False,
        'ssh.host': None,
        'ssh.port': '22',
        'ssh.user': 'streamkap',
        'quote.identifiers': True,
    },
    'destinations/s3': {
        'aws.access.key.id': 'v2-aws.access.key.id',
        'aws.secret.access.key': 'v2-aws.secret.access.key',
        'aws.s3.region': 'us-west-2',
        'aws.s3.bucket.name': 'v2-aws.s3.bucket.name',
        'format.user.defined': 'JSON Array',
        'file.name.template': '{{topic}}-{{partition}}-{{start_offset}}',
        'file.name.prefix': '',
        'file.compression.type': 'gzip',
        'format.output.fields.user.defined': ['key', 'value'],
    },
    'destinations/snowflake': {
        'snowflake.url.name': 'v2-snowflake.url.name',
        'snowflake.user.name': 'v2-snowflake.user.name',
        'snowflake.private.key': 'v2-snowflake.private.key',
        'snowflake.private.key.passphrase.secured': True,
        'snowflake.private.key.passphrase': 'v2-passphrase',
        'sfwarehouse': 'STREAMKAP_WH',
        'snowflake.database.name': 'v2-snowflake.database.name',
        'snowflake.schema.name': 'v2-snowflake.schema.name',
        'create.schema.auto': True,
        'snowflake.role.name': 'STREAMKAP_ROLE',
        'ingestion.mode': 'append',
        'hard.delete': False,
        'schema.evolution': 'basic',
        'use.hybrid.tables': False,
        'apply.dynamic.table.script': False,
        'create.sql.execute': 'CREATE OR REPLACE DYNAMIC TABLE {{table}}_DT AS SELECT 1',
        'create.sql.data': None,
        'sql.table.name': '{{table}}_DT',
        'auto.qa.dedupe.table.mapping': 'orders:dedupe.orders_dd,users:users_dd',
        'snowflake.topic2table.map': 'REGEX_MATCHER>^([-\\w]+\\.)([-\\w]+\\.)?([-\\w]+\\.)?([-\\w]+\\.)?([-\\w]+):$5',
        'quote.identifiers': True,
    },
    'sources/dynamodb': {
        'aws.region': 'v2-aws.region',
        'aws.access.key.id': 'v2-aws.access.key.id',
        'aws.secret.key': 'v2-aws.secret.key',
        's3.export.bucket.name': 'v2-s3.export.bucket.name',
        'table.include.list.user.defined': 'v2-table.include.list.user.defined',
        'batch.size': 1024,
        'dynamodb.service.endpoint': None,
        'poll.timeout.ms': 1000,
        'incremental.snapshot.chunk.size': 32768,
        'incremental.snapshot.max.threads': 8,
        'full.export.expiration.time.ms': 86400000,
        'signal.kafka.poll.timeout.ms': 1000,
        'array.encoding.json': True,
        'struct.encoding.json': True,
        'tasks.max': 10,
    },
    'sources/kafkadirect': {
        'topic.prefix': 'v2-topic.prefix',
        'format': 'string',
        'topic.include.list.user.defined': 'v2-topic.include.list.user.defined',
        'schemas.enable': False,
    },
    'sources/mongodb': {
        'mongodb.connection.string.user.defined': 'v2-mongodb.connection.string.user.defined',
        'transforms.unwrap.array.encoding': 'array_string',
        'transforms.unwrap.document.encoding': 'document',
        'database.include.list': 'v2-database.include.list',
        'collection.include.list.user.defined': 'v2-collection.include.list.user.defined',
        'signal.data.collection.schema.or.database': 'v2-signal.data.collection.schema.or.database',
        'ssh.enabled': False,
        'ssh.host': None,
        'ssh.port': '22',
        'ssh.user': 'streamkap',
        'predicates.IsTopicToEnrich.pattern': '$^',
        'transforms.InsertStaticKey1.static.field': None,
        'transforms.InsertStaticKey1.static.value': None,
        'transforms.InsertStaticValue1.static.field': None,
        'transforms.InsertStaticValue1.static.value': None,
        'transforms.InsertStaticKey2.static.field': None,
        'transforms.InsertStaticKey2.static.value': None,
        'transforms.InsertStaticValue2.static.field': None,
        'transforms.InsertStaticValue2.static.value': None,
    },
    'sources/mysql': {
        'database.hostname.user.defined': 'v2-database.hostname.user.defined',
        'database.port.user.defined': 3306,
        'database.user': 'v2-database.user',
        'database.password': 'v2-database.password',
        'database.include.list.user.defined': 'v2-database.include.list.user.defined',
        'table.include.list.user.defined': 'v2-table.include.list.user.defined',
        'signal.data.collection.schema.or.database': None,
        'column.include.list.toggled': True,
        'heartbeat.enabled': False,
        'heartbeat.data.collection.schema.or.database': None,
        'database.connectionTimeZone': 'SERVER',
        'snapshot.gtid': 'Yes',
        'transforms.InsertStaticKey1.static.field': None,
        'transforms.InsertStaticKey1.static.value': None,
        'transforms.InsertStaticValue1.static.field': None,
        'transforms.InsertStaticValue1.static.value': None,
        'transforms.InsertStaticKey2.static.field': None,
        'transforms.InsertStaticKey2.static.value': None,
        'transforms.InsertStaticValue2.static.field': None,
        'transforms.InsertStaticValue2.static.value': None,
        'binary.handling.mode': 'bytes',
        'ssh.enabled': False,
        'ssh.host': None,
        'ssh.port': '22',
        'ssh.user': 'streamkap',
        'predicates.IsTopicToEnrich.pattern': '$^',
        'column.include.list.user.defined': None,
        'column.exclude.list.user.defined': None,
    },
    'sources/postgresql': {
        'database.hostname.user.defined': 'v2-database.hostname.user.defined',
        'database.port.user.defined': 5432,
        'database.user': 'v2-database.user',
        'database.password': 'v2-database.password',
        'database.dbname': 'v2-database.dbname',
        'snapshot.read.only.user.defined': 'Yes',
        'database.sslmode': 'require',
        'schema.include.list': 'v2-schema.include.list',
        'table.include.list.user.defined': 'v2-table.include.list.user.defined',
        'signal.data.collection.schema.or.database': 'public',
        'column.include.list.toggled': True,
        'heartbeat.enabled': False,
        'heartbeat.data.collection.schema.or.database': None,
        'heartbeat.use.logical.message': False,
        'include.source.db.name.in.table.name.user.defined': False,
        'slot.name': 'streamkap_pgoutput_slot',
        'publication.name': 'streamkap_pub',
        'binary.handling.mode': 'bytes',
        'ssh.enabled': False,
        'ssh.host': None,
        'ssh.port': '22',
        'ssh.user': 'streamkap',
        'predicates.IsTopicToEnrich.pattern': '$^',
        'transforms.InsertStaticKey1.static.field': None,
        'transforms.InsertStaticKey1.static.value': None,
        'transforms.InsertStaticValue1.static.field': None,
        'transforms.InsertStaticValue1.static.value': None,
        'transforms.InsertStaticKey2.static.field': None,
        'transforms.InsertStaticKey2.static.value': None,
        'transforms.InsertStaticValue2.static.field': None,
        'transforms.InsertStaticValue2.static.value': None,
        'column.include.list.user.defined': None,
        'column.exclude.list.user.defined': None,
    },
    'sources/sqlserveraws': {
        'database.hostname.user.defined': 'v2-database.hostname.user.defined',
        'database.port.user.defined': 1433,
        'database.user': 'v2-database.user',
        'database.password': 'v2-database.password',
        'database.names': 'v2-database.names',
        'schema.include.list': 'v2-schema.include.list',
        'table.include.list.user.defined': 'v2-table.include.list.user.defined',
        'signal.data.collection.schema.or.database': None,
        'column.exclude.list.user.defined': None,
        'heartbeat.enabled': False,
        'heartbeat.data.collection.schema.or.database': 'streamkap',
        'transforms.InsertStaticKey1.static.field': None,
        'transforms.InsertStaticKey1.static.value': None,
        'transforms.InsertStaticValue1.static.field': None,
        'transforms.InsertStaticValue1.static.value': None,
        'binary.handling.mode': 'bytes',
        'ssh.enabled': False,
        'ssh.host': None,
        'ssh.port': '22',
        'ssh.user': 'streamkap',
        'streamkap.snapshot.parallelism': 1,
        'streamkap.snapshot.large.table.threshold': 20000,
        'streamkap.snapshot.custom.table.config.user.defined': '{"dbo.orders":{"chunks":4}}',
    },
}

# 3.x sends these maps as text: an object whose values are JSON text of each entry.
V3_JSON_TEXT_MAPS = {("destinations", "clickhouse"): {"topics.config.map"}}


def connectors(entity_type: str) -> list[str]:
    return sorted(p.name for p in (PLUGINS / entity_type).iterdir() if (p / "configuration.latest.json").is_file())


def plugin_fields(entity_type: str, code: str) -> list[dict]:
    spec = json.loads((PLUGINS / entity_type / code / "configuration.latest.json").read_text())
    skipped = NOT_SENT_BY_V3.get((entity_type, code), set()) | V3_ALIAS_ONLY.get((entity_type, code), set())
    return [f for f in spec["config"] if f["user_defined"] and f["name"] not in skipped]


def _sub_sample(sub: dict) -> Any:
    if sub["type"] == "integer":
        return max(sub.get("min") or 1, 1)
    return True if sub["type"] == "boolean" else f"tf-{sub['name']}"


def sample(entity_type: str, code: str, field: dict) -> Any:
    """A value a user could set for the field, in the JSON type the 3.x provider sends."""
    name, value = field["name"], field["value"]
    control = value["control"]
    if control in ("number", "slider"):
        low = value.get("min")
        return low if low is not None and low > 1 else min(2, value.get("max") or 2)
    if control == "toggle":
        return True
    if control == "one-select":
        return value["raw_values"][-1]
    if control == "multi-select":
        return [value["raw_values"][0]] if value.get("raw_values") else ["tf-item"]
    if control == "json":
        return json.dumps({"tf": name})
    if control == "map":
        entry = ({s["name"]: _sub_sample(s) for s in value["value_fields"]}
                 if value.get("value_fields") else "tf-value")
        if name in V3_JSON_TEXT_MAPS.get((entity_type, code), set()):
            return json.dumps({"orders": json.dumps(entry)})
        return {"orders": entry}
    if "table.include.list" in name:
        return "public.orders,public.customers"
    if "collection.include.list" in name:
        return "shop.orders"
    return f"tf-{name.replace('.', '-')}"


def _condition_holds(condition: dict, config: dict) -> bool:
    actual, expected = config.get(condition["config"]), condition["value"]
    if condition["operator"] == "EQ":
        return actual == expected and type(actual) is type(expected)
    if condition["operator"] == "NE":
        return actual != expected
    return actual in expected


def v3_config(entity_type: str, code: str) -> dict:
    """What the 3.x provider sends for a resource with only the required attributes set."""
    fields = plugin_fields(entity_type, code)
    config: dict[str, Any] = {}
    for f in fields:
        if f["value"]["control"] == "readonly":
            config[f["name"]] = None  # server-filled; no Terraform default
        elif f["value"].get("default") is not None:
            config[f["name"]] = f["value"]["default"]
        elif f.get("required") and not f.get("conditions"):
            config[f["name"]] = sample(entity_type, code, f)
        else:
            config[f["name"]] = None
    for _ in range(2):  # a filled field may switch on another condition
        for f in fields:
            if (f.get("required") and f.get("conditions") and config[f["name"]] is None
                    and all(_condition_holds(c, config) for c in f["conditions"])):
                config[f["name"]] = sample(entity_type, code, f)
    return config


def v3_config_all_set(entity_type: str, code: str, created: dict) -> dict:
    """The same resource after the user set every optional attribute too (set-once ones excepted)."""
    config = dict(created)
    for f in plugin_fields(entity_type, code):
        # A secret its switch turns off is one nobody sets (the backend would drop it: see test_connectors).
        switched_off = f.get("encrypt") and not all(_condition_holds(c, config) for c in f.get("conditions", []))
        if (config[f["name"]] is None and not f.get("set_once") and f["value"]["control"] != "readonly"
                and not switched_off):
            config[f["name"]] = sample(entity_type, code, f)
    return config
