"""The virtual clock: real time plus an offset that only the control plane moves.

The backend reads every "now" from one clock callable (status delays, delete
grace, token expiry, transform jobs), so moving this clock moves all of them.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from mockserver.errors import Unprocessable

# How far ahead the clock may run in all: a century is more than any test needs, and every date the
# mock derives from it (delays and token expiry on top) stays far below year 9999, where dates end.
MAX_OFFSET = 100 * 365 * 24 * 3600


class VirtualClock:
    def __init__(self, base: Callable[[], float] = time.time) -> None:
        self._base = base
        self._offset = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self._base() + self._offset

    @property
    def offset(self) -> float:
        return self._offset

    def real(self) -> float:
        """Real time: what the clock reads once rewound."""
        return self._base()

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds``; returns the new now. Past ``MAX_OFFSET`` in all: 422, not moved."""
        with self._lock:
            if self._offset + seconds > MAX_OFFSET:
                raise Unprocessable([{
                    "loc": ["body", "seconds"], "type": "less_than_equal",
                    "msg": f"The clock runs at most {MAX_OFFSET} seconds (a century) ahead of real time; "
                           f"it is {self._offset:g} seconds ahead now (a reset rewinds it)"}])
            self._offset += seconds
        return self()

    def rewind(self) -> None:
        """Back to real time (a full reset)."""
        with self._lock:
            self._offset = 0.0
