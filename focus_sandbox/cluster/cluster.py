"""The Cluster: resources of the sandbox's Kubernetes and the OS processes behind its pods.

One re-entrant lock guards every piece of state: API requests (uvicorn worker threads), process
watchers, readiness probes and the housekeeping thread all go through it. Processes are stopped
outside the lock, since stopping waits.
"""
from __future__ import annotations

import copy
import heapq
import itertools
import logging
import signal
import threading
import time
from pathlib import Path
from typing import Callable

from . import deployments as deps
from . import jobs, pods
from .deployments import DeploymentSpec, DeploymentState
from .controllers import DeploymentController, JobController
from .inventory import namespace_object, node_object
from .patches import apply_patch
from .processes import PodProcess, Spawner, exit_code_of, spawn_failure_note, tail
from .resources import NAMESPACES, ApiError, Store, not_found
from .runtime import PodRuntime
from .selectors import matches
from .services import NodePorts, node_ports_of, normalise_service

_log = logging.getLogger(__name__)
_TICK_S = 0.05


class Cluster(JobController, DeploymentController):
    """An in-process Kubernetes-compatible cluster whose pods are local processes."""

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self.pods_dir = self.run_dir / "pods"
        self.pods_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.store = Store()
        for namespace in NAMESPACES:
            self.store.create("namespaces", "", namespace_object(namespace))
        self.store.create("nodes", "", node_object())
        self._deployments: dict[tuple[str, str], DeploymentState] = {}
        self._pods: dict[tuple[str, str], PodRuntime] = {}
        self._processes: set[PodProcess] = set()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._timer_seq = itertools.count()
        self._node_ports = NodePorts()
        self._cluster_ips = itertools.count(10)
        self._closed = False
        self._app = None
        self._spawner = Spawner()
        self._ticker = threading.Thread(target=self._housekeeping, name="cluster-housekeeping", daemon=True)
        self._ticker.start()

    # ----------------------------------------------------------------- public Python interface
    @property
    def app(self):
        """The FastAPI app serving this cluster with the Kubernetes REST paths."""
        if self._app is None:
            from .api import build_app
            self._app = build_app(self)
        return self._app

    def add_deployment(self, spec: DeploymentSpec) -> None:
        """Create a Deployment for a component and start its pod now."""
        with self._lock:
            self._require_open()
            self._require_namespace(spec.namespace)
            self.store.create("deployments", spec.namespace, deps.new_deployment(spec))
            self._deployments[(spec.namespace, spec.name)] = DeploymentState(spec, order=len(self._deployments))
            self._reconcile_deployment(spec.namespace, spec.name)

    def scale_deployment(self, name: str, replicas: int, namespace: str | None = None) -> None:
        """Set a deployment's replicas (0 stops its pod, 1 starts it again)."""
        with self._lock:
            state = self._deployment_state(name, namespace)
            self._set_replicas(state.spec.namespace, name, replicas)

    def wait_ready(self, name: str, timeout_s: float = 30.0, namespace: str | None = None) -> str:
        """Wait until a deployment's pod is Ready and return its name; TimeoutError with the log tail."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                state = self._deployment_state(name, namespace)
                ready = [p["metadata"]["name"] for p in self._deployment_pods(state.spec.namespace, name)
                         if pods.is_ready(p)]
                if ready:
                    return ready[0]
                described = self._describe_deployment(state)
                last_pod = state.last_pod
            if time.monotonic() >= deadline:
                log = self.pod_log_tail(last_pod) if last_pod else "(no pod was started)"
                raise TimeoutError(f"deployment {name!r} not ready after {timeout_s}s; last state: "
                                   f"{described}\n--- log tail of pod {last_pod} ---\n{log}")
            time.sleep(0.05)

    def pod_log_tail(self, pod_name: str, lines: int = 40) -> str:
        """The last lines of a pod's log (live or gone)."""
        return tail(self._log_path(pod_name), lines)

    def pod_names(self, namespace: str = "panda", label_selector: str | None = None) -> list[str]:
        """Names of the pods in a namespace, optionally filtered by labels."""
        items, _ = self.list_objects("pods", namespace, label_selector, None)
        return [p["metadata"]["name"] for p in items]

    def pod_pid(self, pod_name: str, namespace: str = "panda") -> int | None:
        """The pid of a pod's live process, or None."""
        with self._lock:
            runtime = self._pods.get((namespace, pod_name))
            if runtime and runtime.process and runtime.process.running:
                return runtime.process.pid
            return None

    def pids(self) -> list[int]:
        """Every live process the cluster owns (pod processes and their descendants)."""
        with self._lock:
            processes = list(self._processes)
        return sorted({pid for process in processes for pid in process.pids()})

    def shutdown(self) -> None:
        """Stop job pods, then deployments in reverse order of addition; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._timers.clear()
            runtimes = list(self._pods.values())
            for runtime in runtimes:
                runtime.deleting = True
            job_pods = [r for r in runtimes if r.owner_kind == "Job"]
            order = {key: state.order for key, state in self._deployments.items()}
            deployment_pods = sorted((r for r in runtimes if r.owner_kind == "Deployment"),
                                     key=lambda r: -order.get((r.namespace, r.owner_name), 0))
        stoppers = [threading.Thread(target=self._stop_process, args=(r,)) for r in job_pods]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
        for runtime in deployment_pods:
            self._stop_process(runtime)
        with self._lock:
            leftovers = list(self._processes)
        for process in leftovers:  # e.g. a pod started while we were stopping the others
            process.stop(signal.SIGKILL, 0)
        self._spawner.close()
        self._ticker.join(timeout=5)

    # ----------------------------------------------------------------- API operations
    def list_objects(self, resource: str, namespace: str | None, label_selector: str | None,
                     field_selector: str | None) -> tuple[list[dict], int]:
        """Copies of matching objects and the list's resourceVersion."""
        with self._lock:
            if namespace is not None and resource not in ("namespaces", "nodes"):
                self._require_namespace(namespace)
            items = [copy.deepcopy(obj) for obj in self.store.items(resource, namespace)
                     if matches(obj, label_selector, field_selector)]
            return items, self.store.revision

    def deleted_since(self, resource: str, namespace: str | None, revision: int) -> list[tuple[int, dict]]:
        """Objects of a resource deleted after ``revision`` (for watches), oldest first."""
        with self._lock:
            return [(t.resource_version, copy.deepcopy(t.obj)) for t in self.store.tombstones
                    if t.resource == resource and t.resource_version > revision
                    and (namespace is None or t.namespace == namespace)]

    def get_object(self, resource: str, namespace: str, name: str) -> dict:
        """A copy of one object; 404 ApiError if absent."""
        with self._lock:
            if resource not in ("namespaces", "nodes"):
                self._require_namespace(namespace)
            return copy.deepcopy(self.store.get(resource, namespace, name))

    @property
    def closed(self) -> bool:
        """True once shutdown has begun."""
        return self._closed

    def create_job(self, namespace: str, manifest: dict) -> dict:
        """POST a Job: store it and start (or leave Pending) its pod."""
        with self._lock:
            self._require_open()
            self._require_namespace(namespace)
            job = self.store.create("jobs", namespace, jobs.normalise_job(manifest))
            self._start_job_pod(namespace, job)
            return copy.deepcopy(job)

    def delete_job(self, namespace: str, name: str) -> dict:
        """DELETE a Job: it goes at once, its pods are stopped and removed (any propagation)."""
        with self._lock:
            self._require_namespace(namespace)
            job = self.store.delete("jobs", namespace, name)
            for runtime in self._owned_pods("Job", namespace, name):
                self._delete_pod(runtime)
            meta = job["metadata"]
            return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                    "details": {"name": name, "group": "batch", "kind": "jobs", "uid": meta["uid"]}}

    def delete_pod(self, namespace: str, name: str) -> dict:
        """DELETE a pod: its process is stopped; a job's pod fails its Job, a deployment's is replaced."""
        with self._lock:
            self._require_namespace(namespace)
            pod = self.store.get("pods", namespace, name)
            runtime = self._pods.get((namespace, name))
            if runtime is None:
                self.store.delete("pods", namespace, name)
                return copy.deepcopy(pod)
            self._delete_pod(runtime)
            return copy.deepcopy(self.store.find("pods", namespace, name) or pod)

    def read_pod_log(self, namespace: str, name: str, tail_lines: int | None) -> str:
        """A pod's log text; 400 while the pod has not started, as a kubelet answers."""
        with self._lock:
            self._require_namespace(namespace)
            pod = self.store.get("pods", namespace, name)
            if pod["status"]["phase"] == "Pending":
                container = pod["spec"]["containers"][0]["name"]
                raise ApiError(400, "BadRequest", f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating')
        path = self._log_path(name)
        if tail_lines is not None:
            return tail(path, tail_lines)
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def pod_running(self, namespace: str, name: str) -> bool:
        """True while a pod exists and its process runs (log streaming follows until then)."""
        with self._lock:
            runtime = self._pods.get((namespace, name))
            return bool(runtime and runtime.process and runtime.process.running)

    def create_service(self, namespace: str, manifest: dict) -> dict:
        """POST a Service: stored, with NodePorts allocated."""
        with self._lock:
            self._require_open()
            self._require_namespace(namespace)
            name = (manifest.get("metadata") or {}).get("name") if isinstance(manifest, dict) else None
            if name and self.store.find("services", namespace, name):
                raise ApiError(409, "AlreadyExists", f'services "{name}" already exists',
                               {"name": name, "group": "", "kind": "services"})
            ip = next(self._cluster_ips)
            service = normalise_service(manifest, self._node_ports, f"10.96.{ip // 250}.{ip % 250 + 1}")
            return copy.deepcopy(self.store.create("services", namespace, service))

    def delete_service(self, namespace: str, name: str) -> dict:
        """DELETE a Service and free its NodePorts."""
        with self._lock:
            self._require_namespace(namespace)
            service = self.store.delete("services", namespace, name)
            self._node_ports.release(node_ports_of(service))
            return copy.deepcopy(service)

    def patch_deployment(self, namespace: str, name: str, body, content_type: str) -> dict:
        """PATCH a Deployment; only ``spec.replicas`` takes effect."""
        with self._lock:
            deployment = self.store.get("deployments", namespace, name)
            patched = apply_patch(deployment, body, content_type)
            replicas = (patched.get("spec") or {}).get("replicas", deployment["spec"]["replicas"])
            self._set_replicas(namespace, name, replicas)
            return copy.deepcopy(self.store.get("deployments", namespace, name))

    def read_scale(self, namespace: str, name: str) -> dict:
        """GET a deployment's Scale subresource."""
        with self._lock:
            self._require_namespace(namespace)
            return deps.scale_object(self.store.get("deployments", namespace, name))

    def patch_scale(self, namespace: str, name: str, body, content_type: str) -> dict:
        """PATCH a deployment's Scale subresource."""
        with self._lock:
            current = self.read_scale(namespace, name)
            patched = apply_patch(current, body, content_type)
            self._set_replicas(namespace, name, (patched.get("spec") or {}).get("replicas"))
            return self.read_scale(namespace, name)

    def replace_scale(self, namespace: str, name: str, body) -> dict:
        """PUT a deployment's Scale subresource."""
        with self._lock:
            self.read_scale(namespace, name)
            replicas = ((body or {}).get("spec") or {}).get("replicas") if isinstance(body, dict) else None
            self._set_replicas(namespace, name, replicas)
            return self.read_scale(namespace, name)

    # ----------------------------------------------------------------- internals: helpers
    def _require_open(self) -> None:
        if self._closed:
            raise ApiError(503, "ServiceUnavailable", "the sandbox cluster is shutting down")

    def _require_namespace(self, namespace: str) -> None:
        if self.store.find("namespaces", "", namespace) is None:
            raise not_found("namespaces", namespace)

    def _log_path(self, pod_name: str) -> Path:
        return self.pods_dir / f"{Path(pod_name).name}.log"

    def _deployment_state(self, name: str, namespace: str | None) -> DeploymentState:
        for (ns, dep_name), state in self._deployments.items():
            if dep_name == name and (namespace is None or ns == namespace):
                return state
        raise KeyError(f"no deployment {name!r} in the sandbox cluster")

    def _owned_pods(self, kind: str, namespace: str, owner: str) -> list[PodRuntime]:
        return [r for r in self._pods.values()
                if r.owner_kind == kind and r.namespace == namespace and r.owner_name == owner]

    def _deployment_pods(self, namespace: str, name: str) -> list[dict]:
        """Stored pods of a deployment that are not being deleted."""
        return [self.store.get("pods", namespace, r.name) for r in self._owned_pods("Deployment", namespace, name)
                if not r.deleting and self.store.find("pods", namespace, r.name) is not None]

    def _describe_deployment(self, state: DeploymentState) -> str:
        spec = state.spec
        dep = self.store.find("deployments", spec.namespace, spec.name)
        current = [f"{p['metadata']['name']} ({p['status']['phase']}, ready={pods.is_ready(p)})"
                   for p in self._deployment_pods(spec.namespace, spec.name)]
        return (f"replicas={dep['spec']['replicas'] if dep else '?'}, pods={current or 'none'}, "
                f"restarts={state.restarts}, last exit code={state.last_exit}, "
                f"last readiness error={state.readiness_error}")

    def _schedule(self, delay_s: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (time.monotonic() + delay_s, next(self._timer_seq), action))

    def _housekeeping(self) -> None:
        """Run scheduled actions (TTL deletions, restarts after back-off) when due."""
        while not self._closed:
            due = []
            with self._lock:
                now = time.monotonic()
                while self._timers and self._timers[0][0] <= now:
                    due.append(heapq.heappop(self._timers)[2])
            for action in due:
                try:
                    action()
                except ApiError:
                    pass  # the object went away meanwhile: nothing to do
                except Exception:  # keep housekeeping alive for the other objects; say what broke
                    _log.exception("sandbox cluster: scheduled action failed")
            time.sleep(_TICK_S)

    # ----------------------------------------------------------------- internals: processes
    def _spawn(self, runtime: PodRuntime, pod: dict, command: list[str], env: dict, cwd) -> bool:
        """Start a pod's process (lock held); on failure the pod is marked Failed. True if started."""
        log_path = self._log_path(runtime.name)
        try:
            process = PodProcess(self._spawner, command, env, None if cwd is None else str(cwd),
                                 log_path, lambda p, r=runtime: self._on_exit(r, p))
        except (OSError, ValueError, RuntimeError) as exc:
            spawn_failure_note(log_path, command, exc)
            pods.mark_terminated(pod, 127 if isinstance(exc, FileNotFoundError) else 126,
                                 message=f"cannot start {command[:1]}: {exc}")
            self.store.touch(pod)
            return False
        runtime.process = process
        self._processes.add(process)
        pods.mark_running(pod, process.pid)
        self.store.touch(pod)
        return True

    def _stop_process(self, runtime: PodRuntime) -> None:
        """Stop a pod's process (lock NOT held: this waits)."""
        process = runtime.process
        if process is not None:
            process.stop(runtime.stop_signal, runtime.stop_timeout_s)

    def _delete_pod(self, runtime: PodRuntime) -> None:
        """Mark a pod deleted (lock held): a live process is stopped in the background."""
        if runtime.deleting:
            return
        runtime.deleting = True
        pod = self.store.find("pods", runtime.namespace, runtime.name)
        if runtime.process is not None and runtime.process.running:
            if pod is not None:
                pods.mark_terminating(pod)
                self.store.touch(pod)
            threading.Thread(target=self._stop_process, args=(runtime,),
                             name=f"stop-{runtime.name}", daemon=True).start()
            return
        self._pod_gone(runtime, exit_code=None)

    def _on_exit(self, runtime: PodRuntime, process: PodProcess) -> None:
        """Watcher callback: a pod's process ended."""
        with self._lock:
            self._processes.discard(process)
            exit_code = exit_code_of(process.returncode if process.returncode is not None else -9)
            pod = self.store.find("pods", runtime.namespace, runtime.name)
            if pod is not None:
                pods.mark_terminated(pod, exit_code)
                self.store.touch(pod)
            if runtime.deleting:
                self._pod_gone(runtime, exit_code)
            elif runtime.owner_kind == "Job":
                self._job_pod_finished(runtime, exit_code, deleted=False)
            else:
                self._deployment_pod_exited(runtime, process, exit_code)

    def _pod_gone(self, runtime: PodRuntime, exit_code: int | None) -> None:
        """A deleted pod's process is gone (or never ran): remove it and tell its owner."""
        self._pods.pop((runtime.namespace, runtime.name), None)
        if self.store.find("pods", runtime.namespace, runtime.name) is not None:
            self.store.delete("pods", runtime.namespace, runtime.name)
        if runtime.owner_kind == "Job":
            self._job_pod_finished(runtime, exit_code, deleted=True)
        else:
            state = self._deployments.get((runtime.namespace, runtime.owner_name))
            if state is not None and exit_code is not None:
                state.last_exit = exit_code
            self._reconcile_deployment(runtime.namespace, runtime.owner_name)
