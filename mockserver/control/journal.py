"""The request journal: a bounded ring of the emulated API's requests and answers, secrets masked.

It also renders itself as a go-vcr v4 cassette (the format the provider's VCR
tests replay), so a run against the mock can be replayed without it.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from http import HTTPStatus
from typing import Any, Callable, Iterable, Iterator, NamedTuple

from mockserver.control.faults import Pattern
from mockserver.domain.records import iso_now
from mockserver.settings import DEFAULT_JOURNAL_BYTES

MASK = "********"
# Key fragments of secret values (normalised: lower case, "." and "-" as "_"), beside the
# plugins' own secret keys; the provider's cassette hook redacts the same kind of names.
SECRET_FRAGMENTS = ("password", "secret", "private_key", "passphrase", "access_token", "accesstoken",
                    "refresh_token", "refreshtoken", "api_key", "auth_token", "connection_string", "hmac")
# A body longer than this is kept as an excerpt of this many characters (masked first):
# 300 uploads of 250 KB held whole were 75 MB of a CI container's memory.
BODY_EXCERPT = 64 * 1024
ENTRY_OVERHEAD = 1024  # bytes an entry costs beside its texts (objects, dicts), counted against the byte cap
SECRET_HEADERS = {"authorization", "x-api-key", "cookie", "set-cookie"}
RawHeaders = list[tuple[bytes, bytes]]  # as ASGI carries them: lower-case names, latin-1 bytes


def _normal(key: str) -> str:
    return key.lower().replace(".", "_").replace("-", "_")


class Masker:
    """Masks what looks secret: a plugin's secret keys (asked for on first use) and names like "password"."""

    def __init__(self, secret_keys: Callable[[], Iterable[str]] = tuple) -> None:
        self._secret_keys = secret_keys

    @cached_property
    def _keys(self) -> set[str]:
        return {_normal(k) for k in self._secret_keys()}

    def is_secret(self, key: str) -> bool:
        key = _normal(key)
        return key in self._keys or any(fragment in key for fragment in SECRET_FRAGMENTS)

    def mask(self, value: Any) -> Any:
        if isinstance(value, dict):
            # A boolean under a secret-sounding key is a flag ("...passphrase.secured"), not a secret;
            # masking it would make the cassette unreplayable.
            return {k: (MASK if v is not None and not isinstance(v, bool) and self.is_secret(k) else self.mask(v))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self.mask(v) for v in value]
        return value

    def body(self, raw: bytes, content_type: str) -> Any:
        """A body as the journal shows it: JSON parsed and masked, other text as is."""
        if not raw:
            return None
        text = raw.decode("utf-8", errors="replace")
        if "json" in content_type or text.lstrip()[:1] in ("{", "["):
            try:
                return self.mask(json.loads(text))
            except ValueError:
                pass
        return text


class Entry(NamedTuple):  # a tuple: made on every request, ten times cheaper than a frozen dataclass
    seq: int
    time: float
    request_id: str | None
    method: str
    path: str
    query: str
    host: str
    tenant_id: str | None
    client_id: str | None
    status: int | None  # None: the connection was dropped
    duration_ms: float
    request_raw_headers: RawHeaders
    request_raw: bytes
    request_type: str
    response_raw_headers: RawHeaders
    response_raw: bytes
    response_type: str
    fault: str | None
    masker: Masker
    # The size of a body kept as an excerpt (None: kept whole).
    request_cut: int | None = None
    response_cut: int | None = None
    # Bytes the entry holds, near enough, for the journal's byte cap.
    size: int = 0

    # Headers and bodies are decoded and masked when the journal is read, not on every request it
    # records; not kept parsed either (a parsed body is several times its text: the byte cap would not hold).
    @property
    def request_headers(self) -> dict[str, str]:
        return _masked_headers(self.request_raw_headers)

    @property
    def response_headers(self) -> dict[str, str]:
        return _masked_headers(self.response_raw_headers)

    @property
    def request_body(self) -> Any:
        return self.masker.body(self.request_raw, self.request_type)

    @property
    def response_body(self) -> Any:
        return self.masker.body(self.response_raw, self.response_type)

    def public(self) -> dict:
        return {
            "seq": self.seq, "time": iso_now(self.time), "request_id": self.request_id, "method": self.method,
            "path": self.path, "query": self.query, "tenant_id": self.tenant_id, "client_id": self.client_id,
            "status": self.status, "duration_ms": self.duration_ms, "fault": self.fault,
            "request_headers": self.request_headers, "request_body": self.request_body,
            "request_body_truncated": self.request_cut is not None,
            "request_body_size": len(self.request_raw) if self.request_cut is None else self.request_cut,
            "response_headers": self.response_headers, "response_body": self.response_body,
            "response_body_truncated": self.response_cut is not None,
            "response_body_size": len(self.response_raw) if self.response_cut is None else self.response_cut,
        }


def _masked_headers(raw: RawHeaders) -> dict[str, str]:
    def masked(name: str, value: str) -> str:
        if name not in SECRET_HEADERS:
            return value
        scheme, _, rest = value.partition(" ")
        return f"{scheme} {MASK}" if rest else MASK

    headers = ((name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in raw)
    return {name: masked(name, value) for name, value in headers}


@dataclass(frozen=True)
class Filters:
    method: str | None = None
    path: Pattern | None = None
    status: int | None = None
    client_id: str | None = None
    tenant_id: str | None = None
    since: float | None = None

    def __call__(self, entry: Entry) -> bool:
        return ((self.method is None or entry.method == self.method)
                and (self.path is None or self.path.search(entry.path) is not None)
                and (self.status is None or entry.status == self.status)
                and (self.client_id is None or entry.client_id == self.client_id)
                and (self.tenant_id is None or entry.tenant_id == self.tenant_id)
                and (self.since is None or entry.time >= self.since))


class Journal:
    """The last ``size`` entries, fewer when they hold more than ``max_bytes`` (the oldest go first)."""

    def __init__(self, size: int, masker: Masker, max_bytes: int = DEFAULT_JOURNAL_BYTES) -> None:
        self.masker = masker
        self.size = size
        self.max_bytes = max_bytes
        self._entries: deque[Entry] = deque()
        self._bytes = 0
        self._seq = 0
        self._lock = threading.Lock()

    def record(self, **facts: Any) -> None:
        for part in ("request", "response"):
            raw = facts[f"{part}_raw"]
            if len(raw) > BODY_EXCERPT:  # masked before it is cut: a cut JSON body no longer parses
                excerpt = _text(self.masker.body(raw, facts[f"{part}_type"]))[:BODY_EXCERPT]
                facts[f"{part}_raw"], facts[f"{part}_type"] = excerpt.encode(), "text/plain"
                facts[f"{part}_cut"] = len(raw)
        facts["size"] = (ENTRY_OVERHEAD + len(facts["request_raw"]) + len(facts["response_raw"])
                         + len(facts["path"]) + len(facts["query"])
                         + sum(len(k) + len(v) for k, v in facts["request_raw_headers"])
                         + sum(len(k) + len(v) for k, v in facts["response_raw_headers"]))
        with self._lock:
            self._seq += 1
            entry = Entry(seq=self._seq, masker=self.masker, **facts)
            self._entries.append(entry)
            self._bytes += entry.size
            while len(self._entries) > self.size or (self._bytes > self.max_bytes and len(self._entries) > 1):
                self._bytes -= self._entries.popleft().size

    def select(self, filters: Filters = Filters()) -> list[Entry]:
        with self._lock:
            entries = list(self._entries)
        return [entry for entry in entries if filters(entry)]

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            self._bytes = 0
        return count


# ---- go-vcr v4 cassettes -----------------------------------------------------

def _header_lists(headers: dict[str, str]) -> dict[str, list[str]]:
    # Go's http.Header: canonical names, lists of values. Go keeps the host and the
    # length apart from the headers (and masking changed the length).
    return {"-".join(part.capitalize() for part in name.split("-")): [value]
            for name, value in headers.items() if name not in ("host", "content-length")}


def _text(body: Any) -> str:
    if body is None:
        return ""
    return body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))


def _interaction(number: int, entry: Entry) -> dict:
    url = f"http://{entry.host}{entry.path}" + (f"?{entry.query}" if entry.query else "")
    request_body, response_body = _text(entry.request_body), _text(entry.response_body)
    return {
        "id": number,
        "request": {
            "proto": "HTTP/1.1", "proto_major": 1, "proto_minor": 1,
            "content_length": len(request_body.encode()), "transfer_encoding": [], "trailer": {},
            "host": entry.host, "remote_addr": "", "request_uri": "", "body": request_body, "form": {},
            "headers": _header_lists(entry.request_headers), "url": url, "method": entry.method,
        },
        "response": {
            "proto": "HTTP/1.1", "proto_major": 1, "proto_minor": 1, "transfer_encoding": [],
            # A body kept as an excerpt says so by a content length beyond its own (the size answered).
            "trailer": {}, "content_length": entry.response_cut or len(response_body.encode()), "uncompressed": False,
            "body": response_body, "headers": _header_lists(entry.response_headers),
            "status": f"{entry.status} {reason(entry.status)}".strip(), "code": entry.status,
            "duration": _go_duration(entry.duration_ms),
        },
    }


def cassette(entries: list[Entry]) -> Iterator[str]:
    """The entries as a go-vcr v4 cassette (format version 2), in YAML, an interaction at a time.

    A whole journal is tens of megabytes of YAML: made piece by piece (the server
    streams it from a worker thread), it is never held whole, nor holds the event loop.
    """
    import yaml  # here, not at the top: only a cassette needs it, and importing it slows start-up

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's, when PyYAML has it: ~10x faster
    interactions = ((number, entry) for number, entry in enumerate(entries)
                    if entry.status is not None)  # a dropped connection has no response to replay
    first = next(interactions, None)
    if first is None:
        yield "version: 2\ninteractions: []\n"
        return
    yield "version: 2\ninteractions:\n"
    for number, entry in itertools.chain([first], interactions):
        # A one-item list dumps as the "- " item it is in the whole document.
        yield yaml.dump([_interaction(number, entry)], Dumper=dumper, sort_keys=False, allow_unicode=True)


def reason(status: int) -> str:
    """The reason phrase of a status code ("" for one HTTP does not name)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _go_duration(milliseconds: float) -> str:
    """A Go time.Duration's text (what go-vcr writes), e.g. ``12.345ms``."""
    micro = timedelta(milliseconds=milliseconds) // timedelta(microseconds=1)
    return f"{micro / 1000:g}ms" if micro else "0s"
