"""Every random value the mock hands out: entity ids, request ids, client ids, secrets, tokens.

They come from the OS, unless the server runs with ``--id-seed N``: then each
request runs inside ``reproducible(source)`` and they come from one generator
seeded with N, so the same sequence of requests gets the same values (and a
cassette of it is the same, byte for byte).
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
from typing import Callable, Iterator


class Source:
    """A seeded generator of random bytes, and the clock whose seconds start ObjectIds."""

    def __init__(self, seed: int, clock: Callable[[], float]) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.clock = clock
        self.counter = int.from_bytes(self.bytes(3), "big")

    def bytes(self, n: int) -> bytes:
        with self._lock:
            return self._random.randbytes(n)

    def next_counter(self) -> int:
        with self._lock:
            self.counter = (self.counter + 1) % 0x1000000
            return self.counter


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
    return f"{int(source.clock()):08x}{source.bytes(5).hex()}{counter:06x}"
