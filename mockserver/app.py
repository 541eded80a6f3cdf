"""Builds the application: the backend (domain services over one store) and the route table."""

from __future__ import annotations

import contextlib
import functools
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.control import routes as control_routes
from mockserver.control.clock import VirtualClock
from mockserver.control.middleware import FaultMiddleware, JournalRecorder
from mockserver.control.plane import ControlPlane
from mockserver.domain import ids
from mockserver.domain.connectors import ConnectorService
from mockserver.domain.credentials import CredentialService
from mockserver.domain.kafka_users import KafkaUserService
from mockserver.domain.pipelines import PipelineService
from mockserver.domain.plugins import PluginRegistry
from mockserver.domain.records import Timing, tombstone
from mockserver.domain.secrets import SEALED, SecretBox, box_for
from mockserver.domain.stored import check_records
from mockserver.domain.tags import TagService
from mockserver.domain.tenancy import Directory, TokenService
from mockserver.domain.tenants import TenantService
from mockserver.domain.topics import TopicService, TopicStore
from mockserver.domain.transforms import TransformService
from mockserver.errors import StartupError
from mockserver.http import docs
from mockserver.http.errors import HANDLERS
from mockserver.http.exchange import ExchangeMiddleware
from mockserver.http.routes import api_routes
from mockserver.http.routing import IndexedRouter, literal_paths_win
from mockserver.http.middleware import BodyLimit, DurableWrites
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
    runtime_tenants: TenantService

    @classmethod
    def build(cls, settings: Settings, clock: Callable[[], float] = time.time) -> "Backend":
        repo = Repository(settings.db, shrink=lambda record: tombstone(record, clock()))
        check_records(repo, settings.db)
        sealed = repo.search_stored(SEALED)
        box = box_for(None if settings.in_memory else settings.db, settings.secret_key,
                      sealed.decode() if sealed else None)
        with _fixture_file(settings.fixtures / "tenants.json") as path:
            directory = Directory.load(path)
        tokens = TokenService(directory, settings.token_ttl, clock)
        plugins = PluginRegistry.load(settings.fixtures / "plugins")
        backend = cls._assemble(settings, repo, directory, tokens, plugins, box, clock)
        with _fixture_file(settings.fixtures / "tags.json") as path:
            backend.tags.seed_system_tags(path)
        directory.extra_lookups.append(backend.credentials.lookup)
        directory.extra_tenants.append(backend.runtime_tenants.lookup)
        directory.extra_lookups.append(backend.runtime_tenants.credential)
        return backend

    def on(self, repo: Repository, clock: Callable[[], float] | None = None) -> "Backend":
        """The same services over another store (and clock): the control plane makes a change in a draft."""
        return self._assemble(self.settings, repo, self.directory, self.tokens, self.plugins, self.box,
                              clock or self.clock)

    @classmethod
    def _assemble(cls, settings: Settings, repo: Repository, directory: Directory, tokens: TokenService,
                  plugins: PluginRegistry, box: SecretBox, clock: Callable[[], float]) -> "Backend":
        topics = TopicStore(repo)
        timing = Timing(status_delay=settings.status_delay, delete_delay=settings.delete_delay,
                        deploy_delay=settings.status_delay if settings.deploy_delay is None else settings.deploy_delay)
        return cls(
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
            transforms=TransformService(repo, plugins, box, clock, timing,
                                        implementation_defaults=_implementation_defaults(settings.fixtures)),
            pipelines=PipelineService(repo, clock, timing),
            topic_service=TopicService(repo, topics, plugins, clock),
            runtime_tenants=TenantService(repo, directory, clock),
        )


@contextlib.contextmanager
def _fixture_file(path: Path) -> Iterator[Path]:
    """A fixture file that does not parse, or lacks what the loader needs, stops start-up naming it."""
    try:
        yield path
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        what = f"missing key {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
        raise StartupError(f"{path} is not a usable fixture file ({what})") from None


@functools.cache  # read once: the control plane assembles services over a draft on every reset or seed
def _implementation_defaults(fixtures: Path) -> dict[str, dict]:
    """What the backend adds to stored transform implementations; a fixtures directory may leave the file out."""
    path = fixtures / "transform-implementations.json"
    if not path.exists():
        return {}
    with _fixture_file(path):
        data = json.loads(path.read_text(encoding="utf-8"))
        return {code: dict(fields) for code, fields in data.items() if not code.startswith("_")}


class ReproducibleRun:
    """With --id-seed: each request moves the run's clock one tick and draws its random values from the run."""

    def __init__(self, app: ASGIApp, run: ids.Source) -> None:
        self.app = app
        self.run = run

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.run.tick()
        with ids.reproducible(self.run):
            await self.app(scope, receive, send)


def create_app(settings: Settings | None = None, clock: Callable[[], float] = time.time) -> Starlette:
    settings = settings or Settings()
    run = ids.Source(settings.id_seed) if settings.id_seed is not None else None
    clock = VirtualClock(run.now if run else clock)  # the control plane moves it; the backend only reads it
    with ids.reproducible(run):  # the start-up seed's values too
        backend = Backend.build(settings, clock)
        control = ControlPlane(backend, clock, run)
    routes = [
        *([control_routes.mount(control)] if settings.admin else []),
        *docs.routes,
        *api_routes(),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        backend.repo.warm_indexes()
        yield
        backend.repo.close()

    literal_paths_win(routes)
    app = Starlette(exception_handlers=HANDLERS)
    app.router = IndexedRouter(routes, lifespan=lifespan)
    app.state.backend = backend
    app.state.control = control
    app.add_middleware(DurableWrites, repo=backend.repo)
    if settings.admin:
        app.add_middleware(FaultMiddleware, control=control)  # inside the request id: a fault carries one too
    app.add_middleware(BodyLimit, max_body=settings.max_body)  # outside faults: they read the whole body
    if settings.cors:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors), allow_methods=["*"],
                           allow_headers=["*"], expose_headers=["X-Request-Id"])
    # Outside the rest: it gives every answer (a fault's, a 413) its request id, and logs and journals it.
    app.add_middleware(ExchangeMiddleware, recorder=JournalRecorder(control) if settings.admin else None)
    if run is not None:
        app.add_middleware(ReproducibleRun, run=run)  # outside the journal: it records the run's time
    return app
