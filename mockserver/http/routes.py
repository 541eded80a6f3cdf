"""The API's route table, built without an app: the server routes with it, the contract is generated from it."""

from __future__ import annotations

from starlette.routing import Route

from mockserver.http import auth, connectors, credentials, kafka_users, pipelines, tags, topics, transforms


def api_routes() -> list[Route]:
    """Every route of the emulated Streamkap API (the mock's own pages, /docs and /openapi.json, aside)."""
    return [
        *auth.routes,
        *credentials.routes,
        *connectors.connector_routes("sources"),
        *connectors.connector_routes("destinations"),
        *transforms.routes,
        *pipelines.routes,
        *topics.routes,
        *tags.routes,
        *kafka_users.routes,
    ]
