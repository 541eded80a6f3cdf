"""The indexed router answers every request with the route Starlette's whole scan would choose.

It tries its candidates first and, when none matches fully, scans every route as
Starlette does: so a candidate it picks must be the one the whole scan picks.
"""

from __future__ import annotations

import re

from starlette.routing import Match, Mount, Route

OBJECT_ID = "0123456789abcdef01234567"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def _paths(router) -> set[str]:
    """Every route's path with its parameters filled in, its literal paths, and paths no route serves."""
    paths = {"/", "/nowhere", "/sources/", "/sources/x/y/z", "/__mock", "/__mock/health", "/__mock/nowhere"}
    for route in router.routes:
        if isinstance(route, (Route, Mount)):
            paths.add(re.sub(r"\{[^}]+\}", OBJECT_ID, route.path) or "/")
            paths.add(re.sub(r"\{[^}]+\}", "brief", route.path) or "/")
    return paths


def _scope(method: str, path: str) -> dict:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], "query_string": b""}


def test_the_first_full_match_is_the_same_as_starlettes(api):
    router = api.client.app.router
    served = fast = 0
    for method in METHODS:
        for path in _paths(router):
            scope = _scope(method, path)
            whole_scan = next((r for r in router.routes if r.matches(scope)[0] is Match.FULL), None)
            indexed = next((r for r in router.candidates(scope) if r.matches(scope)[0] is Match.FULL), None)
            assert indexed is None or indexed is whole_scan, (method, path)
            served += whole_scan is not None
            fast += indexed is not None
    assert served > 50 and fast / served > 0.8  # most requests a route serves take the short way
