"""One log line per request: when, which request, who, what, how it ended, and why when it failed.

``log`` makes an ``Exchange`` of each finished HTTP request (``http.exchange``
captures it) and hands it to the ``streamkap_mock.access`` logger; the two
formatters render it as text or as one JSON object per line. The route layer
names the authenticated caller by setting ``request.state.principal`` (see
``http.common.authenticate``).
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass

from starlette.types import Scope

from mockserver.domain.records import iso_now

logger = logging.getLogger("streamkap_mock.access")
# Silent until `serve` configures logging (tests, an embedding app): no stray
# lines from logging's last-resort handler.
logger.addHandler(logging.NullHandler())

# Error bodies are small JSON objects; a larger one is not ours and is not kept.
MAX_ERROR_BODY = 64 * 1024
HEALTH_PATH = "/__mock/health"
_MAX_DETAIL = 500


@dataclass
class Exchange:
    time: str
    request_id: str | None
    remote: str | None
    client_id: str | None
    method: str
    path: str
    status: int | None
    duration_ms: float
    detail: str | None


# What a field of a text log line may hold as it is: visible ASCII, no quote or backslash.
_PLAIN = re.compile(r'[!#-\[\]-~]+')


def quoted(value: str) -> str:
    """A client-supplied value for a text log line: as it is when plain, else a JSON string (escaped),
    so that no value can end the line or pass for another field."""
    return value if _PLAIN.fullmatch(value) else json.dumps(value)


def _detail(body: bytes) -> str | None:
    """The ``detail`` of an error body, on one line and bounded."""
    if len(body) > MAX_ERROR_BODY:
        return None
    try:
        detail = json.loads(body)["detail"]
    except (ValueError, KeyError, TypeError):
        return None
    text = detail if isinstance(detail, str) else json.dumps(detail, separators=(",", ":"))
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def log(scope: Scope, status: int | None, request_id: bytes, error_body: bytes, failure: str | None,
        started: float, clock: float) -> None:
    """The line of a finished request; ``status`` None: no answer started; ``error_body``: the answer's, if >= 400."""
    status = status or (500 if failure else None)
    level = logging.INFO if status is not None and status < 400 else (
        logging.WARNING if status is not None and status < 500 else logging.ERROR)
    if level == logging.INFO and scope["path"] == HEALTH_PATH:
        level = logging.DEBUG  # a container's health probe every second would drown the log
    if not logger.isEnabledFor(level):  # a line the level drops is not built
        return
    # The routes' request.state is scope["state"]: the caller they authenticated is read here.
    principal = scope.get("state", {}).get("principal")
    client = scope.get("client")
    query = scope.get("query_string", b"").decode("latin-1")
    exchange = Exchange(
        time=iso_now(started),
        request_id=request_id.decode("latin-1"),
        remote=f"{client[0]}:{client[1]}" if client else None,
        client_id=getattr(principal, "client_id", None),
        method=scope["method"],
        path=scope["path"] + (f"?{query}" if query else ""),
        status=status,
        duration_ms=round((time.perf_counter() - clock) * 1000, 1),
        detail=failure or (_detail(error_body) if status is None or status >= 400 else None),
    )
    logger.log(level, "%s %s %s", scope["method"], scope["path"], status, extra={"exchange": exchange})


class TextFormatter(logging.Formatter):
    """``2026-01-01T00:00:00.000Z INFO req=<id> <remote> <client> METHOD /path STATUS 1.2ms detail="..."``."""

    def format(self, record: logging.LogRecord) -> str:
        exchange: Exchange | None = getattr(record, "exchange", None)
        if exchange is None:
            line = f"{iso_now(record.created)} {record.levelname} {record.getMessage()}"
            return line + (f"\n{self.formatException(record.exc_info)}" if record.exc_info else "")
        request_id, client_id = (quoted(value) if value else "-" for value in (exchange.request_id, exchange.client_id))
        line = (f"{exchange.time} {record.levelname} req={request_id} {exchange.remote or '-'} "
                f"{client_id} {quoted(exchange.method)} {quoted(exchange.path)} {exchange.status or '-'} "
                f"{exchange.duration_ms}ms")
        return line + (f" detail={json.dumps(exchange.detail, ensure_ascii=False)}" if exchange.detail else "")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: the exchange's fields, or ``time``, ``level``, ``message`` for other records."""

    def format(self, record: logging.LogRecord) -> str:
        exchange: Exchange | None = getattr(record, "exchange", None)
        if exchange is not None:
            fields = {"level": record.levelname, **vars(exchange)}  # flat: asdict's deep copy is not needed
        else:
            fields = {"time": iso_now(record.created), "level": record.levelname,
                      "logger": record.name, "message": record.getMessage()}
            if record.exc_info:
                fields["exception"] = self.formatException(record.exc_info)
        return json.dumps(fields, ensure_ascii=False)


def lighten_log_records() -> None:
    """Log records without the caller's source line, thread or process, which no formatter here shows.

    Finding them is most of what a record costs (the logging HOWTO's "Optimization"):
    with an access line per request at the default level, about 10 us a request.
    """
    logging._srcfile = None  # type: ignore[attr-defined]  # the HOWTO's documented switch
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False


def logging_config(log_format: str, level: str) -> dict:
    """A ``logging.config`` dict for uvicorn's loggers and the access log, all on stderr, in one format."""
    formatter = {"text": TextFormatter, "json": JsonFormatter}[log_format]
    handler = {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}
    logger_spec = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {"default": handler},
        # "streamkap_mock" holds the access log and the unhandled-error log.
        "loggers": {name: logger_spec for name in ("uvicorn", "uvicorn.error", "streamkap_mock")},
    }
