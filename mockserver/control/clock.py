"""The virtual clock: real time plus an offset that only the control plane moves.

The backend reads every "now" from one clock callable (status delays, delete
grace, token expiry, transform jobs), so moving this clock moves all of them.
"""

from __future__ import annotations

import threading
import time
from typing import Callable


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

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds``; returns the new now."""
        with self._lock:
            self._offset += seconds
        return self()

    def rewind(self) -> None:
        """Back to real time (a full reset)."""
        with self._lock:
            self._offset = 0.0
