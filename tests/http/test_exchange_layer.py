"""The exchange layer holds only what its records need of an answer: a long answer nobody records streams through."""

from __future__ import annotations

import asyncio
import logging
import tracemalloc

from mockserver.http.exchange import ExchangeMiddleware

CHUNK, CHUNKS = 1 << 20, 48  # a 48 MiB answer, as a cassette export streams it


def _streaming_app(status: int):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
        for n in range(CHUNKS):
            await send({"type": "http.response.body", "body": bytes(CHUNK), "more_body": n < CHUNKS - 1})
    return app


def _peak_bytes(app) -> tuple[int, list[dict]]:
    scope = {"type": "http", "http_version": "1.1", "method": "GET", "path": "/__mock/requests", "query_string": b"",
             "headers": [], "client": ("127.0.0.1", 1), "state": {}}
    starts = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):  # a client that reads and drops every part
        if message["type"] == "http.response.start":
            starts.append(message)

    tracemalloc.start()
    try:
        asyncio.run(app(scope, receive, send))
        return tracemalloc.get_traced_memory()[1], starts
    finally:
        tracemalloc.stop()


def test_a_long_answer_that_nothing_records_is_streamed_not_held(caplog):
    caplog.set_level(logging.INFO, logger="streamkap_mock.access")
    peak, starts = _peak_bytes(ExchangeMiddleware(_streaming_app(200)))  # no journal: as /__mock paths are
    assert peak < 8 * CHUNK, f"{peak / CHUNK:.0f} MiB held for a {CHUNKS} MiB answer"
    assert (b"x-request-id" in dict(starts[0]["headers"])) and caplog.records[-1].exchange.status == 200


def test_a_long_error_answer_keeps_no_more_than_the_access_line_needs(caplog):
    caplog.set_level(logging.INFO, logger="streamkap_mock.access")
    peak, _ = _peak_bytes(ExchangeMiddleware(_streaming_app(500)))
    assert peak < 8 * CHUNK, f"{peak / CHUNK:.0f} MiB held for a {CHUNKS} MiB answer"
    assert caplog.records[-1].exchange.status == 500 and caplog.records[-1].exchange.detail is None
