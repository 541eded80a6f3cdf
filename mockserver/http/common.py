"""Request parsing shared by every route: auth, JSON bodies, query flags, paging."""

from __future__ import annotations

import email.message
import functools
import math
import re
from typing import Any, Callable, Iterable, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from mockserver.domain.records import Page
from mockserver.domain.tenancy import READ_SECRETS, Principal
from mockserver.errors import BadRequest, Forbidden, NotFound, Unprocessable
from mockserver.http.errors import validation_detail
from mockserver.jsoncodec import dumps
from mockserver.models.common import OBJECT_ID_PATTERN

M = TypeVar("M", bound=BaseModel)

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
MAX_PAGE_SIZE = 100
OBJECT_ID_RE = re.compile(OBJECT_ID_PATTERN)


def backend(request: Request) -> Any:
    return request.app.state.backend


_AUTH_HEADERS = (b"authorization", b"x-admin-tenant-id", b"x-admin-service-id", b"x-tenant-id")


def authenticate(request: Request, need: str | None = None) -> Principal:
    """The caller of this request, scoped by the admin headers; 401/403 otherwise."""
    app = backend(request)
    # One pass over the raw headers (the first of a repeated one wins, as with Starlette's
    # Headers): most requests send none of the last three, and Headers pays a KeyError for each.
    sent = {name.decode(): value.decode("latin-1") for name, value in reversed(request.scope["headers"])
            if name in _AUTH_HEADERS}
    who = app.tokens.resolve(sent.get("authorization"))
    request.state.principal = who  # for the access log, the refusals below (403) included
    who = app.directory.act_as(who, sent.get("x-admin-tenant-id"), sent.get("x-admin-service-id"))
    tenant_header = sent.get("x-tenant-id")
    if tenant_header is not None and tenant_header != who.tenant_id:
        raise Forbidden(f"X-Tenant-Id '{tenant_header}' does not match the tenant of the token")
    if need:
        who.require(need)
    request.state.principal = who
    return who


def show_secrets(request: Request) -> bool:
    """``secret_returned=true``, honoured only for a caller whose roles may read secrets (read-only ones may not)."""
    asked = query_bool(request, "secret_returned")
    who = getattr(request.state, "principal", None)
    return asked and who is not None and READ_SECRETS in who.permissions


@functools.lru_cache(maxsize=256)  # a pure function of the header, which clients send alike on every request
def _is_json(content_type: str | None) -> bool:
    """FastAPI reads a body as JSON when it has no content type, or ``application/json`` / ``*+json``."""
    if not content_type:
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def _non_finite(value: Any, loc: tuple) -> tuple | None:
    """Where ``value`` holds NaN or an infinity (JSON has neither), or None."""
    if isinstance(value, float):
        return None if math.isfinite(value) else loc
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        # Only a number or a container can hold one: strings and the like are passed without a call.
        if isinstance(item, (float, dict, list)) and (found := _non_finite(item, (*loc, key))):
            return found
    return None


async def parse_body(request: Request, model: type[M]) -> M:
    raw = await request.body()
    content_type = request.headers.get("content-type")
    if raw and not _is_json(content_type):
        # FastAPI validates such a body as bytes, which no model accepts (same loc and type); the
        # message says what to do instead, since curl -d sends a form unless told otherwise.
        raise Unprocessable([{"loc": ["body"], "type": "model_attributes_type",
                              "msg": f"The body was sent as '{content_type}': send JSON, with the header "
                                     "'Content-Type: application/json'"}])
    try:
        body = model.model_validate_json(raw or b"null")
    except ValidationError as exc:
        raise Unprocessable(validation_detail(exc, "body")) from None
    # NaN, Infinity and 1e999 parse (as Python's json does) but cannot be stored or answered as JSON.
    if where := _non_finite(body.model_dump(), ()):
        raise BadRequest(f"Invalid number at body.{'.'.join(map(str, where))}: NaN and infinities are not JSON")
    return body


def _invalid_query(name: str, msg: str, kind: str) -> Unprocessable:
    return Unprocessable([{"loc": ["query", name], "msg": msg, "type": kind}])


def query_value(request: Request, name: str) -> str | None:
    """A query parameter's (last) value, or None; an absent one costs no KeyError, as ``query_params.get`` does."""
    params = request.query_params
    return params[name] if name in params else None


def query_bool(request: Request, name: str, default: bool = False) -> bool:
    raw = query_value(request, name)
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise _invalid_query(name, "Input should be a valid boolean", "bool_parsing")


def query_int(request: Request, name: str, default: int, low: int, high: int | None = None) -> int:
    raw = query_value(request, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _invalid_query(name, "Input should be a valid integer", "int_parsing") from None
    if value < low:
        raise _invalid_query(name, f"Input should be greater than or equal to {low}", "greater_than_equal")
    if high is not None and value > high:
        raise _invalid_query(name, f"Input should be less than or equal to {high}", "less_than_equal")
    return value


def query_page(request: Request) -> Page:
    return Page(
        page=query_int(request, "page", 1, 1),
        page_size=query_int(request, "page_size", 10, 1, MAX_PAGE_SIZE),
    )


def query_list(request: Request, name: str) -> list[str] | None:
    """A repeated (``?a=1&a=2``) or comma-separated (``?a=1,2``) query parameter."""
    values = [v for raw in request.query_params.getlist(name) for v in raw.split(",") if v]
    return values or None


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return dumps(content)


def respond(model: Any, data: Any, status: int = 200) -> JSONResponse:
    """Render ``data``, which the domain builds in the shape of ``model``.

    Not validated per request (that cost grew with every record); the models stay the
    contract, and the contract tests check that responses match them.
    """
    return FastJSONResponse(data, status_code=status)


def path_id(request: Request, name: str = "id") -> str:
    """An ObjectId path parameter; the backend answers a malformed one 404 ``Entity not found``."""
    value = request.path_params[name]
    if not OBJECT_ID_RE.fullmatch(value):
        raise NotFound()
    return value


def query_id(request: Request, name: str = "id") -> str:
    """A required ObjectId query parameter (``DELETE /transforms?id=...``); malformed is a 422."""
    value = query_value(request, name)
    if value is None:
        raise _invalid_query(name, "Field required", "missing")
    if not OBJECT_ID_RE.fullmatch(value):
        raise _invalid_query(name, "Input should be a 24-character hex ObjectId", "string_pattern_mismatch")
    return value


def check_params(request: Request, query: Iterable[Any], path_params: dict[str, dict[str, Any]],
                 guard: Callable[[Request], Any] | None = None) -> None:
    """404 for a malformed id in the path, 422 for a malformed query parameter, before the route has any effect.

    ``query`` holds ``routing.Param``s; only an authenticated caller learns about
    its parameters (``guard``'s 401 comes first, as with FastAPI's auth dependencies).
    """
    try:
        for name, schema in path_params.items():
            # Only ids: an unknown action or version is the domain's 400/404, as on the backend.
            if name in request.path_params and schema.get("pattern") == OBJECT_ID_PATTERN:
                path_id(request, name)
        for param in query:
            schema = param.schema
            if param.required and param.name not in request.query_params:
                raise _invalid_query(param.name, "Field required", "missing")
            if schema.get("type") == "boolean":
                query_bool(request, param.name)
            elif schema.get("type") == "integer":
                query_int(request, param.name, 0, schema.get("minimum", -(2 ** 63)), schema.get("maximum"))
            elif "enum" in schema:
                query_choice(request, param.name, tuple(schema["enum"]))
            elif schema.get("pattern") == OBJECT_ID_PATTERN and param.name in request.query_params:
                query_id(request, param.name)
    except (Unprocessable, NotFound):
        if guard is not None:
            guard(request)
        raise


def query_choice(request: Request, name: str, choices: tuple[str, ...]) -> str | None:
    """A query parameter that must be one of ``choices`` (422 otherwise), as a FastAPI enum would."""
    raw = query_value(request, name)
    if raw is None or raw in choices:
        return raw
    raise _not_a_choice(name, choices)


def query_choices(request: Request, name: str, choices: tuple[str, ...]) -> list[str] | None:
    """A repeatable query parameter whose every value must be one of ``choices``; None when absent."""
    values = request.query_params.getlist(name)
    if any(raw not in choices for raw in values):
        raise _not_a_choice(name, choices)
    return values or None


def _not_a_choice(name: str, choices: tuple[str, ...]) -> Exception:
    allowed = ", ".join(f"'{c}'" for c in choices)
    return _invalid_query(name, f"Input should be {allowed}", "enum")
