"""The outermost layer of every HTTP request: its ``X-Request-Id``, and its answer captured once.

Two records are kept of a request: a line in the access log and, with the control
plane on, an entry in its journal. Both need the same facts (the request id, the
status, the body sent back), so one layer takes them as the answer passes and hands
them over when the request is done; each record's rules stay in its own module
(``http.access_log``, ``control.middleware``).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.domain import ids
from mockserver.http import access_log
from mockserver.http.middleware import header


@dataclass
class Answer:
    """What the app sent back: ``status`` None until it started, ``complete`` once the last body part went."""

    status: int | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)  # the body parts kept (see ExchangeMiddleware)
    kept: int = 0  # their bytes
    complete: bool = False

    def header(self, name: bytes) -> str | None:
        value = header(self.headers, name)
        return None if value is None else value.decode("latin-1")

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


class Recorder(Protocol):
    """A record kept of some requests (the journal): what it takes before the app runs, and after."""

    def records(self, scope: Scope) -> bool: ...

    async def begin(self, scope: Scope, receive: Receive) -> tuple[Callable[[Answer], None], Receive]:
        """Take what is needed before the app runs; returns the call that records the answer, and the
        ``receive`` the app reads the request from (the body may have been read already)."""
        ...


# Random hex with its ten digits spelt as letters: 128 random bits and never a digit.
_NO_DIGITS = str.maketrans("0123456789", "ghijklmnop")
# A client's own request id is kept when it is this plain (it reaches logs and the journal).
_CLIENT_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,128}")


def new_request_id() -> str:
    """A request id with no digits at all.

    The 3.x provider retries a failed write whenever its error text contains
    429, 502, 503 or 504, and that text includes X-Request-Id: random hex ids
    made 2-3 % of ordinary 4xx answers look retryable (a 10 s back-off each).
    """
    return ids.token_hex(16).translate(_NO_DIGITS)


def _request_id(scope: Scope) -> bytes:
    """The client's own ``X-Request-Id`` when it sent a plain one, else a new one."""
    incoming = header(scope["headers"], b"x-request-id")
    return incoming if incoming is not None and _CLIENT_REQUEST_ID.fullmatch(incoming) else new_request_id().encode()


class ExchangeMiddleware:
    """Every answer carries an ``X-Request-Id``; every request is logged, and journaled when ``recorder`` takes it."""

    def __init__(self, app: ASGIApp, recorder: Recorder | None = None) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, clock = time.time(), time.perf_counter()
        request_id = _request_id(scope)
        record: Callable[[Answer], None] | None = None
        if self.recorder is not None and self.recorder.records(scope):
            record, receive = await self.recorder.begin(scope, receive)
        answer = Answer()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = answer.headers = [*message.get("headers", []), (b"x-request-id", request_id)]
                answer.status = message["status"]
            elif message["type"] == "http.response.body":
                # The journal keeps the whole answer, the access line an error's small body: a long
                # answer neither records (a streamed cassette export) is passed on, never held.
                if record is not None or ((answer.status or 0) >= 400 and answer.kept < access_log.MAX_ERROR_BODY):
                    answer.chunks.append(chunk := message.get("body", b""))
                    answer.kept += len(chunk)
                answer.complete = not message.get("more_body", False)
            await send(message)

        failure = None
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Starlette's outermost error handler turns it into a 500 after we are gone.
            failure = f"unhandled {type(exc).__name__}"
            raise
        finally:
            if record is not None:
                record(answer)
            access_log.log(scope, answer.status, request_id, answer.body if (answer.status or 500) >= 400 else b"",
                           failure, started, clock)
