"""A thread-safe token-bucket rate limiter (seed section 1.4): ``RateLimiter(rate=10, per=1.0).wait()``."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Allows ``rate`` acquisitions per ``per`` seconds on average, with bursts up to ``burst``."""

    def __init__(self, rate: float, per: float = 1.0, burst: int = 1, *,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0 or per <= 0 or burst < 1:
            raise ValueError("rate and per must be > 0 and burst >= 1")
        self.rate_per_s = rate / per
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._updated = clock()

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate_per_s)
        self._updated = now

    def try_acquire(self) -> bool:
        """Take a token if one is available now; never blocks."""
        with self._lock:
            self._refill(self._clock())
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False

    def wait(self) -> float:
        """Block until a token is ours; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            # Reserve the token now (the balance may go negative) so waiting threads queue fairly
            # and each sleeps exactly until its own slot, outside the lock.
            self._tokens -= 1
            delay = 0.0 if self._tokens >= 0 else -self._tokens / self.rate_per_s
        if delay > 0:
            self._sleep(delay)
        return delay

    def __enter__(self) -> "RateLimiter":
        self.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        return None
