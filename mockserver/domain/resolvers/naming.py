"""Names the backend derives for the user: the incremental-snapshot signal table."""

from __future__ import annotations

from .base import ResolverContext, resolver, split_list

SIGNAL_TABLE = "streamkap_signal"
FALLBACK_SCHEMA = "streamkap"


@resolver("get_signal_data_collection_name")
def get_signal_data_collection_name(ctx: ResolverContext) -> str:
    # dependencies: [explicit signal schema, schema/database sources...]
    for index in range(len(ctx.dependencies)):
        found = split_list(ctx.dep(index))
        if found:
            return f"{found[0]}.{SIGNAL_TABLE}"
    return f"{FALLBACK_SCHEMA}.{SIGNAL_TABLE}"
