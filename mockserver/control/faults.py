"""Fault rules: answer chosen requests with an error, a delay or a dropped connection, before any effect.

Presets are the errors the Terraform provider (3.x, ``internal/api/retry.go``)
treats as transient and retries on create, update and delete. The provider's
error text is the ``detail`` string (or, for a non-JSON body, a line with the
HTTP status), lower-cased and searched for these patterns.
"""

from __future__ import annotations

import asyncio
import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import re2

from mockserver.domain import ids
from mockserver.errors import BadRequest, NotFound

# The substrings the provider's IsRetryableError looks for (retry.go, branch develop).
PROVIDER_RETRY_PATTERNS = (
    "kafkaconnecttimeout", "request timed out", "timed out on all nodes", "sockettimeoutexception",
    "429", "too many requests", "502", "503", "504", "bad gateway", "service unavailable", "gateway timeout",
    "connection refused", "connection reset", "no such host", "network unreachable", "i/o timeout",
    "rebalance_in_progress", "rebalance is expected", "leader_not_available", "not_leader_for_partition",
    "kafka connect api call failed with status code 404", "kafka connect api call failed with status code 409",
)


def _kc(status: int, message: str) -> str:
    """The backend's text for a failed Kafka Connect call, as the provider's comments quote it."""
    return f'Kafka Connect API call failed with status code {status} and response {{"error_code":{status},' \
           f'"message":"{message}"}}'


@dataclass(frozen=True)
class Preset:
    name: str
    status: int
    detail: str
    description: str
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    @property
    def retryable(self) -> bool:
        """Whether the 3.x provider retries on it (the drop closes the connection: Go reports an EOF)."""
        text = self.detail.lower()
        return not self.drop and any(pattern in text for pattern in PROVIDER_RETRY_PATTERNS)

    def public(self) -> dict:
        return {"name": self.name, "status": self.status, "detail": self.detail, "headers": self.headers,
                "drop": self.drop, "retryable": self.retryable, "description": self.description}


PRESETS = {preset.name: preset for preset in (
    Preset("rate_limited", 429, "Too many requests", "Rate limited (HTTP 429)", {"Retry-After": "1"}),
    Preset("bad_gateway", 502, "Bad Gateway", "Gateway error in front of the API"),
    Preset("service_unavailable", 503, "Service Unavailable", "The API is unavailable"),
    Preset("gateway_timeout", 504, "Gateway Timeout", "The gateway gave up waiting for the API"),
    Preset("kafka_connect_timeout", 500, "KafkaConnectTimeout: Kafka Connect request timed out",
           "The backend's own Kafka Connect timeout"),
    Preset("kafka_connect_all_nodes", 500, "Kafka Connect request failed: timed out on all nodes",
           "The backend tried every Kafka Connect node"),
    Preset("socket_timeout", 500, "java.net.SocketTimeoutException: Read timed out",
           "A Java socket timeout inside the backend"),
    Preset("rebalance_in_progress", 500, _kc(409, "REBALANCE_IN_PROGRESS"),
           "Kafka Connect is rebalancing its workers"),
    Preset("rebalance_expected", 500,
           _kc(500, "Request cannot be completed because a rebalance is expected"),
           "Kafka Connect expects a rebalance"),
    Preset("leader_not_available", 500, _kc(500, "LEADER_NOT_AVAILABLE"), "A Kafka partition has no leader"),
    Preset("not_leader_for_partition", 500, _kc(500, "NOT_LEADER_FOR_PARTITION"), "A Kafka leader moved"),
    Preset("connector_not_deployed", 500, _kc(404, "Connector not found"),
           "Kafka Connect does not have the connector yet"),
    Preset("connector_conflict", 500, _kc(409, "Cannot complete request because of a conflicting operation"),
           "Concurrent connector updates in Kafka Connect"),
    Preset("kafka_connect_failure", 500,
           _kc(400, "Connector configuration is invalid and contains the following 1 error(s)"),
           "Kafka Connect refused the connector: a create that fails for good (not retried)"),
    Preset("connection_dropped", 0, "", "The connection closes before the body is sent", drop=True),
)}

_PARAM = re.compile(r"\{[^}/]+\}")


def _re2_options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # a bad pattern is the client's 400, not a line on the server's stderr
    return options


# Users' patterns run in RE2: time linear in the path, whatever the pattern (Python's
# backtracking engine took seconds, doubling per character, on "(a+)+$"). RE2's time is
# also linear in the pattern's program: 300 instructions (a path pattern needs < 150)
# search the longest path the server accepts (64 KiB) in about 50 ms.
_RE2 = _re2_options()
MAX_PROGRAM = 300
Pattern = re2._Regexp  # RE2's compiled pattern (the module exports no public name for it)


def path_pattern(template: str | None, regex: str | None, field: str = "path_regex") -> Pattern | None:
    """One pattern from a path template (``/sources/{id}``, matched whole) or a regex (searched)."""
    if template is not None and regex is not None:
        raise BadRequest("Give path or path_regex, not both")
    if template is not None:
        parts = _PARAM.split(template)
        return re2.compile("".join(re2.escape(p) + ("[^/]+" if i < len(parts) - 1 else "")
                                   for i, p in enumerate(parts)) + r"\z", options=_RE2)
    if regex is not None:
        try:
            pattern = re2.compile(regex, options=_RE2)
        except re2.error as exc:
            reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else exc
            raise BadRequest(f"{field} {regex!r} is not a regular expression RE2 accepts ({reason}); "
                             "RE2 has no backreferences or lookaround") from None
        if pattern.programsize > MAX_PROGRAM:
            raise BadRequest(f"{field} {regex!r} is too complex: {pattern.programsize} RE2 instructions, "
                             f"the limit is {MAX_PROGRAM}")
        return pattern
    return None


@dataclass(frozen=True)
class RequestFacts:
    """What a rule can match on."""

    method: str
    path: str
    body: bytes
    tenant_id: str | None
    client_id: str | None


@dataclass
class Rule:
    id: str
    method: str | None
    path: str | None
    path_regex: str | None
    tenant: str | None
    client_id: str | None
    body_contains: str | None
    status: int | None
    detail: str | None
    headers: dict[str, str]
    delay: float
    drop: bool
    times: int | None
    after: int
    probability: float | None
    seed: int | None
    preset: str | None
    matched: int = 0
    hits: int = 0

    def __post_init__(self) -> None:
        self._path = path_pattern(self.path, self.path_regex, "match.path_regex")
        # Unseeded, the draws still follow --id-seed when the server has one.
        self._random = random.Random(self.seed if self.seed is not None else ids.token_hex(8))
        # Requests waiting out this rule's delay: each one's loop and the event that ends its wait.
        self._held: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._removed = False

    async def hold(self) -> bool:
        """Wait out the delay; False if the rule was removed first (the wait then ends at once)."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        self._held.add(waiter)
        try:
            if not self._removed:
                await asyncio.wait_for(waiter[1].wait(), self.delay)
            return False
        except TimeoutError:
            return True
        finally:
            self._held.discard(waiter)

    def release(self) -> None:
        """End every wait on this rule's delay (it is being removed); from any thread."""
        self._removed = True
        for loop, event in list(self._held):
            loop.call_soon_threadsafe(event.set)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, request: RequestFacts) -> bool:
        return ((self.method is None or self.method == request.method)
                and (self._path is None or self._path.search(request.path) is not None)
                and (self.tenant is None or self.tenant == request.tenant_id)
                and (self.client_id is None or self.client_id == request.client_id)
                and (self.body_contains is None or self.body_contains.encode() in request.body))

    def fires(self) -> bool:
        """Called on a match: counts it and says whether the fault applies to this request."""
        self.matched += 1
        if self.exhausted or self.matched <= self.after:
            return False
        if self.probability is not None and self._random.random() >= self.probability:
            return False
        self.hits += 1
        return True

    def public(self) -> dict:
        return {
            "id": self.id, "preset": self.preset,
            "match": {"method": self.method, "path": self.path, "path_regex": self.path_regex,
                      "tenant": self.tenant, "client_id": self.client_id, "body_contains": self.body_contains},
            "respond": {"status": self.status, "detail": self.detail, "headers": self.headers,
                        "delay": self.delay, "drop": self.drop},
            "times": self.times, "after": self.after, "probability": self.probability, "seed": self.seed,
            "matched": self.matched, "hits": self.hits, "active": not self.exhausted,
        }


class FaultBook:
    """The rules, in the order they were added; the first that fires answers the request."""

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}
        self._lock = threading.Lock()

    def add(self, *, match: dict[str, Any], respond: dict[str, Any], preset: str | None = None,
            times: int | None = None, after: int = 0, probability: float | None = None,
            seed: int | None = None) -> Rule:
        base: dict[str, Any] = {}
        if preset is not None:
            if preset not in PRESETS:
                raise BadRequest(f"Unknown preset '{preset}': expected one of {', '.join(PRESETS)}")
            chosen = PRESETS[preset]
            base = {"status": chosen.status or None, "detail": chosen.detail or None,
                    "headers": dict(chosen.headers), "drop": chosen.drop}
        given = {key: value for key, value in respond.items() if value is not None}
        answer = {"status": None, "detail": None, "headers": {}, "delay": 0.0, "drop": False, **base, **given}
        if answer["status"] is None and not answer["drop"] and not answer["delay"]:
            raise BadRequest("A fault needs a respond.status, a respond.delay, respond.drop or a preset")
        rule = Rule(id=ids.token_hex(6), preset=preset, times=times, after=after,
                    probability=probability, seed=seed, **match, **answer)
        with self._lock:
            self._rules[rule.id] = rule
        return rule

    def pick(self, request: RequestFacts) -> Rule | None:
        with self._lock:
            for rule in self._rules.values():
                if rule.matches(request) and rule.fires():
                    return rule
        return None

    def __bool__(self) -> bool:
        """Whether any rule is set: asked on every request, so no lock (a dict's length is read whole)."""
        return bool(self._rules)

    def all(self) -> list[Rule]:
        with self._lock:
            return list(self._rules.values())

    def remove(self, rule_id: str) -> Rule:
        with self._lock:
            rule = self._rules.pop(rule_id, None)
        if rule is None:
            raise NotFound(f"No fault rule with id '{rule_id}'")
        rule.release()
        return rule

    def clear(self) -> int:
        """Remove every rule (a reset calls this): requests held by their delays go on at once."""
        with self._lock:
            rules = list(self._rules.values())
            self._rules.clear()
        for rule in rules:
            rule.release()
        return len(rules)
