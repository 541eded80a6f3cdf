"""Route declarations that also describe themselves.

Every endpoint is declared with ``operation(...)``: the Starlette ``Route`` it
returns carries an ``Operation`` with the models, query parameters and status
codes of the endpoint, so the OpenAPI contract is generated from the very
table the server routes with (see ``mockserver.http.openapi``).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import Receive, Scope, Send

from mockserver.http.common import authenticate, check_params
from mockserver.store import Repository

from mockserver.models.common import OBJECT_ID_PATTERN


@dataclass(frozen=True)
class Param:
    """A query parameter, described as a JSON schema."""

    name: str
    schema: dict[str, Any]
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    # Request body model (pydantic), if the endpoint takes one.
    body: Any = None
    # The success response: a pydantic model or any type pydantic can describe.
    response: Any = None
    status: int = 200
    # Error statuses besides the ones implied: 401/403 with auth, 422 with a body or query.
    errors: tuple[int, ...] = ()
    query: tuple[Param, ...] = ()
    auth: bool = True
    # Path parameter schemas, by name; a missing one is a plain string.
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The entity type whose plugins describe the body's config (the body is then one variant per plugin).
    plugin_body: str | None = None


class ApiRoute(Route):
    """A route that leaves alone the literal paths of other routes (see ``literal_paths_win``)."""

    shadowed: frozenset[str] = frozenset()

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and scope["path"] in self.shadowed:
            return Match.NONE, {}
        return super().matches(scope)


class WriteLane:
    """One thread with its own event loop runs every route that may write.

    The domain's work for a write (checks, plugin resolution, the in-memory change)
    then never holds the server's loop: a read waits at most an interpreter switch
    interval behind it, not behind every queued write. Writes stay in arrival order
    on one loop, as they were.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._start = threading.Lock()

    def _lane(self) -> asyncio.AbstractEventLoop:
        with self._start:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="write-lane", daemon=True).start()
                self._loop = loop
        return self._loop

    async def run(self, endpoint: Callable, request: Request) -> Any:
        async def call() -> tuple[Any, int]:
            Repository.set_ticket(0)
            response = await endpoint(request)
            return response, Repository.ticket()

        response, ticket = await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call(), self._lane()))
        Repository.set_ticket(ticket)  # the durability wait happens on the server's loop
        return response


WRITE_LANE = WriteLane()


def operation(method: str, path: str, endpoint: Callable, *,
              guard: Callable[[Request], Any] | None = None, **spec: Any) -> Route:
    """The route of ``endpoint``; every parameter it declares is checked before it runs (422, no effect).

    ``guard`` authenticates the caller (default: the emulated API's token check when
    the operation needs auth), so a malformed request from a stranger is a 401, not a 422.
    """
    op = Operation(method=method, path=path, **spec)
    guard = guard or (authenticate if op.auth else None)

    async def checked(request: Request):
        check_params(request, op.query, op.path_params, guard)
        if method == "GET":
            return await endpoint(request)
        await request.body()  # read here, on the server's loop; the route sees it cached
        return await WRITE_LANE.run(endpoint, request)

    route = ApiRoute(path, checked, methods=[method], name=endpoint.__name__)
    route.operation = op  # type: ignore[attr-defined]
    return route


def literal_paths_win(routes: list[Any]) -> None:
    """``PUT /sources/brief`` is a method ``/sources/brief`` does not serve (405), not ``PUT /sources/{id}``.

    A parameter route stops matching every literal path some route declares, so
    only the literal route's methods answer there.
    """
    literal = {route.path for route in routes if isinstance(route, Route) and not route.param_convertors}
    for route in routes:
        if isinstance(route, ApiRoute) and route.param_convertors:
            route.shadowed = frozenset(path for path in literal if route.path_regex.fullmatch(path))


def _head(path: str) -> str | None:
    """A path's first segment; None when a route's first segment is a parameter (any path may match it)."""
    head = path.lstrip("/").partition("/")[0]
    return None if "{" in head else head


class IndexedRouter(Router):
    """Starlette's router, which first tries only the routes a request's method and first path segment can match.

    Starlette tries every route in turn (17 regexes for ``GET /sources/{id}``). The routes
    tried here keep their order, and none left out can match the request fully, so the
    route chosen is Starlette's. A request no candidate matches fully (405, 404, a
    trailing slash to redirect) goes through Starlette's whole scan as before.
    """

    def __init__(self, routes: list[BaseRoute], **options: Any) -> None:
        super().__init__(routes, **options)
        methods = {method for route in routes for method in getattr(route, "methods", None) or ()}
        heads = {_head(route.path) for route in routes if isinstance(route, (Route, Mount))} - {None}
        self._candidates = {(method, head): [route for route in routes if self._may_match(route, method, head)]
                            for method in methods for head in heads}

    @staticmethod
    def _may_match(route: BaseRoute, method: str, head: str) -> bool:
        if not isinstance(route, (Route, Mount)):
            return True
        route_head, methods = _head(route.path), getattr(route, "methods", None)
        return route_head in (None, head) and (not methods or method in methods)

    def candidates(self, scope: Scope) -> list[BaseRoute]:
        """The routes that may match an HTTP request fully, in the router's order."""
        return self._candidates.get((scope["method"], get_route_path(scope).lstrip("/").partition("/")[0]), [])

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self.candidates(scope):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.setdefault("router", self)
                    scope["route"] = route
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await super().app(scope, receive, send)


# ---- query parameters shared by many endpoints --------------------------------

SECRET_RETURNED = Param("secret_returned", {"type": "boolean", "default": False},
                        "Return secret config values in clear instead of masked")
WAIT = Param("wait", {"type": "boolean", "default": True},
             "false: return at once, the connector work finishes in the background")
UNWIND_TOPICS = Param("unwind_topics", {"type": "boolean", "default": True},
                      "false: leave topic_map out (empty); topics and topic_ids are listed either way")
PAGE = Param("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number, from 1")
PAGE_SIZE = Param("page_size", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
                  "Entities per page")
PARTIAL_NAME = Param("partial_name", {"type": "string"}, "Only entities whose name contains this")
OBJECT_ID = {"type": "string", "pattern": OBJECT_ID_PATTERN}
