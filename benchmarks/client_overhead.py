"""Client overhead: 1,000 ``GET /ack`` through ``FocusClient`` against a raw ``requests.Session``.

Target: the client (rate-limit hook, safe-retry wrapper, recording with redaction) is at most 10 %
slower. Runs against the sandbox stack: an already running one (FOCUS_SANDBOX_HOME / .sandbox) or,
with ``--start``, a private one started and stopped by this script.
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from focus_support.clients import FocusClient  # noqa: E402
from focus_support.config import load_environment  # noqa: E402
from focus_support.exchanges import Recorder  # noqa: E402

TARGET = 0.10


def measure(base_url: str, n: int, rounds: int) -> tuple[float, float]:
    """Median seconds per ``n`` requests: (raw session, FocusClient).

    The two are interleaved request by request (alternating which goes first), so load from
    anything else on the machine hits both alike instead of skewing one block of requests.
    """
    raw = requests.Session()
    recorder = Recorder()
    client = FocusClient(base_url, recorder=recorder)
    url = base_url.rstrip("/") + "/ack"

    def raw_ack() -> None:
        assert raw.get(url, timeout=10).status_code == 200

    def client_ack() -> None:
        assert client.ack().status_code == 200

    for _ in range(50):  # warm both connection pools
        raw_ack(), client_ack()
    raw_times, client_times = [], []
    clock = time.perf_counter
    for _ in range(rounds):
        spent = {raw_ack: 0.0, client_ack: 0.0}
        for i in range(n):
            for call in ((raw_ack, client_ack) if i % 2 else (client_ack, raw_ack)):
                started = clock()
                call()
                spent[call] += clock() - started
        raw_times.append(spent[raw_ack])
        client_times.append(spent[client_ack])
        recorder.reset()  # a scenario's list is reset between scenarios too
    raw.close()
    client.close()
    return statistics.median(raw_times), statistics.median(client_times)


@contextlib.contextmanager
def stack(start: bool):
    """The Focus Server base URL of a running or freshly started sandbox."""
    if not start:
        yield load_environment("local").focus_server.url
        return
    from focus_sandbox.stack import running_stack

    with tempfile.TemporaryDirectory(prefix="focus-bench-") as home:
        with running_stack(home=home, logs_dir=Path(home) / "logs") as runtime:
            yield runtime.focus_server_url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--start", action="store_true", help="start a private sandbox for the measurement")
    args = parser.parse_args()
    with stack(args.start) as base_url:
        raw_s, client_s = measure(base_url, args.requests, args.rounds)
    overhead = client_s / raw_s - 1
    print(f"GET /ack x {args.requests} (median of {args.rounds} rounds)")
    print(f"  raw requests.Session : {raw_s:.3f} s  ({raw_s / args.requests * 1e3:.3f} ms/request)")
    print(f"  FocusClient          : {client_s:.3f} s  ({client_s / args.requests * 1e3:.3f} ms/request)")
    print(f"  overhead             : {overhead * 100:+.1f} %  (target <= {TARGET * 100:.0f} %) "
          f"{'OK' if overhead <= TARGET else 'ABOVE TARGET'}")
    return 0 if overhead <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
