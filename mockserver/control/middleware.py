"""The hooks into the emulated API: faults answer before the app sees a request; the journal records it.

Both skip the control plane's own paths. The journal records through
``http.exchange`` (so it reads the id the client got); faults sit inside that
layer (so a faulted answer carries an id too, as the provider logs it).
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.control.faults import RequestFacts, Rule
from mockserver.control.journal import reason
from mockserver.control.routes import PREFIX
from mockserver.errors import ApiError
from mockserver.http.exchange import Answer
from mockserver.http.middleware import announces_body, declared_too_large

FAULT_KEY = "streamkap_mock.fault"  # scope["state"] key: the rule that answered, for the journal
TOKEN_PATHS = ("/auth/access-token", "/api/auth/access-token")


def _emulated(scope: Scope) -> bool:
    return scope["type"] == "http" and not (scope["path"] == PREFIX or scope["path"].startswith(PREFIX + "/"))


async def _read_body(scope: Scope, receive: Receive, max_body: int) -> tuple[bytes, Receive]:
    """The request body, and a receive that hands it to the app again.

    Reading stops just past ``max_body`` bytes, and does not start when ``Content-Length``
    announces more: ``BodyLimit``, inside, then answers 413 with the rest never read.
    """
    if not announces_body(scope):
        return b"", receive
    chunks, size, more = [], 0, not declared_too_large(scope, max_body)
    while more and size <= max_body:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        more = message.get("more_body", False)
    body, sent = b"".join(chunks), False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return body, replay


# The request headers the journal and faults read (who calls, and what the journal shows of the request).
_READ_HEADERS = frozenset((b"authorization", b"x-admin-tenant-id", b"x-admin-service-id", b"host",
                           b"x-request-id", b"content-type"))


def _headers(scope: Scope) -> dict[str, str]:
    # ASGI servers give header names in lower case.
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
            if name in _READ_HEADERS}


def caller(backend: Any, scope: Scope, headers: dict[str, str], body: bytes) -> tuple[str | None, str | None]:
    """(tenant id, client id) of a request: from its token, or the client id a login sends."""
    if scope["path"] in TOKEN_PATHS:
        try:
            client_id = json.loads(body or b"null").get("client_id")
        except (ValueError, AttributeError):
            return None, None
        credential = backend.directory.credential(client_id) if isinstance(client_id, str) else None
        return (credential.tenant_id if credential else None), (client_id if isinstance(client_id, str) else None)
    client_id = backend.tokens.client_of(headers.get("authorization"))
    credential = backend.directory.credential(client_id) if client_id else None
    if credential is None:
        return None, client_id
    if "x-admin-tenant-id" not in headers and "x-admin-service-id" not in headers:
        return credential.tenant_id, client_id  # what act_as gives when there is nothing to act as
    try:
        who = backend.directory.act_as(backend.directory.principal_for(credential),
                                       headers.get("x-admin-tenant-id"), headers.get("x-admin-service-id"))
    except ApiError:  # admin headers it may not send: its own tenant, the request will say 403
        return credential.tenant_id, client_id
    return who.tenant_id, client_id


class FaultMiddleware:
    def __init__(self, app: ASGIApp, control: Any) -> None:
        self.app = app
        self.control = control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        faults = self.control.faults
        if not faults or not _emulated(scope):
            await self.app(scope, receive, send)
            return
        body, receive = await _read_body(scope, receive, self.control.settings.max_body)
        headers = _headers(scope)
        tenant_id, client_id = caller(self.control.backend, scope, headers, body)
        # Off the loop: a rule's regex (RE2 lets go of the GIL) holds no other request while it runs.
        rule = await run_in_threadpool(faults.pick, RequestFacts(scope["method"], scope["path"], body, tenant_id,
                                                                 client_id))
        if rule is None:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})[FAULT_KEY] = rule.id
        if rule.delay and not await rule.hold():  # the rule was removed meanwhile: as if it never matched
            del scope["state"][FAULT_KEY]
            await self.app(scope, receive, send)
            return
        if rule.drop:
            await _drop(send)
        elif rule.status is not None:
            await _answer(rule, send)
        else:  # a delay alone: the request then goes through
            await self.app(scope, receive, send)


async def _answer(rule: Rule, send: Send) -> None:
    payload = json.dumps({"detail": rule.detail or reason(rule.status) or "Fault"}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    headers += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in rule.headers.items()]
    await send({"type": "http.response.start", "status": rule.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _drop(send: Send) -> None:
    # An ASGI app that returns mid-response makes the server close the connection: the
    # client gets a status line promising a body that never comes (Go: "unexpected EOF").
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")]})


class JournalRecorder:
    """The journal's part of ``http.exchange``: who calls and what they send, taken before the app runs."""

    def __init__(self, control: Any) -> None:
        self.control = control

    def records(self, scope: Scope) -> bool:
        return _emulated(scope)

    async def begin(self, scope: Scope, receive: Receive) -> tuple[Callable[[Answer], None], Receive]:
        started, at = time.perf_counter(), self.control.clock()
        body, receive = await _read_body(scope, receive, self.control.settings.max_body)
        request_headers = _headers(scope)
        # Who is calling, before the request can change it (a deleted credential, a revoked token).
        who = caller(self.control.backend, scope, request_headers, body)
        return (lambda answer: self._record(scope, at, started, who, request_headers, body, answer)), receive

    def _record(self, scope: Scope, at: float, started: float, who: tuple[str | None, str | None],
                request_headers: dict[str, str], body: bytes, answer: Answer) -> None:
        tenant_id, client_id = who
        host = request_headers.get("host") or "{}:{}".format(*(scope.get("server") or ("localhost", 80)))
        self.control.journal.record(
            time=at,
            request_id=answer.header(b"x-request-id") or request_headers.get("x-request-id"),
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            host=host,
            tenant_id=tenant_id,
            client_id=client_id,
            status=answer.status if answer.complete else None,
            # A reproducible run (--id-seed) records no wall-clock duration: the cassette must not vary.
            duration_ms=0.0 if self.control.run else round((time.perf_counter() - started) * 1000, 3),
            request_raw_headers=scope["headers"],
            request_raw=body,
            request_type=request_headers.get("content-type", ""),
            response_raw_headers=answer.headers,
            response_raw=answer.body,
            response_type=answer.header(b"content-type") or "",
            fault=scope.get("state", {}).get(FAULT_KEY),
        )
