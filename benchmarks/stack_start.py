"""Print start-to-ready timings of the sandbox stack, per component, over a few runs.

    .venv/bin/python -m benchmarks.stack_start [--runs 3]

Each run starts the stack in a private temporary home (so it never meets a developer's stack), reads
the daemon's ``startup-timings.json`` (seconds from daemon start to each component ready), then
stops it and times the stop. Target: stack ready within 8 s on a 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from focus_sandbox.stack import start_stack, stop_stack

TARGET_S = 8.0


def one_run(home: Path) -> dict[str, float]:
    """Start and stop one stack; return its timings in seconds."""
    began = time.monotonic()
    runtime = start_stack("spec", [], home, logs_dir=home / "logs")
    try:
        up_s = time.monotonic() - began
        timings = json.loads((Path(runtime.run_dir) / "startup-timings.json").read_text())
    finally:
        stopping = time.monotonic()
        stop_stack(home)
    return {**timings, "daemon: ready": runtime.started_in_s, "up (caller)": round(up_s, 2),
            "down (caller)": round(time.monotonic() - stopping, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for index in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="stack-bench-") as home:
            runs.append(one_run(Path(home)))
        print(f"run {index + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in runs[-1].items()), flush=True)
    print(f"\n{'step (s after daemon start)':<28} {'min':>6} {'median':>7} {'max':>6}")
    for key in runs[0]:
        values = [run[key] for run in runs if key in run]
        print(f"{key:<28} {min(values):>6.2f} {statistics.median(values):>7.2f} {max(values):>6.2f}")
    worst = max(run["up (caller)"] for run in runs)
    verdict = "within" if worst <= TARGET_S else "OVER"
    print(f"\nslowest up: {worst:.2f} s ({verdict} the {TARGET_S:.0f} s target); load average now "
          f"{Path('/proc/loadavg').read_text().split()[0]}")


if __name__ == "__main__":
    main()
