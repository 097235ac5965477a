"""Per-client token bucket for POST /configure (contract section 5)."""
from __future__ import annotations

import math
import threading
import time


class TokenBucket:
    """Token buckets keyed by client; ``take`` answers 0 when allowed, else seconds to wait."""

    def __init__(self, capacity: int, refill_per_s: float):
        self.capacity = float(capacity)
        self.refill_per_s = refill_per_s
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> int:
        """Consume one token for ``client``; return 0 if granted, else whole seconds until one is."""
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - stamp) * self.refill_per_s)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                return 0
            self._buckets[client] = (tokens, now)
            if self.refill_per_s <= 0:
                return 60
            return max(1, math.ceil((1.0 - tokens) / self.refill_per_s))
