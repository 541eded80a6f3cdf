"""Connection and schema registry URLs."""

from __future__ import annotations

from .base import ResolverContext, resolver

SCHEMA_REGISTRY_URL = "http://schema-registry.streamkap.internal:8081"

# JDBC URL shapes by connector; others fall back to jdbc:<connector>://host:port/db.
JDBC_TEMPLATES = {
    "postgresql": "jdbc:postgresql://{host}:{port}/{db}",
    "cockroachdb": "jdbc:postgresql://{host}:{port}/{db}",
    "mysql": "jdbc:mysql://{host}:{port}/{db}",
    "sqlserver": "jdbc:sqlserver://{host}:{port};databaseName={db}",
    "oracle": "jdbc:oracle:thin:@//{host}:{port}/{db}",
    "db2": "jdbc:db2://{host}:{port}/{db}",
    "clickhouse": "jdbc:clickhouse://{host}:{port}/{db}",
    "redshift": "jdbc:redshift://{host}:{port}/{db}",
}


@resolver("get_connection_url")
def get_connection_url(ctx: ResolverContext) -> str | None:
    # dependencies: [host, port, database, optional ssl flag]
    host, port, db = ctx.dep(0), ctx.dep(1), ctx.dep(2)
    if host is None:
        return None
    template = JDBC_TEMPLATES.get(ctx.connector, "jdbc:" + ctx.connector + "://{host}:{port}/{db}")
    url = template.format(host=host, port=port if port is not None else "", db=db or "")
    if ctx.dep(3) is True:
        url += "?ssl=true"
    return url


@resolver("get_schema_registry_url")
def get_schema_registry_url(ctx: ResolverContext) -> str:
    # A user-supplied registry (Kafka destination) wins over the internal one.
    return ctx.dep(0) or SCHEMA_REGISTRY_URL
