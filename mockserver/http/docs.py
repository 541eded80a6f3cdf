"""``GET /openapi.json`` and ``GET /docs``: the contract of this very server, without auth.

These are the mock's own pages, not part of the Streamkap API, so they are
plain routes left out of the document they serve (a diff against the real
API's ``openapi.json`` then shows API differences only). ``/docs`` is Swagger
UI, served from the ``swagger-ui-bundle-v2`` package, so it works offline.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from mockserver.http.openapi import build_document, operations_of

ASSETS = "/docs/assets"

# Try-it-out on by default, the bearer token kept across reloads, a search box
# over tags; no top bar (it would offer to load some other document).
_UI_OPTIONS = {
    "url": "/openapi.json",
    "dom_id": "#swagger-ui",
    "deepLinking": True,
    "tryItOutEnabled": True,
    "persistAuthorization": True,
    "filter": True,
    "displayRequestDuration": True,
    "showExtensions": True,  # x-missing-reads-empty
    "layout": "BaseLayout",
}

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>streamkap-mock API</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle(Object.assign({options}, {{presets: [SwaggerUIBundle.presets.apis]}}));
</script>
</body>
</html>
"""


def document(request: Request) -> dict:
    state = request.app.state
    if not hasattr(state, "openapi"):
        state.openapi = build_document(operations_of(request.app.routes), plugins=state.backend.plugins)
    return state.openapi


async def openapi_json(request: Request):
    return JSONResponse(document(request))


async def docs_page(request: Request):
    return HTMLResponse(_PAGE.format(assets=ASSETS, options=json.dumps(_UI_OPTIONS)))


routes = [
    Route("/openapi.json", openapi_json, methods=["GET"]),
    Route("/docs", docs_page, methods=["GET"]),
    Mount(ASSETS, StaticFiles(directory=swagger_ui_path)),
]
