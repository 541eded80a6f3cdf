"""Comparing a recorded answer with a replayed one, after normalising what cannot match.

What never matches between two servers: the ids each assigns (learned as the
replay goes and mapped, so a wrong reference still shows), timestamps, tokens,
request ids, live measurements (message counts, lag), the order of set-like
lists (lists of plain values; lists of entities are paired by id, then by
name), and values the recorder redacted.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass
from typing import Any, Iterator

from mockserver.control.journal import MASK, Masker

REDACTED = ("[REDACTED]", MASK)  # the provider's recorder writes the first, the mock's journal the second
KINDS = ("status", "missing", "extra", "value", "type")
_ID_SHAPES = re.compile(r"[0-9a-f]{24}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_ID_KEY = re.compile(r"(^|_)ids?$|[a-z]Ids?$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
_TIME_KEY = re.compile(r"(_at|_time|time|timestamp|^created|^updated|^expires)$", re.IGNORECASE)
_TOKEN_KEY = re.compile(r"^(access_?token|refresh_?token|token|id_?token)$", re.IGNORECASE)
# Live measurements (the mock derives them from the id, a real server from traffic): compared by type.
_MEASUREMENT_KEY = re.compile(r"^(messages|bytes)_|^lag$|latency", re.IGNORECASE)
_REQUEST_ID_KEY = re.compile(r"^(x_)?request_?id$", re.IGNORECASE)
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MASKER = Masker()


@lru_cache(maxsize=4096)  # asked for every key of every answer: configs repeat their keys
def is_secret(key: str) -> bool:
    return MASKER.is_secret(key)


class IdMap:
    """Recorded id -> the id the target assigned in its place, learned from answers as the replay goes."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}
        self._taken: set[str] = set()
        self._pattern: re.Pattern | None = None

    def __len__(self) -> int:
        return len(self._ids)

    def get(self, recorded: str) -> str | None:
        return self._ids.get(recorded)

    def learn(self, recorded: Any, replayed: Any) -> None:
        if (not isinstance(recorded, str) or not isinstance(replayed, str) or recorded == replayed
                or recorded in self._ids or replayed in self._taken or recorded in REDACTED
                or len(recorded) < 6 or any(c.isspace() for c in recorded + replayed)):
            return
        self._ids[recorded] = replayed
        self._taken.add(replayed)
        self._pattern = None

    def apply(self, text: str) -> str:
        """``text`` with every recorded id (a whole token: not inside a longer word) replaced by its own."""
        if not self._ids or not text:
            return text
        if self._pattern is None:
            alternatives = "|".join(re.escape(i) for i in sorted(self._ids, key=len, reverse=True))
            self._pattern = re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])")
        return self._pattern.sub(lambda match: self._ids[match.group(0)], text)

    def apply_value(self, value: Any) -> Any:
        """A JSON value with the ids replaced in every string, keys included (a topic map is keyed by id)."""
        if isinstance(value, str):
            return self.apply(value)
        if isinstance(value, dict):
            return {self.apply(k): self.apply_value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.apply_value(v) for v in value]
        return value


@dataclass(frozen=True)
class Finding:
    kind: str  # one of KINDS
    field: str  # "$" is the whole body (or the status line)
    recorded: Any
    replayed: Any


def field_name(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if _PLAIN_KEY.match(key) else f"{parent}[{key!r}]"


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def _is_id(key: str | None, value: Any) -> bool:
    return isinstance(value, str) and ((key is not None and _ID_KEY.search(key) is not None)
                                       or _ID_SHAPES.fullmatch(value) is not None)


def learn_ids(recorded: Any, replayed: Any, ids: IdMap, key: str | None = None) -> None:
    """Pair the ids of two answers of the same shape (entities of a list by id or name, else by position)."""
    if recorded == replayed:  # nothing to learn where they agree (most of a config)
        return
    if isinstance(recorded, dict) and isinstance(replayed, dict):
        # An entity's own id first, so its other fields (a topic id built from it) map through it.
        for name in sorted(recorded.keys() & replayed.keys(), key=lambda k: k != "id"):
            learn_ids(recorded[name], replayed[name], ids, name)
    elif isinstance(recorded, list) and isinstance(replayed, list):
        for rec, rep in _pairs(recorded, replayed, ids):
            if rec is not None and rep is not None:
                learn_ids(recorded[rec], replayed[rep], ids, key)
    elif _is_id(key, recorded) and _is_id(key, replayed):
        ids.learn(recorded, replayed)


def _identity(item: Any, key: str, ids: IdMap) -> str | None:
    return ids.apply(str(item[key])) if isinstance(item, dict) and item.get(key) is not None else None


def _pairs(recorded: list, replayed: list, ids: IdMap) -> list[tuple[int | None, int | None]]:
    """Indexes of recorded and replayed list items that stand for the same thing (None: no counterpart)."""
    left, right = list(range(len(recorded))), list(range(len(replayed)))
    pairs: list[tuple[int | None, int | None]] = []
    for key in ("id", "client_id", "username", "name"):  # what names an entity, most certain first
        for i in list(left):
            if (wanted := _identity(recorded[i], key, ids)) is None:
                continue
            match = next((j for j in right if _identity(replayed[j], key, ids) == wanted), None)
            if match is not None:
                pairs.append((i, match))
                left.remove(i)
                right.remove(match)
    pairs += list(zip(left, right))
    pairs += [(i, None) for i in left[len(right):]] + [(None, j) for j in right[len(left):]]
    return sorted(pairs, key=lambda p: (p[0] is None, p[0] if p[0] is not None else p[1]))


def normal(key: str | None, value: Any) -> Any:
    """A plain value as compared: what cannot be the same on two servers becomes a placeholder of its kind."""
    if key is not None and isinstance(value, str) and _TOKEN_KEY.match(key):
        return "<token>"
    if key is not None and _REQUEST_ID_KEY.match(key):
        return "<request id>"
    if key is not None and isinstance(value, (int, float)) and _MEASUREMENT_KEY.search(key):
        return "<measurement>"
    if isinstance(value, str) and _TIMESTAMP.match(value):
        return "<timestamp>"
    if key is not None and isinstance(value, (int, float)) and not isinstance(value, bool) and _TIME_KEY.search(key):
        return "<timestamp>"
    return value


class Comparison:
    """Field-by-field differences of two JSON answers; ``ignore`` names fields (a key, or a path pattern)."""

    def __init__(self, ids: IdMap, ignore: tuple[str, ...] = (), shape_only: bool = False) -> None:
        self.ids = ids
        self.ignore = ignore
        # A path pattern's "*" stands for anything (an index, a key); the rest is literal.
        self._patterns = [re.compile(".*".join(map(re.escape, p.split("*")))) for p in ignore if p.startswith("$")]
        self.shape_only = shape_only  # a login's answer: only which fields, of which types

    def __call__(self, recorded: Any, replayed: Any) -> list[Finding]:
        learn_ids(recorded, replayed, self.ids)
        return list(self._walk(self.ids.apply_value(recorded), replayed, "$", None))

    def _ignored(self, key: str | None, where: str) -> bool:
        return key in self.ignore or any(pattern.fullmatch(where) for pattern in self._patterns)

    def _walk(self, recorded: Any, replayed: Any, where: str, key: str | None) -> Iterator[Finding]:
        if type(recorded) is type(replayed) and not isinstance(recorded, (dict, list)) and recorded == replayed:
            return  # equal plain values of one type: nothing to normalise (True == 1 is not such a pair)
        if self._ignored(key, where) or (isinstance(recorded, str) and recorded in REDACTED):
            return
        if json_type(recorded) != json_type(replayed):
            yield Finding("type", where, recorded, replayed)
        elif isinstance(recorded, dict):
            for name, value in recorded.items():
                if name not in replayed:
                    if not self._ignored(name, field_name(where, name)):
                        yield Finding("missing", field_name(where, name), value, None)
                elif not (is_secret(name) and json_type(value) == json_type(replayed[name])):
                    yield from self._walk(value, replayed[name], field_name(where, name), name)
            for name in replayed.keys() - recorded.keys():
                if not self._ignored(name, field_name(where, name)):
                    yield Finding("extra", field_name(where, name), None, replayed[name])
        elif isinstance(recorded, list):
            yield from self._list(recorded, replayed, where, key)
        elif not self.shape_only and normal(key, recorded) != normal(key, replayed):
            yield Finding("value", where, recorded, replayed)

    def _list(self, recorded: list, replayed: list, where: str, key: str | None) -> Iterator[Finding]:
        if all(not isinstance(v, (dict, list)) for v in recorded + replayed):
            # A list of plain values is a set here: tags, topics, ids; its order is the server's.
            if self.shape_only:
                return
            left = sorted(((json_type(v), normal(key, v)) for v in recorded), key=repr)
            right = sorted(((json_type(v), normal(key, v)) for v in replayed), key=repr)
            if left != right:
                same_types = sorted(t for t, _ in left) == sorted(t for t, _ in right)
                yield Finding("value" if same_types else "type", where, recorded, replayed)
            return
        for rec, rep in _pairs(recorded, replayed, self.ids):
            if rep is None:
                yield Finding("missing", field_name(where, rec), recorded[rec], None)
            elif rec is None:
                yield Finding("extra", field_name(where, rep), None, replayed[rep])
            else:
                yield from self._walk(recorded[rec], replayed[rep], field_name(where, rec), key)
