"""Request parsing shared by every route: auth, JSON bodies, query flags, paging."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from mockserver.domain.records import Page
from mockserver.domain.tenancy import Principal
from mockserver.errors import Forbidden, Unprocessable
from mockserver.http.errors import validation_detail
from mockserver.models.common import OBJECT_ID_PATTERN

M = TypeVar("M", bound=BaseModel)

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
MAX_PAGE_SIZE = 100
OBJECT_ID_RE = re.compile(OBJECT_ID_PATTERN)


def backend(request: Request) -> Any:
    return request.app.state.backend


def authenticate(request: Request, need: str | None = None) -> Principal:
    """The caller of this request, scoped by the admin headers; 401/403 otherwise."""
    app = backend(request)
    who = app.tokens.resolve(request.headers.get("authorization"))
    who = app.directory.act_as(
        who, request.headers.get("x-admin-tenant-id"), request.headers.get("x-admin-service-id")
    )
    tenant_header = request.headers.get("x-tenant-id")
    if tenant_header is not None and tenant_header != who.tenant_id:
        raise Forbidden(f"X-Tenant-Id '{tenant_header}' does not match the tenant of the token")
    if need:
        who.require(need)
    request.state.principal = who  # for the access log
    return who


async def parse_body(request: Request, model: type[M]) -> M:
    raw = await request.body()
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as exc:
        raise Unprocessable(validation_detail(exc, "body")) from None


def _invalid_query(name: str, msg: str, kind: str) -> Unprocessable:
    return Unprocessable([{"loc": ["query", name], "msg": msg, "type": kind}])


def query_bool(request: Request, name: str, default: bool = False) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise _invalid_query(name, "Input should be a valid boolean", "bool_parsing")


def query_int(request: Request, name: str, default: int, low: int, high: int | None = None) -> int:
    raw = request.query_params.get(name)
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


_adapters: dict[Any, TypeAdapter] = {}


def respond(model: Any, data: Any, status: int = 200) -> JSONResponse:
    """Render ``data`` through its response model, so every body matches the contract."""
    adapter = _adapters.get(model)
    if adapter is None:
        adapter = _adapters[model] = TypeAdapter(model)
    return JSONResponse(adapter.dump_python(adapter.validate_python(data), mode="json"), status_code=status)


def _object_id(value: str, where: str, name: str) -> str:
    if not OBJECT_ID_RE.fullmatch(value):
        raise Unprocessable([{"loc": [where, name], "msg": "Input should be a 24-character hex ObjectId",
                              "type": "string_pattern_mismatch"}])
    return value


def path_id(request: Request, name: str = "id") -> str:
    """An ObjectId path parameter; anything else is a 422, as a typed FastAPI path would be."""
    return _object_id(request.path_params[name], "path", name)


def query_id(request: Request, name: str = "id") -> str:
    """A required ObjectId query parameter (``DELETE /transforms?id=...``)."""
    value = request.query_params.get(name)
    if value is None:
        raise _invalid_query(name, "Field required", "missing")
    return _object_id(value, "query", name)


def query_choice(request: Request, name: str, choices: tuple[str, ...]) -> str | None:
    """A query parameter that must be one of ``choices`` (422 otherwise), as a FastAPI enum would."""
    raw = request.query_params.get(name)
    if raw is None or raw in choices:
        return raw
    allowed = ", ".join(f"'{c}'" for c in choices)
    raise _invalid_query(name, f"Input should be {allowed}", "enum")
