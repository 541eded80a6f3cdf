"""Every random value the mock hands out: entity ids, request ids, client ids, secrets, tokens.

They come from the OS, unless the server runs with ``--id-seed N``: then each
request runs inside ``reproducible(source)`` and they come from one generator
seeded with N, and "now" from a clock that starts at a fixed instant and moves
one millisecond per request, so the same sequence of requests gets the same
values (and a cassette of it is the same, byte for byte).
"""

from __future__ import annotations

import base64
import contextlib
import os
import random
import threading
import time
import uuid
from contextvars import ContextVar
from typing import Iterator


# Where a reproducible run's clock starts: 2026-01-01T00:00:00Z.
FIXED_START = 1_767_225_600.0


class Source:
    """A reproducible run: random bytes from one generator seeded with ``seed``, and a
    clock that starts at FIXED_START and moves one millisecond per request (``tick``).
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self.restart()

    def restart(self) -> None:
        """Back to the start of the run: the same values come again, in the same order."""
        with self._lock:
            self._random = random.Random(self.seed)
            self._now = FIXED_START
            self._counter = int.from_bytes(self._random.randbytes(3), "big")

    def now(self) -> float:
        return self._now

    def tick(self) -> None:
        with self._lock:
            self._now = round(self._now + 0.001, 3)

    def bytes(self, n: int) -> bytes:
        with self._lock:
            return self._random.randbytes(n)

    def next_counter(self) -> int:
        with self._lock:
            self._counter = (self._counter + 1) % 0x1000000
            return self._counter


_source: ContextVar[Source | None] = ContextVar("id_source", default=None)
_counter = int.from_bytes(os.urandom(3), "big")


@contextlib.contextmanager
def reproducible(source: Source | None) -> Iterator[None]:
    """Within the block, random values come from ``source`` (from the OS when it is None)."""
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)


def token_bytes(n: int) -> bytes:
    source = _source.get()
    return source.bytes(n) if source is not None else os.urandom(n)


def token_hex(n: int) -> str:
    return token_bytes(n).hex()


def secret() -> str:
    """A URL-safe secret or token of 256 bits."""
    return base64.urlsafe_b64encode(token_bytes(32)).rstrip(b"=").decode()


def new_uuid() -> str:
    return str(uuid.UUID(bytes=token_bytes(16), version=4))


def object_id() -> str:
    """A 24-hex MongoDB-style ObjectId: 4 bytes of seconds, 5 random, a 3-byte counter."""
    global _counter
    source = _source.get()
    if source is None:
        _counter = (_counter + 1) % 0x1000000
        return f"{int(time.time()):08x}{os.urandom(5).hex()}{_counter:06x}"
    counter = source.next_counter()
    return f"{int(source.now()):08x}{source.bytes(5).hex()}{counter:06x}"
