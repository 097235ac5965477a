"""Print what 60 live jobs cost the machine on the sandbox's spec profile (issue 17).

    flock /tmp/focus-sandbox.lock .venv/bin/python -m benchmarks.capacity_memory [--jobs 60]

Starts a private spec stack (its own temporary home, so it never meets a developer's stack),
configures the jobs on the stack's own Focus Server at the pace its rate limit allows (waiting as
each 429's Retry-After says) and watches each job's stream as soon as it is ready (a job nobody
watches idles out), then prints the memory of the job processes (streaming pod and janitor per job;
RSS, and PSS, which splits shared pages fairly), of the server and the stack daemon, the machine's
available memory before and with the jobs, and swap in use. Every watch is closed, every job
cancelled and the stack stopped on the way out. Target: 60 jobs carried with swap unchanged.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import psutil
import requests

from focus_sandbox import testing as t
from focus_sandbox.stack import running_stack
from focus_support.streaming import StreamWatch, stream_target

BODY = {"view_type": "0", "channels": {"min": 1, "max": 50}, "displayInfo": {"height": 768},
        "displayTimeAxisDuration": 30, "nfftSelection": 256, "frequencyRange": {"min": 0, "max": 500},
        "start_time": None, "end_time": None}
POD_KINDS = ("grpc_job", "janitor")
MB = 2 ** 20


def _kind(proc: psutil.Process) -> str | None:
    """Which sandbox process this is, by its command line."""
    try:
        cmd = " ".join(proc.cmdline())
    except psutil.Error:
        return None
    for kind in POD_KINDS:
        if f"focus_sandbox.pods.{kind}" in cmd:
            return kind
    if "focus_sandbox.server" in cmd:
        return "focus-server"
    if "focus_sandbox.stack.daemon" in cmd:
        return "daemon"
    return None


def memory_by_kind(root_pid: int) -> dict[str, list[tuple[float, float]]]:
    """(RSS, PSS) in MB of every process under the stack daemon, grouped by kind."""
    found: dict[str, list[tuple[float, float]]] = defaultdict(list)
    root = psutil.Process(root_pid)
    for proc in [root, *root.children(recursive=True)]:
        kind = _kind(proc) or "other (broker, database, sshd)"
        try:
            info = proc.memory_full_info()
            found[kind].append((info.rss / MB, info.pss / MB))
        except psutil.Error:
            pass  # exited between listing and reading
    return found


def total(values: list[tuple[float, float]], which: int) -> float:
    return sum(v[which] for v in values)


def start_watched_jobs(focus_url: str, count: int, start_timeout_s: float,
                       ids: list[str], watches: list[StreamWatch]) -> float:
    """Configure ``count`` jobs at the server's pace, each watched from the moment it is ready."""
    started = time.monotonic()
    for _ in range(count):
        resp = t.post_configure(focus_url, BODY, timeout_s=60)
        if resp.status_code != 200:
            raise SystemExit(f"configure {len(ids) + 1} answered {resp.status_code}: {resp.text[:200]}")
        body = resp.json()
        ids.append(body["job_id"])
        t.wait_for(lambda: requests.get(f"{focus_url}/metadata/{body['job_id']}", timeout=10).status_code == 200,
                   start_timeout_s, f"job {body['job_id']} ready", interval_s=0.05)
        watches.append(StreamWatch(stream_target(body["stream_url"], body["stream_port"])).open())
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=60)
    args = parser.parse_args()
    swap_before = psutil.swap_memory().used / MB
    available_before = psutil.virtual_memory().available / MB
    with tempfile.TemporaryDirectory(prefix="capacity-bench-") as tmp:
        with running_stack("spec", home=Path(tmp) / "home", logs_dir=Path(tmp) / "logs") as runtime:
            focus_url = runtime.focus_server_url
            idle = memory_by_kind(runtime.pid)
            ids: list[str] = []
            watches: list[StreamWatch] = []
            try:
                took = start_watched_jobs(focus_url, args.jobs, runtime.timings.job_start_timeout_s, ids, watches)
                live = sum(1 for w in watches if w.frames and w.ended is None)
                loaded = memory_by_kind(runtime.pid)
                available_loaded = psutil.virtual_memory().available / MB
                swap_loaded = psutil.swap_memory().used / MB
            finally:
                for watch in watches:
                    watch.close()
                for job_id in ids:
                    requests.delete(f"{focus_url}/job/{job_id}", timeout=10)
    pods = loaded["grpc_job"] + loaded["janitor"]
    print(f"jobs configured, ready, watched  {len(ids)} in {took:.1f} s (paced by the stack's rate limit); "
          f"{live} streaming at the measurement")
    for kind in ("grpc_job", "janitor"):
        values = loaded[kind]
        print(f"{kind + ' processes':<32} {len(values)}, RSS median {statistics.median(v[0] for v in values):.1f} MB, "
              f"total RSS {total(values, 0):.0f} MB, PSS {total(values, 1):.0f} MB")
    print(f"job processes, all               RSS {total(pods, 0):.0f} MB, PSS {total(pods, 1):.0f} MB "
          f"({total(pods, 1) / max(1, len(ids)):.1f} MB PSS per job)")
    for kind in ("focus-server", "daemon"):
        print(f"{kind:<32} RSS {total(idle[kind], 0):.0f} MB idle, {total(loaded[kind], 0):.0f} MB with the jobs")
    every = [v for values in loaded.values() for v in values]
    print(f"whole stack with the jobs        RSS {total(every, 0):.0f} MB, PSS {total(every, 1):.0f} MB "
          f"(idle PSS {total([v for values in idle.values() for v in values], 1):.0f} MB)")
    print(f"machine memory available         {available_before:.0f} MB before, {available_loaded:.0f} MB "
          f"with the jobs (of {psutil.virtual_memory().total / MB:.0f} MB)")
    print(f"swap used                        {swap_before:.0f} MB before, {swap_loaded:.0f} MB with the jobs")


if __name__ == "__main__":
    main()
