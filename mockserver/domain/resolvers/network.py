"""Host and port resolution, SSH aware.

With SSH on, the connector reaches the database through Streamkap's tunnel
server, so `database.hostname`/`database.port` point at the tunnel while the
user's own host/port move to `ssh.destination.*`.
"""

from __future__ import annotations

import hashlib

from .base import ResolverContext, resolver

TUNNEL_HOST = "ssh-tunnel.streamkap.internal"
TUNNEL_PORT_BASE = 20000
TUNNEL_PORT_SPAN = 10000


def tunnel_port(entity_id: str) -> int:
    """A stable port per entity, so repeated updates give the same answer."""
    digest = hashlib.sha256(entity_id.encode()).digest()
    return TUNNEL_PORT_BASE + int.from_bytes(digest[:4], "big") % TUNNEL_PORT_SPAN


def _port_text(value) -> str | None:
    # The backend stores ports as strings; user input may be 5432 or "5432".
    return None if value is None else str(value)


@resolver("get_database_hostname")
async def get_database_hostname(ctx: ResolverContext) -> str | None:
    # Async like the backend's, which may look the tunnel up remotely.
    if ctx.ssh_enabled():
        return TUNNEL_HOST
    return ctx.dep(0)


@resolver("get_database_port")
def get_database_port(ctx: ResolverContext) -> str | None:
    if ctx.ssh_enabled():
        return str(tunnel_port(ctx.entity_id))
    return _port_text(ctx.dep(0))


@resolver("get_ssh_destination_hostname")
def get_ssh_destination_hostname(ctx: ResolverContext) -> str | None:
    return ctx.dep(0) if ctx.ssh_enabled() else None


@resolver("get_ssh_destination_port")
def get_ssh_destination_port(ctx: ResolverContext) -> str | None:
    return _port_text(ctx.dep(0)) if ctx.ssh_enabled() else None


@resolver("get_user_defined_value")
def get_user_defined_value(ctx: ResolverContext):
    """`x` from `x.user.defined` when nothing needs rewriting."""
    return ctx.dep(0)
