"""The machine's sandbox lock: one stack at a time on a small machine.

It is the lock ``flock /tmp/focus-sandbox.lock <command>`` takes, so long series (a flake campaign,
a mutation session) can hold it per run or per batch and let other runs in between.
"""
from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

DEFAULT_LOCK = "/tmp/focus-sandbox.lock"


@contextmanager
def holding(path: str | Path | None) -> Iterator[None]:
    """Hold the lock at ``path`` for the block (no lock at all when ``path`` is empty)."""
    if not path:
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
