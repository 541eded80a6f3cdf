"""Route declarations that also describe themselves.

Every endpoint is declared with ``operation(...)``: the Starlette ``Route`` it
returns carries an ``Operation`` with the models, query parameters and status
codes of the endpoint, so the OpenAPI contract is generated from the very
table the server routes with (see ``mockserver.http.openapi``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from starlette.routing import Match, Route
from starlette.types import Scope

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


def operation(method: str, path: str, endpoint: Callable, **spec: Any) -> Route:
    route = ApiRoute(path, endpoint, methods=[method])
    route.operation = Operation(method=method, path=path, **spec)  # type: ignore[attr-defined]
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
