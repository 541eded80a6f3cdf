"""Builds the application: the backend (domain services over one store) and the route table."""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass
from typing import Callable

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.control import routes as control_routes
from mockserver.control.clock import VirtualClock
from mockserver.control.middleware import FaultMiddleware, JournalMiddleware
from mockserver.control.plane import ControlPlane
from mockserver.domain.connectors import ConnectorService
from mockserver.domain.credentials import CredentialService
from mockserver.domain.kafka_users import KafkaUserService
from mockserver.domain.pipelines import PipelineService
from mockserver.domain.plugins import PluginRegistry
from mockserver.domain.records import Timing
from mockserver.domain.secrets import SecretBox, box_for
from mockserver.domain.tags import TagService
from mockserver.domain.tenancy import Directory, TokenService
from mockserver.domain.topics import TopicService, TopicStore
from mockserver.domain.transforms import TransformService
from mockserver.http import (
    auth,
    connectors,
    credentials,
    docs,
    kafka_users,
    pipelines,
    tags,
    topics,
    transforms,
)
from mockserver.http.errors import HANDLERS
from mockserver.settings import Settings
from mockserver.store import Repository


@dataclass
class Backend:
    """Everything a request handler may call, built once per app."""

    settings: Settings
    repo: Repository
    directory: Directory
    tokens: TokenService
    plugins: PluginRegistry
    box: SecretBox
    topics: TopicStore
    clock: Callable[[], float]
    tags: TagService
    kafka_users: KafkaUserService
    credentials: CredentialService
    connectors: dict[str, ConnectorService]
    transforms: TransformService
    pipelines: PipelineService
    topic_service: TopicService

    @classmethod
    def build(cls, settings: Settings, clock: Callable[[], float] = time.time) -> "Backend":
        repo = Repository(settings.db)
        box = box_for(None if settings.in_memory else settings.db, settings.secret_key)
        directory = Directory.load(settings.fixtures / "tenants.json")
        tokens = TokenService(directory, settings.token_ttl, clock)
        plugins = PluginRegistry.load(settings.fixtures / "plugins")
        topics = TopicStore(repo)
        timing = Timing(status_delay=settings.status_delay, delete_delay=settings.delete_delay)
        backend = cls(
            settings=settings,
            repo=repo,
            directory=directory,
            tokens=tokens,
            plugins=plugins,
            box=box,
            topics=topics,
            clock=clock,
            tags=TagService(repo, clock),
            kafka_users=KafkaUserService(repo, clock),
            credentials=CredentialService(repo, directory, tokens, clock),
            connectors={
                entity_type: ConnectorService(entity_type, repo, plugins, box, topics, clock, timing)
                for entity_type in ("sources", "destinations")
            },
            transforms=TransformService(repo, plugins, box, clock, timing),
            pipelines=PipelineService(repo, clock, timing),
            topic_service=TopicService(repo, topics, plugins, clock),
        )
        backend.tags.seed_system_tags(settings.fixtures / "tags.json")
        directory.extra_lookups.append(backend.credentials.lookup)
        return backend


class RequestIdMiddleware:
    """Every response carries an ``X-Request-Id`` (the client's own, when it sent one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id")
        request_id = incoming or uuid.uuid4().hex.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id)]
            await send(message)

        await self.app(scope, receive, send_with_id)


def create_app(settings: Settings | None = None, clock: Callable[[], float] = time.time) -> Starlette:
    settings = settings or Settings()
    clock = VirtualClock(clock)  # the control plane moves it; the backend only reads it
    backend = Backend.build(settings, clock)
    control = ControlPlane(backend, clock)
    routes = [
        *([control_routes.mount(control)] if settings.admin else []),
        *docs.routes,
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

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        backend.repo.close()

    app = Starlette(routes=routes, exception_handlers=HANDLERS, lifespan=lifespan)
    app.state.backend = backend
    app.state.control = control
    if settings.admin:
        app.add_middleware(FaultMiddleware, control=control)  # inside the request id: a fault carries one too
    app.add_middleware(RequestIdMiddleware)
    if settings.admin:
        app.add_middleware(JournalMiddleware, control=control)  # outermost: the final status and request id
    return app
