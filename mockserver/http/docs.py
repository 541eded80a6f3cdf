"""``GET /openapi.json`` and ``GET /docs``: the contract of this very server, without auth.

These two are the mock's own pages, not part of the Streamkap API, so they are
plain routes left out of the document they serve (a diff against the real
API's ``openapi.json`` then shows API differences only).
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from mockserver.http.openapi import MISSING_READS_EMPTY, build_document, operations_of

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.5rem}
details{border:1px solid #ddd;border-radius:4px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer}
code,pre{font-family:ui-monospace,monospace;font-size:.85rem}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;max-height:30rem}
.m{display:inline-block;width:4.5rem;font-weight:bold}
.get{color:#0a7}.post{color:#06c}.put{color:#b70}.delete{color:#c22}
table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}
"""


def document(request: Request) -> dict:
    state = request.app.state
    if not hasattr(state, "openapi"):
        state.openapi = build_document(operations_of(request.app.routes), plugins=state.backend.plugins)
    return state.openapi


async def openapi_json(request: Request):
    return JSONResponse(document(request))


async def docs_page(request: Request):
    return HTMLResponse(render_html(document(request)))


def render_html(doc: dict) -> str:
    """A readable, self-contained page: operations grouped by tag, schemas inline as JSON."""
    by_tag: dict[str, list[tuple[str, str, dict]]] = {}
    for path, methods in doc["paths"].items():
        for method, spec in methods.items():
            by_tag.setdefault(spec["tags"][0], []).append((method, path, spec))
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(doc['info']['title'])}</title>",
             f"<style>{_STYLE}</style></head><body><h1>{escape(doc['info']['title'])}</h1>",
             (f"<p>{escape(doc['info']['description'])} "
              "The raw document: <a href='/openapi.json'>/openapi.json</a>.</p>"),
             ("<p>Authenticated operations need <code>Authorization: Bearer &lt;accessToken&gt;</code> "
              "from <code>POST /auth/access-token</code>.</p>")]
    for tag in sorted(by_tag):
        parts.append(f"<h2 id='{escape(tag)}'>{escape(tag)}</h2>")
        for method, path, spec in by_tag[tag]:
            parts.append(_operation_html(method, path, spec, doc))
    parts.append("<h2 id='schemas'>Schemas</h2>")
    for name, schema in doc["components"]["schemas"].items():
        parts.append(f"<details id='schema-{escape(name)}'><summary><code>{escape(name)}</code></summary>"
                     f"{_json(schema)}</details>")
    parts.append("</body></html>")
    return "".join(parts)


def _operation_html(method: str, path: str, spec: dict, doc: dict) -> str:
    lock = "" if spec["security"] else " (no auth)"
    out = [(f"<details><summary><span class='m {method}'>{method.upper()}</span><code>{escape(path)}</code> "
            f"— {escape(spec['summary'])}{lock} <small>[{escape(spec['operationId'])}]</small></summary>")]
    if spec.get(MISSING_READS_EMPTY):
        out.append("<p>A missing or deleted id reads as 200 with an empty result, never 404.</p>")
    if spec.get("parameters"):
        out.append("<table><tr><th>name</th><th>in</th><th>required</th><th>schema</th><th>description</th></tr>")
        for p in spec["parameters"]:
            out.append(f"<tr><td><code>{escape(p['name'])}</code></td><td>{p['in']}</td><td>{p['required']}</td>"
                       f"<td><code>{escape(json.dumps(p['schema']))}</code></td>"
                       f"<td>{escape(p.get('description', ''))}</td></tr>")
        out.append("</table>")
    if "requestBody" in spec:
        out.append("<p>Request body:</p>" + _media_html(spec["requestBody"]["content"]["application/json"], doc))
    out.append("<p>Responses:</p><ul>")
    for code, response in spec["responses"].items():
        media = response.get("content", {}).get("application/json")
        links = "".join(f" <code>{escape(name)}</code>" for name in response.get("links", {}))
        out.append(f"<li><b>{code}</b> {escape(response['description'])}{_media_html(media, doc) if media else ''}"
                   f"{'<br>Links to:' + links if links else ''}</li>")
    out.append("</ul></details>")
    return "".join(out)


def _media_html(media: dict, doc: dict) -> str:
    ref = media["schema"].get("$ref", "")
    shown = (f" <a href='#schema-{escape(ref.rsplit('/', 1)[1])}'><code>{escape(ref.rsplit('/', 1)[1])}</code></a>"
             if ref else _json(media["schema"]))
    examples = doc["components"].get("examples", {})
    return shown + "".join(f"<p>Example: {escape(examples[name]['summary'])}</p>{_json(examples[name]['value'])}"
                           for name in media.get("examples", {}))


def _json(value: Any) -> str:
    return f"<pre>{escape(json.dumps(value, indent=2))}</pre>"


routes = [Route("/openapi.json", openapi_json, methods=["GET"]), Route("/docs", docs_page, methods=["GET"])]
