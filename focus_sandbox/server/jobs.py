"""Create, inspect and cancel streaming jobs (contract section 4).

A configure creates, in order: the RabbitMQ queue, the NodePort Service, the grpc Job and the
janitor Job. Each created resource is registered for rollback at once, so a failure mid-way leaves
nothing behind.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from pathlib import Path

import focus_sandbox
from focus_sandbox.defects import DEFECTS
from focus_sandbox.server.broker import Broker, BrokerError
from focus_sandbox.server.kube import Kube, KubeError, job_finished
from focus_sandbox.server.registry import JobRecord, Registry
from focus_sandbox.settings import SandboxConfig

log = logging.getLogger(__name__)

STREAM_HOST = "127.0.0.1"
NODE_LABEL = {"kubernetes.io/hostname": "sandbox-node"}
MISSING_NODE_LABEL = {"kubernetes.io/hostname": "decommissioned-worker"}
WRONG_PORT_OFFSET = 10_000  # stream_port_mismatch: the pod listens this far from the advertised port
NEVER_IDLE_S = 86_400  # idle_jobs_never_end: an idle timeout no test outlives
FAILING_ABOVE_JOBS = 35  # capacity_below_requirement: configures fail from here on (40 are required)


class Unavailable(Exception):
    """A dependency needed to serve the request is down, or the server is full (-> 503)."""


def stream_groups(response: dict, key_offset: int = 0) -> list[list[int]]:
    """[first, last] channel of each stream id, from the response's channel_to_stream_index.

    ``key_offset`` undoes channel_keys_zero_based: the pod streams the real channels whatever the keys say.
    """
    groups: dict[int, list[int]] = {}
    for key, stream in response["channel_to_stream_index"].items():
        if key.lstrip("-").isdigit():
            groups.setdefault(int(stream), []).append(int(key) + key_offset)
    if not groups:  # only reachable with lax validation (an empty range): one nominal channel
        return [[1, 1]]
    return [[min(groups[s]), max(groups[s])] for s in sorted(groups)]


def port_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:port (a listening socket makes bind fail)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((STREAM_HOST, port))
        except OSError:
            return False
    return True


# Pods run ``python -m focus_sandbox.pods...``: make the package importable whatever their cwd is.
_PACKAGE_ROOT = str(Path(focus_sandbox.__file__).resolve().parent.parent)


def _env(**values) -> list[dict]:
    path = os.pathsep.join(p for p in (_PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")) if p)
    return [{"name": k, "value": str(v)} for k, v in values.items()] + [{"name": "PYTHONPATH", "value": path}]


class Orchestrator:
    """Owns the job registry and talks to the cluster and the broker."""

    def __init__(self, config: SandboxConfig, registry: Registry, kube: Kube, broker: Broker):
        self.config = config
        self.registry = registry
        self.kube = kube
        self.broker = broker
        self._stop = threading.Event()

    # ---- identifiers -------------------------------------------------------------------------
    def _new_job_id(self) -> str:
        if self.config.has("job_id_reused"):
            return f"{self.registry.generation}-{len(self.registry.live()) + 1}"
        return f"{self.registry.generation}-{self.registry.next_sequence()}"

    def _reserve_port(self) -> int:
        """Lowest port from stream_port_base not used by a live job and actually bindable."""
        with self.registry.lock:
            used = {r.port for r in self.registry.live()} | self.registry.reserved_ports
            port = self.config.stream_port_base
            while port < 65535:
                if port not in used and port_free(port):
                    self.registry.reserved_ports.add(port)
                    return port
                port += 1
        raise Unavailable("no free stream port")

    # ---- manifests ---------------------------------------------------------------------------
    def _service(self, job_id: str, port: int) -> dict:
        return {"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": f"grpc-service-{job_id}", "namespace": self.config.namespace,
                             "labels": {"app": f"grpc-job-{job_id}", "focus-job-id": job_id}},
                "spec": {"type": "NodePort", "selector": {"app": f"grpc-job-{job_id}"},
                         "ports": [{"name": "stream", "protocol": "TCP", "port": port, "targetPort": port}]}}

    def _job(self, name: str, job_id: str, command: list[str], env: list[dict], node: dict,
             ttl_s: int | None) -> dict:
        ttl_spec = {"ttlSecondsAfterFinished": ttl_s} if ttl_s is not None else {}
        return {"apiVersion": "batch/v1", "kind": "Job",
                "metadata": {"name": name, "namespace": self.config.namespace,
                             "labels": {"app": name, "focus-job-id": job_id}},
                "spec": {"backoffLimit": 0, **ttl_spec,
                         "template": {"metadata": {"labels": {"app": name, "focus-job-id": job_id}},
                                      "spec": {"restartPolicy": "Never", "nodeSelector": node,
                                               "containers": [{"name": name.split("-job-")[0],
                                                               "image": "focus-sandbox:local",
                                                               "command": command, "env": env}]}}}}

    def _grpc_job(self, job_id: str, port: int, response: dict, window: tuple[int, int] | None) -> dict:
        listen = port + WRONG_PORT_OFFSET if self.config.has("stream_port_mismatch") else port
        idle = NEVER_IDLE_S if self.config.has("idle_jobs_never_end") else self.config.timings.job_idle_timeout_s
        offset = 1 if self.config.has("channel_keys_zero_based") else 0
        faults = ",".join(d for d in self.config.defects if DEFECTS.get(d) and DEFECTS[d].area == "stream")
        historic = {"HISTORIC_START_MS": window[0] * 1000, "HISTORIC_WINDOW_S": window[1] - window[0]} if window else {}
        env = _env(JOB_ID=job_id, STREAM_HOST=STREAM_HOST, STREAM_PORT=listen, IDLE_TIMEOUT_S=idle,
                   LINES_DT=response["lines_dt"], STREAM_GROUPS=json.dumps(stream_groups(response, offset)),
                   FREQUENCY_BINS=max(1, response["frequencies_amount"]), STREAM_FAULTS=faults, **historic)
        # failed_jobs_not_cleaned: no TTL, so a failed streaming Job stays until someone deletes it
        ttl = None if self.config.has("failed_jobs_not_cleaned") else self.config.timings.stream_job_ttl_after_finished_s
        return self._job(f"grpc-job-{job_id}", job_id, ["python", "-m", "focus_sandbox.pods.grpc_job"],
                         env, NODE_LABEL, ttl)

    def _cleanup_job(self, job_id: str, queue: str) -> dict:
        # The observed janitor script misspells the queue variable, so it never deletes the queue.
        queue_var = "RABBIT_QEUE" if self.config.has("janitor_keeps_queue") else "RABBIT_QUEUE"
        env = _env(JOB_ID=job_id, KUBE_API_URL=self.config.kube_api_url, NAMESPACE=self.config.namespace,
                   # like a mounted Secret: the broker password stays in the run's 0600 config file,
                   # never in the Job object that anyone reading the cluster API can see
                   SANDBOX_CONFIG=str(Path(self.config.run_dir) / "sandbox-config.json"),
                   POLL_INTERVAL_S=0.25, **{queue_var: queue})
        if self.config.has("failed_jobs_not_cleaned"):
            env.append({"name": "END_CONDITIONS", "value": "Complete"})  # a Failed job is never "ended"
        node = MISSING_NODE_LABEL if self.config.has("janitor_stuck_pending") else NODE_LABEL
        return self._job(f"cleanup-job-{job_id}", job_id, ["python", "-m", "focus_sandbox.pods.janitor"],
                         env, node, self.config.timings.job_ttl_after_finished_s)

    # ---- lifecycle ---------------------------------------------------------------------------
    def create(self, response_fields: dict, window: tuple[int, int] | None = None) -> dict:
        """Create every resource of a new job and return its configure response.

        ``window`` is a historic job's (start_time, end_time) in epoch seconds; None for a live job.
        """
        with self.registry.lock:
            if len(self.registry.live()) >= self.config.capacity:
                raise Unavailable(f"capacity reached: {self.config.capacity} live jobs; "
                                  "cancel a job or retry later")
            if self.config.has("capacity_below_requirement") and len(self.registry.live()) >= FAILING_ABOVE_JOBS:
                raise Unavailable("cannot start job: the cluster has no room for another streaming pod")
            job_id = self._new_job_id()
            port = self._reserve_port()
        queue = f"grpc-job-{job_id}-{time.time():.6f}"
        stream_port = str(port) if self.config.has("stream_port_as_string") else port
        url = f"http://{STREAM_HOST}" if self.config.has("stream_url_with_scheme") else STREAM_HOST
        response = {"job_id": job_id, **response_fields, "stream_url": url, "stream_port": stream_port}
        undo: list = []
        try:
            self.broker.declare_queue(queue)
            undo.append(lambda: self.broker.delete_queue(queue))
            if not self.config.has("job_service_not_created"):
                self.kube.create_service(self._service(job_id, port))
                undo.append(lambda: self.kube.delete_service(f"grpc-service-{job_id}"))
            self.kube.create_job(self._grpc_job(job_id, port, response, window))
            undo.append(lambda: self.kube.delete_job(f"grpc-job-{job_id}"))
            self.kube.create_job(self._cleanup_job(job_id, queue))
            self.registry.add(JobRecord(job_id=job_id, port=port, queue=queue, response=response))
        except (BrokerError, KubeError) as exc:
            self._rollback(job_id, undo)
            raise Unavailable(f"cannot start job: {exc}") from None
        finally:
            with self.registry.lock:
                self.registry.reserved_ports.discard(port)
        log.info("job %s created (port %d, queue %s)", job_id, port, queue)
        return response

    def declare_provisional_queue(self) -> str:
        """Declare the queue of the next job id before anything is validated (queue_declared_before_validation)."""
        queue = f"grpc-job-{self._new_job_id()}-{time.time():.6f}"
        self.broker.declare_queue(queue)
        return queue

    def _rollback(self, job_id: str, undo: list) -> None:
        for step in reversed(undo):
            try:
                step()
            except (BrokerError, KubeError) as exc:
                log.error("rollback of job %s incomplete: %s", job_id, exc)

    def readiness(self, rec: JobRecord) -> str:
        """'ready', 'starting' or 'gone' for a registered job, asking the cluster."""
        pods = self.kube.list_pods(f"app={rec.grpc_job}")
        if any((p.get("status") or {}).get("phase") == "Running" for p in pods) and not port_free(rec.port):
            return "ready"
        job = self.kube.get_job(rec.grpc_job)
        if job is None or job_finished(job):
            self.registry.remove(rec.job_id)
            return "gone"
        return "starting"

    def cancel(self, rec: JobRecord) -> None:
        """Delete the grpc Job; the janitor then removes the service, the queue and itself."""
        self.kube.delete_job(rec.grpc_job)
        if self.config.has("metadata_after_cancel"):
            self.registry.freeze(rec.job_id)
        else:
            self.registry.remove(rec.job_id)
        log.info("job %s cancelled", rec.job_id)

    # ---- background reaper -------------------------------------------------------------------
    def reap_once(self) -> None:
        """Forget jobs whose grpc Job finished or vanished (idle timeout, crash, TTL)."""
        started = time.time()
        alive = {j["metadata"]["name"] for j in self.kube.list_jobs() if not job_finished(j)}
        for rec in self.registry.live():
            if not rec.frozen and rec.registered_at < started and rec.grpc_job not in alive:
                self.registry.remove(rec.job_id)

    def run_reaper(self, interval_s: float = 1.0) -> None:
        """Reap periodically until stopped (runs in a daemon thread)."""
        while not self._stop.wait(interval_s):
            try:
                self.reap_once()
            except KubeError as exc:
                log.warning("reaper: %s", exc)

    def stop(self) -> None:
        self._stop.set()
