"""The janitor pod of a job: waits for the grpc job to end, then removes its leftovers.

Polls the cluster until Job ``grpc-job-<id>`` is finished (Complete/Failed) or gone, then deletes
Service ``grpc-service-<id>``, the job's RabbitMQ queue and the grpc Job, logging each step, and
exits 0. The cluster is reached with urllib; only the queue deletion needs pika.

Env: JOB_ID, KUBE_API_URL, NAMESPACE, SANDBOX_CONFIG (the broker URL is read from it), RABBIT_QUEUE,
POLL_INTERVAL_S, END_CONDITIONS (default "Complete,Failed").
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request

QUEUE_DELETE_DEADLINE_S = 30.0
# Job conditions that count as "the grpc job ended" (the failed_jobs_not_cleaned switch sets "Complete").
END_CONDITIONS = tuple(os.environ.get("END_CONDITIONS", "Complete,Failed").split(","))


def log(message: str) -> None:
    """One line on stdout (the pod log)."""
    print(f"{time.strftime('%H:%M:%S')} janitor {os.environ.get('JOB_ID', '?')}: {message}", flush=True)


def kube(method: str, path: str) -> tuple[int, dict]:
    """Call the cluster API; return (status, body). Raises OSError when unreachable."""
    url = os.environ["KUBE_API_URL"].rstrip("/") + path
    req = urllib.request.Request(url, method=method, headers={"X-Sandbox-Actor": "janitor"})  # see focus_sandbox.audit
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, {}


def finished(job: dict, end_conditions: tuple[str, ...] = ("Complete", "Failed")) -> bool:
    """True when the Job has one of the end conditions (Complete or Failed unless told otherwise)."""
    conditions = (job.get("status") or {}).get("conditions") or []
    return any(c.get("type") in end_conditions and c.get("status") == "True" for c in conditions)


def wait_for_grpc_job(ns: str, name: str, interval: float) -> str:
    """Poll until the grpc job is finished or gone; return which."""
    while True:
        try:
            status, job = kube("GET", f"/apis/batch/v1/namespaces/{ns}/jobs/{name}")
        except OSError as exc:
            log(f"cluster API unreachable ({exc}); retrying")
        else:
            if status == 404:
                return "gone"
            if status == 200 and finished(job, END_CONDITIONS):
                return "finished"
        time.sleep(interval)  # poll interval of the wait loop


def delete(kind_path: str, what: str) -> None:
    """DELETE a cluster object, logging whether it existed (retries while the API is unreachable)."""
    deadline = time.monotonic() + QUEUE_DELETE_DEADLINE_S
    while True:
        try:
            status, _ = kube("DELETE", kind_path + "?propagationPolicy=Background")
            break
        except OSError as exc:
            if time.monotonic() > deadline:
                log(f"{what}: NOT deleted, cluster API unreachable ({exc})")
                return
            time.sleep(1.0)  # poll interval of the retry loop
    log(f"{what}: " + ("deleted" if status in (200, 202) else "already gone" if status == 404
                       else f"delete answered {status}"))


def delete_queue(url: str, queue: str) -> bool:
    """Delete the RabbitMQ queue, retrying while the broker is unreachable."""
    import pika  # imported late: only this step needs it
    import pika.exceptions
    deadline = time.monotonic() + QUEUE_DELETE_DEADLINE_S
    while True:
        try:
            params = pika.URLParameters(url)
            params.connection_attempts = 1
            params.socket_timeout = 2
            conn = pika.BlockingConnection(params)
            try:
                conn.channel().queue_delete(queue=queue)
            finally:
                conn.close()
            log(f"queue {queue}: deleted")
            return True
        except (pika.exceptions.AMQPError, OSError) as exc:
            if time.monotonic() > deadline:
                log(f"queue {queue}: NOT deleted ({type(exc).__name__}); giving up")
                return False
            log(f"queue {queue}: broker unreachable ({type(exc).__name__}); retrying")
            time.sleep(1.0)  # poll interval of the retry loop


def broker_url() -> str:
    """The broker URL from the run's config file (it holds the password, so it is not in the env)."""
    with open(os.environ["SANDBOX_CONFIG"], encoding="utf-8") as config:
        return json.load(config)["rabbitmq_url"]


def main() -> int:
    """Wait for the grpc job to end, then clean up after it."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    job_id = os.environ["JOB_ID"]
    ns = os.environ.get("NAMESPACE", "panda")
    interval = float(os.environ.get("POLL_INTERVAL_S", "0.5"))
    grpc_job = f"grpc-job-{job_id}"
    log(f"watching job {grpc_job}")
    state = wait_for_grpc_job(ns, grpc_job, interval)
    log(f"job {grpc_job} is {state}; cleaning up")
    delete(f"/api/v1/namespaces/{ns}/services/grpc-service-{job_id}", f"service grpc-service-{job_id}")
    queue = os.environ.get("RABBIT_QUEUE", "")
    ok = True
    if queue:
        ok = delete_queue(broker_url(), queue)
    else:
        log("no queue name given (RABBIT_QUEUE empty): queue left in place")
    delete(f"/apis/batch/v1/namespaces/{ns}/jobs/{grpc_job}", f"job {grpc_job}")
    log("done")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
