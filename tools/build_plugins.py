"""Generate fixtures/plugins/**/configuration.latest.json from the connector reference.

Usage: python tools/build_plugins.py [REFERENCE_DIR] [--out fixtures/plugins]

The reference (one JSON file per connector, derived from the Terraform
provider) only lists user-defined fields. This script turns each one into the
backend's plugin format and adds what the backend keeps to itself: computed
(dynamic) fields, conditional requirements, set-once flags and uniqueness rules.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

DEFAULT_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "connectors"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "fixtures" / "plugins"

DISPLAY_NAMES = {
    "sources": {
        "alloydb": "AlloyDB", "db2": "IBM Db2", "documentdb": "Amazon DocumentDB",
        "dynamodb": "Amazon DynamoDB", "elasticsearch": "Elasticsearch",
        "informix": "IBM Informix", "kafkadirect": "Kafka Direct", "mariadb": "MariaDB",
        "mongodb": "MongoDB", "mongodbhosted": "MongoDB (Hosted)", "mysql": "MySQL",
        "oracle": "Oracle", "oracleaws": "Oracle on AWS RDS", "planetscale": "PlanetScale",
        "postgresql": "PostgreSQL", "redis": "Redis", "s3": "Amazon S3",
        "salesforce_webhook": "Salesforce Webhook", "shopify_webhook": "Shopify Webhook",
        "sqlserveraws": "SQL Server on AWS RDS", "stripe_webhook": "Stripe Webhook",
        "supabase": "Supabase", "vitess": "Vitess", "webhook": "Webhook",
        "zendesk_webhook": "Zendesk Webhook",
    },
    "destinations": {
        "azblob": "Azure Blob Storage", "bigquery": "Google BigQuery", "clickhouse": "ClickHouse",
        "cockroachdb": "CockroachDB", "databricks": "Databricks", "db2": "IBM Db2",
        "gcs": "Google Cloud Storage", "httpsink": "HTTP Sink", "iceberg": "Apache Iceberg",
        "kafka": "Kafka", "kafkadirect": "Kafka Direct", "motherduck": "MotherDuck",
        "mysql": "MySQL", "oracle": "Oracle", "pinecone": "Pinecone",
        "postgresql": "PostgreSQL", "r2": "Cloudflare R2", "redis": "Redis",
        "redshift": "Amazon Redshift", "s3": "Amazon S3", "snowflake": "Snowflake",
        "sqlserver": "SQL Server", "starburst": "Starburst", "weaviate": "Weaviate",
    },
    "transforms": {
        "enrich": "Enrich", "enrich_async": "Enrich (Async)", "fan_out": "Fan Out",
        "map_filter": "Map / Filter", "rollup": "Rollup", "sql_join": "SQL Join",
        "topic_router": "Topic Router",
    },
}

# Requirements the reference cannot show: the provider makes conditional fields
# optional, but the backend demands them once the condition holds.
# (field, controlling field, operator, value)
CONDITIONAL_REQUIRED = [
    ("ssh.host", "ssh.enabled", "EQ", True),
    ("ssh.user", "ssh.enabled", "EQ", True),
    ("ssh.port", "ssh.enabled", "EQ", True),
    ("snowflake.private.key.passphrase", "snowflake.private.key.passphrase.secured", "EQ", True),
    ("http.headers.authorization", "http.authorization.type", "EQ", "static"),
    ("oauth2.access.token.url", "http.authorization.type", "EQ", "oauth2"),
    ("oauth2.client.id", "http.authorization.type", "EQ", "oauth2"),
    ("oauth2.client.secret", "http.authorization.type", "EQ", "oauth2"),
    ("iceberg.catalog.token", "iceberg.catalog.auth.mode", "EQ", "token"),
    ("iceberg.catalog.credential", "iceberg.catalog.auth.mode", "EQ", "oauth2"),
    ("iceberg.catalog.s3.access-key-id", "iceberg.catalog.s3.credentials.enabled", "EQ", True),
    ("iceberg.catalog.s3.secret-access-key", "iceberg.catalog.s3.credentials.enabled", "EQ", True),
    ("weaviate.api.key", "weaviate.auth.scheme", "EQ", "API_KEY"),
    ("weaviate.oidc.client.secret", "weaviate.auth.scheme", "EQ", "OIDC_CLIENT_CREDENTIALS"),
]

# What the 2.x provider (branch `main`) sends that the 3.x reference does not show.
# Maps it sends as text: JSON text, or "key:value,key:value" pairs.
V2_JSON_STRING_FIELDS = {("sources", "sqlserveraws"): {"streamkap.snapshot.custom.table.config.user.defined"}}
V2_PAIRS_STRING_FIELDS = {("destinations", "snowflake"): {"auto.qa.dedupe.table.mapping"}}
# Keys only the 2.x resources send (no default: the 2.x provider always sends its own).
V2_ONLY_FIELDS = {
    ("destinations", "postgresql"): [
        {"name": "primary.key.mode", "type": "string", "one_of": ["record_key", "record_value", "none"]},
    ],
}

MYSQL_FAMILY = {"mysql", "mariadb"}
# Long free text reads better in a multi-line box.
TEXTAREA_FIELDS = {"cursor.pipeline", "create.sql.execute", "create.sql.data", "weaviate.headers"}
# Shown to the user, filled by the server (the reference drops such `<...>` defaults).
READONLY_DEFAULTS = {
    "ssh.public.key.user.displayed": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHN0cmVhbWthcC1tb2NrLXB1YmxpYy1rZXk streamkap-mock",
}
SCHEMA_SOURCES = [  # where an unqualified table name gets its schema/database from
    "schema.include.list", "schema.include.list.user.defined",
    "database.include.list", "database.include.list.user.defined",
    "vitess.keyspace", "vitess.keyspace.user.defined",
]
PG_UNIQUE_DETAIL = ("Replication Slot Name and Publication Name already exist for another "
                    "source. Please use different names.")


def control_entry(field: dict, json_string_fields: set[str], pairs_string_fields: set[str]) -> dict:
    """The `value` block of a user-defined field."""
    name, kind = field["name"], field["type"]
    value: dict = {"type": "raw"}
    if name in READONLY_DEFAULTS:
        value.update(control="readonly", default=READONLY_DEFAULTS[name])
        return value
    if kind == "integer":
        has_range = field["min"] is not None and field["max"] is not None
        value["control"] = "slider" if has_range else "number"
        for bound in ("min", "max"):
            if field[bound] is not None:
                value[bound] = field[bound]
    elif kind == "boolean":
        value["control"] = "toggle"
    elif kind == "list":
        value["control"] = "multi-select"
    elif kind == "json":
        value["control"] = "json"
    elif kind == "map":
        value["control"] = "map"
        if field.get("map_value_fields"):
            value["value_fields"] = [
                {k: v for k, v in sub.items() if v is not None} for sub in field["map_value_fields"]
            ]
        if name in json_string_fields:
            value["json_string"] = True  # the provider sends this map as JSON text
        if name in pairs_string_fields:
            value["pairs_string"] = True
    elif field["one_of"]:
        value["control"] = "one-select"
        value["raw_values"] = field["one_of"]
    elif field["sensitive"]:
        value["control"] = "password"
    elif name in TEXTAREA_FIELDS:
        value["control"] = "textarea"
    else:
        value["control"] = "string"
    value["default"] = field["default"]
    return value


# A credential the reference does not mark sensitive is still one (httpsink's
# http.headers.authorization, the webhooks' api.key): named like these, a field is secret.
CREDENTIAL_NAME = re.compile(r"(^|\.)(password|secret|token|authorization|api\.key|passphrase)$"
                             r"|secret[-.]access[-.]key$")


def is_secret(field: dict) -> bool:
    return bool(field["sensitive"]) or bool(CREDENTIAL_NAME.search(field["name"]))


def user_field(field: dict, json_string_fields: set[str], pairs_string_fields: set[str] = frozenset()) -> dict:
    field = {**field, "sensitive": is_secret(field)}
    value = control_entry(field, json_string_fields, pairs_string_fields)
    return {
        "name": field["name"],
        "user_defined": True,
        "required": bool(field["required"]),
        "value": value,
        "encrypt": bool(field["sensitive"]) or value["control"] == "password",
        "set_once": bool(field["set_once"]),
    }


def dynamic(name: str, function_name: str, dependencies: list[str], control: str = "string") -> dict:
    return {
        "name": name,
        "user_defined": False,
        "value": {"control": control, "type": "dynamic", "function_name": function_name,
                  "dependencies": dependencies},
    }


def computed_fields(entity_type: str, code: str, names: set[str]) -> list[dict]:
    """Computed fields, added by which keys the connector has."""
    out = []
    has_ssh = "ssh.enabled" in names

    def present(*keys: str) -> list[str]:
        return [k for k in keys if k in names]

    if "database.hostname.user.defined" in names:
        out.append(dynamic("database.hostname", "get_database_hostname",
                           present("database.hostname.user.defined", "ssh.enabled", "ssh.host")))
    if "database.port.user.defined" in names:
        out.append(dynamic("database.port", "get_database_port",
                           present("database.port.user.defined", "ssh.enabled")))
    if has_ssh and "database.hostname.user.defined" in names:
        out.append(dynamic("ssh.destination.hostname", "get_ssh_destination_hostname",
                           present("database.hostname.user.defined", "ssh.enabled")))
    if has_ssh and "database.port.user.defined" in names:
        out.append(dynamic("ssh.destination.port", "get_ssh_destination_port",
                           present("database.port.user.defined", "ssh.enabled")))
    # Other `<x>.host/.port.user.defined` pairs have no tunnel: copy the user's value.
    for name in sorted(names):
        base = name.removesuffix(".user.defined")
        if (base != name and base.split(".")[-1] in {"host", "hostname", "port"}
                and not base.startswith("database.")):
            out.append(dynamic(base, "get_user_defined_value", [name]))

    schema_sources = present(*SCHEMA_SOURCES)
    if "table.include.list.user.defined" in names:
        out.append(dynamic("table.include.list", "get_table_include_list",
                           ["table.include.list.user.defined", *schema_sources]))
    if "collection.include.list.user.defined" in names:
        out.append(dynamic("collection.include.list", "get_collection_include_list",
                           ["collection.include.list.user.defined", *schema_sources]))

    if entity_type == "destinations":
        # Host, port, database in that order; the resolver builds a JDBC URL.
        for keys in (["database.hostname", "database.port", "database.database.user.defined"],
                     ["hostname", "port", "database", "ssl"],
                     ["aws.redshift.domain", "aws.redshift.port", "aws.redshift.database"]):
            wanted = [k for k in keys if k in names or k in {f["name"] for f in out}]
            if len(wanted) >= 3 and wanted[:3] == keys[:3] and "connection.url" not in names:
                out.append(dynamic("connection.url", "get_connection_url", wanted))
                break
        if "connection.url.user.defined" in names:
            out.append(dynamic("connection.url", "get_user_defined_value",
                               ["connection.url.user.defined"]))

    if "signal.data.collection.schema.or.database" in names:
        out.append(dynamic("signal.data.collection", "get_signal_data_collection_name",
                           ["signal.data.collection.schema.or.database", *schema_sources]))

    out.append(dynamic("schema.registry.url", "get_schema_registry_url",
                       present("schema.registry.url.user.defined")))
    return out


def build_plugin(ref: dict) -> dict:
    entity_type, code = ref["entity_type"], ref["connector"]
    json_string_fields = set(ref.get("json_string_fields", [])) | V2_JSON_STRING_FIELDS.get((entity_type, code), set())
    pairs_string_fields = V2_PAIRS_STRING_FIELDS.get((entity_type, code), set())
    fields = [user_field(f, json_string_fields, pairs_string_fields) for f in ref["fields"]]
    fields += [user_field({"required": False, "sensitive": False, "set_once": False, "default": None,
                           "min": None, "max": None, **extra}, json_string_fields)
               for extra in V2_ONLY_FIELDS.get((entity_type, code), [])]
    # Deprecated aliases may carry the only route to a key (sqlserveraws).
    known = {f["name"] for f in fields}
    for alias in ref.get("deprecated_aliases", []):
        if alias["name"] not in known:
            kind = alias.get("type", "string")
            fields.append(user_field({"name": alias["name"], "type": kind, "required": False,
                                      "sensitive": False, "set_once": False, "default": None,
                                      "one_of": None, "min": None, "max": None},
                                     json_string_fields))
            known.add(alias["name"])
    if entity_type == "transforms" and "transforms.name" not in known:
        # The provider drops it from the schema because the resource `name` supplies it.
        fields.insert(0, {"name": "transforms.name", "user_defined": True, "required": True,
                          "value": {"control": "string", "type": "raw", "default": None},
                          "encrypt": False, "set_once": False})
        known.add("transforms.name")
    if entity_type == "sources" and code in MYSQL_FAMILY and "database.server.id" not in known:
        fields.append({"name": "database.server.id", "user_defined": True, "required": False,
                       "value": {"control": "number", "type": "raw", "default": None},
                       "encrypt": False, "set_once": True})
        known.add("database.server.id")

    by_name = {f["name"]: f for f in fields}
    pg_family = entity_type == "sources" and {"slot.name", "publication.name"} <= known
    if pg_family:
        by_name["slot.name"]["set_once"] = by_name["publication.name"]["set_once"] = True
    if entity_type == "sources" and code in MYSQL_FAMILY:
        by_name["database.server.id"]["set_once"] = True
    for name, on, operator, value in CONDITIONAL_REQUIRED:
        if name in by_name and on in by_name:
            by_name[name]["required"] = True
            by_name[name]["conditions"] = [{"operator": operator, "config": on, "value": value}]

    computed = computed_fields(entity_type, code, known)
    computed_names = {f["name"] for f in computed}
    topics_from = next((k for k in ("table.include.list", "collection.include.list")
                        if k in computed_names), None)
    plugin = {
        "display_name": DISPLAY_NAMES[entity_type].get(code, code.replace("_", " ").title()),
        "connector": code,
        "entity_type": entity_type,
        "unique_per_tenant": ([{"keys": ["slot.name", "publication.name"], "detail": PG_UNIQUE_DETAIL}]
                              if pg_family else []),
        "topics_from": topics_from,
        "config": fields + computed,
    }
    return plugin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", nargs="?", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    # The committed plugin files are the source of truth; without the reference
    # there is nothing to regenerate them from, and "wrote 0 files" would pass
    # for success.
    missing = [str(args.reference / kind) for kind in ("sources", "destinations", "transforms")
               if not (args.reference / kind).is_dir()]
    if missing:
        print(f"error: connector reference not found: {', '.join(missing)} "
              "(pass the reference directory as the first argument)", file=sys.stderr)
        return 2
    count = 0
    for entity_type in ("sources", "destinations", "transforms"):
        for path in sorted((args.reference / entity_type).glob("*.json")):
            plugin = build_plugin(json.loads(path.read_text()))
            target = args.out / entity_type / plugin["connector"] / "configuration.latest.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(plugin, indent=2) + "\n")
            count += 1
    print(f"wrote {count} plugin files under {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
