"""ASGI middleware around every route: the body size limit, and no answer before a write is durable."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.errors import PayloadTooLarge, StorageFailed
from mockserver.http.errors import render
from mockserver.store import Repository


def header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The first value of a header in an ASGI header list (a request's or an answer's: names in lower case)."""
    return next((value for key, value in headers if key == name), None)


def announces_body(scope: Scope) -> bool:
    """Whether a request may have a body: in HTTP/1.x, only with ``Content-Length`` or ``Transfer-Encoding``
    (HTTP/2 frames a body without either)."""
    return scope.get("http_version") not in ("1.0", "1.1") or any(
        key in (b"content-length", b"transfer-encoding") for key, _ in scope["headers"])


def declared_too_large(scope: Scope, max_body: int) -> bool:
    """Whether the request's ``Content-Length`` announces a body over ``max_body`` bytes."""
    length = header(scope["headers"], b"content-length")
    return length is not None and length.isdigit() and int(length) > max_body


class BodyLimit:
    """Refuse a body over ``max_body`` bytes with 413, before reading it (or as soon as it passes the limit).

    A middleware inside it that reads the body (faults) meets the limit outside the
    routes' error handlers: its 413 is rendered here.
    """

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"Request body is larger than the limit of {self.max_body} bytes "
                               "(--max-body / STREAMKAP_MOCK_MAX_BODY)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not announces_body(scope):
            await self.app(scope, receive, send)
            return
        if declared_too_large(scope, self.max_body):
            await render(self._too_large())(scope, receive, send)
            return
        received, started = 0, False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise self._too_large()  # inside the route: rendered by the error handlers
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except PayloadTooLarge as exc:
            if started:
                raise
            await render(exc)(scope, receive, send)


class DurableWrites:
    """Hold a response until the journal line of the request's write is fsync'd.

    Concurrent requests share the fsync (see ``Repository.durable``); if it fails the
    write was undone, and the client gets 507/503 in place of the success it would have seen.
    """

    def __init__(self, app: ASGIApp, repo: Repository) -> None:
        self.app = app
        self.repo = repo

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        Repository.set_ticket(0)
        failed = False

        async def send_when_durable(message: Message) -> None:
            nonlocal failed
            if failed:
                return
            if message["type"] == "http.response.start" and (ticket := Repository.ticket()):
                try:
                    await self.repo.durable(ticket)
                except StorageFailed as exc:
                    failed = True
                    await render(exc)(scope, receive, send)
                    return
            await send(message)

        await self.app(scope, receive, send_when_durable)
