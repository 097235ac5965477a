"""RateLimiter accuracy: achieved rate at 20 req/s over 10 s with 4 threads (target within ±5 %)."""
from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from focus_support.rate_limiter import RateLimiter  # noqa: E402

TOLERANCE = 0.05


def run(rate: float, duration_s: float, threads: int) -> tuple[int, float, list[int]]:
    """Acquire from ``threads`` threads until ``duration_s`` passed; returns (count, elapsed, per thread)."""
    limiter = RateLimiter(rate=rate, per=1.0)
    counts = [0] * threads
    started = time.monotonic()
    deadline = started + duration_s

    def worker(index: int) -> None:
        while True:
            limiter.wait()
            if time.monotonic() > deadline:
                return
            counts[index] += 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(counts), duration_s, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    total, elapsed, counts = run(args.rate, args.seconds, args.threads)
    achieved = total / elapsed
    error = achieved / args.rate - 1
    print(f"RateLimiter(rate={args.rate:g}, per=1.0), {args.threads} threads, {args.seconds:g} s")
    print(f"  acquisitions : {total} ({', '.join(map(str, counts))} per thread)")
    print(f"  achieved     : {achieved:.2f} req/s  ({error * 100:+.2f} % vs target, tolerance ±{TOLERANCE * 100:.0f} %) "
          f"{'OK' if abs(error) <= TOLERANCE else 'OUT OF TOLERANCE'}")
    return 0 if abs(error) <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
