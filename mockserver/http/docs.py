"""The mock's own pages: ``GET /`` (where to start), ``GET /openapi.json`` and ``GET /docs``.

These are the mock's own pages, not part of the Streamkap API, so they are
plain routes left out of the document they serve (a diff against the real
API's ``openapi.json`` then shows API differences only). ``/docs`` (and the
control plane's ``/__mock/docs``) is Swagger UI, served from the
``swagger-ui-bundle-v2`` package, so it works offline.
"""

from __future__ import annotations

import html
import json

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from mockserver import __version__
from mockserver.http.openapi import SECURITY_SCHEME, build_document, operations_of

ASSETS = "/docs/assets"

# Try-it-out on by default, the bearer token kept across reloads, a search box
# over tags; no top bar (it would offer to load some other document).
_UI_OPTIONS = {
    "dom_id": "#swagger-ui",
    "deepLinking": True,
    "tryItOutEnabled": True,
    "persistAuthorization": True,
    "filter": True,
    "displayRequestDuration": True,
    "showExtensions": True,  # x-missing-reads-empty
    "layout": "BaseLayout",
}

# A login executed on the page authorizes every other operation with the token it
# returned, so "Execute" on the pre-filled login is all a user has to do first.
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle(Object.assign({options}, {{
  presets: [SwaggerUIBundle.presets.apis],
  responseInterceptor: (response) => {{
    if (response.ok && response.body && response.body.accessToken && response.url.endsWith("/auth/access-token")) {{
      window.ui.preauthorizeApiKey({scheme}, response.body.accessToken);
    }}
    return response;
  }},
}}));
</script>
</body>
</html>
"""


def swagger_page(title: str, document_url: str) -> HTMLResponse:
    """Swagger UI over the OpenAPI document at ``document_url``."""
    options = json.dumps({"url": document_url, **_UI_OPTIONS})
    return HTMLResponse(_PAGE.format(title=html.escape(title), assets=ASSETS, options=options,
                                     scheme=json.dumps(SECURITY_SCHEME)))


def document(request: Request) -> dict:
    state = request.app.state
    if not hasattr(state, "openapi"):
        state.openapi = build_document(operations_of(request.app.routes), plugins=state.backend.plugins)
    return state.openapi


async def openapi_json(request: Request):
    return JSONResponse(document(request))


async def docs_page(request: Request):
    return swagger_page("streamkap-mock API", "/openapi.json")


_HOME = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>streamkap-mock {version}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .2rem .6rem; text-align: left; }}
code {{ background: #f3f3f3; padding: 0 .2rem; }}
</style>
</head>
<body>
<h1>streamkap-mock {version}</h1>
<p>A local, stateful emulator of the Streamkap REST API. Point the Terraform provider or any client at
<code>{base}</code>.</p>
<ul>
<li><a href="/docs">API documentation</a>: try every operation in the browser (log in first: the login is filled in)</li>
<li><a href="/openapi.json">OpenAPI document</a> of the API</li>
{control}</ul>
<h2>Credentials</h2>
<p>Log in with <code>POST /auth/access-token</code> and <code>{{"client_id": ..., "secret": ...}}</code>;
send the <code>accessToken</code> it returns as <code>Authorization: Bearer ...</code>.</p>
<table>
<tr><th>client_id</th><th>secret</th><th>tenant</th><th>service</th><th>roles</th></tr>
{credentials}
</table>
</body>
</html>
"""

_CONTROL_LINKS = """<li><a href="/__mock/docs">Control plane</a>: reset, seed, faults, the request journal, the virtual clock (not part of the Streamkap API)</li>
<li><a href="/__mock/health">Health</a></li>
"""


async def home_page(request: Request):
    backend = request.app.state.backend
    rows = "\n".join(
        "<tr>" + "".join(f"<td><code>{html.escape(value)}</code></td>" for value in
                         (c.client_id, c.secret, c.tenant_id, c.service_id, ", ".join(c.roles))) + "</tr>"
        for c in backend.directory.fixture_credentials())
    base = str(request.base_url).rstrip("/")
    return HTMLResponse(_HOME.format(version=__version__, base=html.escape(base), credentials=rows,
                                     control=_CONTROL_LINKS if backend.settings.admin else ""))


routes = [
    Route("/", home_page, methods=["GET"]),
    Route("/openapi.json", openapi_json, methods=["GET"]),
    Route("/docs", docs_page, methods=["GET"]),
    Mount(ASSETS, StaticFiles(directory=swagger_ui_path)),
]
