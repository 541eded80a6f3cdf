"""JSON in and out, fast: orjson, with the standard library for what orjson cannot hold exactly.

orjson refuses integers beyond 64 bits (and reads them back as floats), and a request
may carry one. ``dumps`` then falls back to the standard library and starts its output
with a space, which JSON ignores; ``loads`` sees that mark (alone, or after a key in a
document assembled from such pieces) and parses exactly.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import orjson


def dumps(data: Any) -> bytes:
    try:
        return orjson.dumps(data)
    except TypeError:
        return b" " + json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def loads(raw: bytes) -> Any:
    # orjson never writes '": ' outside a string; inside one it can only follow a backslash,
    # and then the slower exact parse is merely unneeded.
    if raw.startswith(b" ") or b'": ' in raw:
        return json.loads(raw)
    return orjson.loads(raw)


def deep_copy(data: Any) -> Any:
    """A deep copy of plain JSON data, several times faster than ``copy.deepcopy``."""
    try:
        return orjson.loads(orjson.dumps(data))
    except TypeError:
        return copy.deepcopy(data)
