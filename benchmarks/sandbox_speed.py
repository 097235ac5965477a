"""Print speed and size figures of the sandbox Focus Server.

    python benchmarks/sandbox_speed.py            # starts a private spec stack, stops it after
    FOCUS_SANDBOX_RUNTIME=<runtime.json> python benchmarks/sandbox_speed.py   # use a running stack

Figures: /ack median latency, configure-to-ready time, RSS of a job's processes, and whether 50
jobs are alive at once (on an in-process server without rate limit, sharing the stack).
"""
from __future__ import annotations

import concurrent.futures as cf
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from focus_sandbox import testing as t  # noqa: E402
from focus_sandbox.settings import RateLimit  # noqa: E402

BODY = {"view_type": "0", "channels": {"min": 1, "max": 8}, "displayInfo": {"height": 768},
        "displayTimeAxisDuration": 30, "nfftSelection": 256, "frequencyRange": {"min": 0, "max": 500}}
CONCURRENT = 50


def ack_latency(url: str, n: int = 300) -> float:
    session = requests.Session()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        session.get(f"{url}/ack").raise_for_status()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def configure_ready(url: str, timeout_s: float) -> tuple[str, float]:
    started = time.perf_counter()
    resp = requests.post(f"{url}/configure", json=BODY, timeout=30)
    resp.raise_for_status()
    job_id = resp.json()["job_id"]
    t.wait_for(lambda: requests.get(f"{url}/metadata/{job_id}").status_code == 200, timeout_s,
               f"job {job_id} ready", interval_s=0.01)
    return job_id, time.perf_counter() - started


def job_rss_mb(job_id: str) -> dict[str, float]:
    found = {}
    for proc in psutil.process_iter(["cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        for kind in ("grpc_job", "janitor"):
            if f"focus_sandbox.pods.{kind}" in cmd:
                try:
                    if proc.environ().get("JOB_ID") == job_id:
                        found[kind] = proc.memory_info().rss / 2 ** 20
                except psutil.Error:
                    pass
    return found


def run(infra: t.Infra, work: Path) -> None:
    timings = infra.config.timings
    print(f"/ack median latency          {ack_latency(infra.focus_url):8.2f} ms")
    # nobody watches the benchmark's jobs: a long idle timeout keeps the first of 50 alive until the last is ready
    config = infra.variant(work / "bench", rate_limit=RateLimit(capacity=10_000, refill_per_s=10_000.0), capacity=60,
                           timings=timings.model_copy(update={"job_idle_timeout_s": 60.0}))
    kube = infra.kube()
    with t.serve(config, seed_mongodb=False) as base:
        url = f"{base}/focus-server"
        ready_times, ids = [], []
        for _ in range(10):
            job_id, took = configure_ready(url, timings.job_start_timeout_s)
            ids.append(job_id)
            ready_times.append(took)
        print(f"configure-to-ready median    {statistics.median(ready_times) * 1000:8.1f} ms "
              f"(max {max(ready_times) * 1000:.1f} ms, {len(ready_times)} jobs)")
        rss = job_rss_mb(ids[0])
        print("job process RSS             " + ", ".join(f"{k} {v:.1f} MB" for k, v in sorted(rss.items())))
        for job_id in ids:
            requests.delete(f"{url}/job/{job_id}")
        started = time.perf_counter()
        with cf.ThreadPoolExecutor(10) as pool:
            results = list(pool.map(lambda _: configure_ready(url, 30.0), range(CONCURRENT)))
        ids = [job_id for job_id, _ in results]
        alive = {p["metadata"]["labels"].get("app") for p in kube.list_pods("focus-job-id")
                 if (p.get("status") or {}).get("phase") == "Running"}
        running = sum(f"grpc-job-{j}" in alive for j in ids)
        print(f"{CONCURRENT} concurrent jobs           {running}/{CONCURRENT} streaming pods Running at once, "
              f"all ready in {time.perf_counter() - started:.1f} s")
        for job_id in ids:
            requests.delete(f"{url}/job/{job_id}")
        cleanup = timings.cleanup_timeout_s + timings.job_ttl_after_finished_s + 10
        t.wait_for(lambda: not any(j["metadata"]["name"].endswith(tuple(f"-{i}" for i in ids))
                                   for j in kube.list_jobs()), cleanup, "benchmark jobs cleaned up", 0.2)


def main() -> None:
    """Run against FOCUS_SANDBOX_RUNTIME's stack or a private one."""
    with tempfile.TemporaryDirectory(prefix="sandbox-bench-") as tmp:
        with t.stack_infra(Path(tmp) / "home") as infra:
            run(infra, Path(tmp))


if __name__ == "__main__":
    main()
