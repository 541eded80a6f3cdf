"""JSON in and out, fast: orjson, with the standard library for what orjson cannot hold exactly."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

# orjson (several times faster than json) cannot hold integers beyond 64 bits, which a
# request may carry: those records go through the standard library, exactly.
_LONG_NUMBER = re.compile(rb"\d{20,}")


def dumps(data: Any) -> bytes:
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def loads(raw: bytes) -> Any:
    return json.loads(raw) if _LONG_NUMBER.search(raw) else orjson.loads(raw)
