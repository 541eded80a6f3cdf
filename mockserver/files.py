"""Reading a file a user points the server at (a seed, a snapshot): a regular file only, of a bounded size.

A device (``/dev/zero``), a FIFO or a directory would hang or fill memory before any check ran.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def read_regular(path: Path, limit: int | None = None) -> bytes:
    """The bytes of ``path``; OSError (with a reason) if it is not a regular file or holds more than ``limit`` bytes."""
    # O_NONBLOCK: opening a FIFO for reading would wait for a writer; a regular file ignores it.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        data = handle.read() if limit is None else handle.read(limit + 1)  # a file still growing stops here too
    if limit is not None and len(data) > limit:
        raise OSError(f"larger than {limit} bytes")
    return data
