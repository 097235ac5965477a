"""Controllers of the cluster: what happens to Jobs and Deployments as their pods start and end.

Mixed into :class:`~focus_sandbox.cluster.cluster.Cluster`; every method here runs with the
cluster's lock held unless its docstring says otherwise, and uses the cluster's store and pod table.
"""
from __future__ import annotations

import copy
import signal
import threading
import time

from . import deployments as deps
from . import jobs, pods
from .deployments import DeploymentState
from .processes import PodProcess
from .resources import ApiError
from .runtime import PodRuntime

_QUICK_EXIT_S = 10.0        # a pod that dies sooner counts as crash-looping
_MAX_BACKOFF_S = 8.0
_READINESS_PERIOD_S = 0.1


class JobController:
    """Job pods: start (or leave Pending), record the outcome on the Job, expire after the TTL."""
    def _start_job_pod(self, namespace: str, job: dict) -> None:
        template = job["spec"]["template"]
        container = copy.deepcopy(template["spec"]["containers"][0])
        grace = jobs.grace_of(job)
        pod = pods.new_pod(jobs.pod_name(job["metadata"]["name"]), template["metadata"]["labels"], container,
                           restart_policy=template["spec"].get("restartPolicy", "Never"),
                           node_selector=template["spec"].get("nodeSelector"), grace_s=grace,
                           owner=jobs.owner_reference(job))
        pod = self.store.create("pods", namespace, pod)
        runtime = PodRuntime(namespace, pod["metadata"]["name"], "Job", job["metadata"]["name"],
                       job["metadata"]["uid"], stop_signal=signal.SIGTERM, stop_timeout_s=grace)
        self._pods[(namespace, runtime.name)] = runtime
        jobs.mark_started(job)
        self.store.touch(job)
        if not pods.schedulable(template["spec"].get("nodeSelector")):
            pods.mark_unschedulable(pod)
            self.store.touch(pod)
            return
        if self._spawn(runtime, pod, jobs.command_of(container), jobs.env_of(container),
                       container.get("workingDir")):
            jobs.mark_ready(job)
        else:
            self._job_pod_finished(runtime, pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"],
                                   deleted=False)
        self.store.touch(job)

    def _job_pod_finished(self, runtime: PodRuntime, exit_code: int | None, deleted: bool) -> None:
        """Record a job pod's end on its Job (if the Job still exists and is not finished)."""
        job = self.store.find("jobs", runtime.namespace, runtime.owner_name)
        if job is None or job["metadata"]["uid"] != runtime.owner_uid or jobs.finished(job):
            return
        if deleted:
            message = f"pod {runtime.name} was deleted"
            succeeded = False
        else:
            message = f"pod {runtime.name} exited with code {exit_code}"
            succeeded = exit_code == 0
        jobs.mark_finished(job, succeeded, "Job has reached the specified backoff limit" if not succeeded else message)
        self.store.touch(job)
        ttl = job["spec"].get("ttlSecondsAfterFinished")
        if ttl is not None and not self._closed:
            uid, namespace, name = runtime.owner_uid, runtime.namespace, runtime.owner_name
            self._schedule(float(ttl), lambda: self._expire_job(namespace, name, uid))

    def _expire_job(self, namespace: str, name: str, uid: str) -> None:
        """TTL after finished: delete the Job and its pods."""
        with self._lock:
            job = self.store.find("jobs", namespace, name)
            if job is not None and job["metadata"]["uid"] == uid:
                self.delete_job(namespace, name)


class DeploymentController:
    """Deployment pods: keep ``replicas`` running (Recreate), replace exits with back-off, probe readiness."""
    def _set_replicas(self, namespace: str, name: str, replicas) -> None:
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise ApiError(422, "Invalid", f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: {replicas!r}: must be a non-negative integer')
        deployment = self.store.get("deployments", namespace, name)
        state = self._deployments[(namespace, name)]
        if deployment["spec"]["replicas"] != replicas:
            deployment["spec"]["replicas"] = replicas
            deployment["metadata"]["generation"] = deployment["metadata"].get("generation", 1) + 1
            state.crashes, state.restart_due = 0, None  # an operator's scale starts afresh
            self.store.touch(deployment)
        self._reconcile_deployment(namespace, name)

    def _reconcile_deployment(self, namespace: str, name: str) -> None:
        """Bring a deployment's pods to its replicas (lock held). Recreate: old pods go first."""
        state = self._deployments.get((namespace, name))
        deployment = self.store.find("deployments", namespace, name)
        if state is None or deployment is None:
            return
        owned = self._owned_pods("Deployment", namespace, name)
        live = [r for r in owned if not r.deleting]
        desired = deployment["spec"]["replicas"]
        if self._closed:
            pass
        elif len(live) > desired:
            for runtime in live[desired:]:
                self._delete_pod(runtime)
        elif len(live) < desired and len(live) == len(owned):
            if state.restart_due is not None and time.monotonic() < state.restart_due:
                pass  # crash back-off: the scheduled reconcile starts it
            else:
                state.restart_due = None
                for _ in range(desired - len(live)):
                    self._start_deployment_pod(state)
        self._refresh_deployment_status(namespace, name)

    def _refresh_deployment_status(self, namespace: str, name: str) -> None:
        deployment = self.store.find("deployments", namespace, name)
        if deployment is None:
            return
        current = self._deployment_pods(namespace, name)
        if deps.update_status(deployment, current, sum(pods.is_ready(p) for p in current)):
            self.store.touch(deployment)

    def _start_deployment_pod(self, state: DeploymentState) -> None:
        spec = state.spec
        deployment = self.store.get("deployments", spec.namespace, spec.name)
        template = deployment["spec"]["template"]
        labels = {**template["metadata"]["labels"], "pod-template-hash": spec.template_hash()}
        owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{spec.name}-{spec.template_hash()}",
                 "uid": deployment["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}
        pod = pods.new_pod(spec.new_pod_name(), labels, copy.deepcopy(template["spec"]["containers"][0]),
                           restart_policy="Always", node_selector=None, grace_s=spec.stop_timeout_s, owner=owner)
        pod = self.store.create("pods", spec.namespace, pod)
        runtime = PodRuntime(spec.namespace, pod["metadata"]["name"], "Deployment", spec.name,
                       deployment["metadata"]["uid"], spec.stop_signal, spec.stop_timeout_s)
        self._pods[(spec.namespace, runtime.name)] = runtime
        state.last_pod = runtime.name
        if self._spawn(runtime, pod, [str(c) for c in spec.command], spec.environment(), spec.cwd):
            threading.Thread(target=self._probe_readiness, args=(state, runtime),
                             name=f"ready-{runtime.name}", daemon=True).start()
        else:
            # Could not even start: count it as a crash and retry after the back-off.
            self._pods.pop((spec.namespace, runtime.name), None)
            self.store.delete("pods", spec.namespace, runtime.name)
            self._note_crash(state, lived_s=0.0, exit_code=127)

    def _deployment_pod_exited(self, runtime: PodRuntime, process: PodProcess, exit_code: int) -> None:
        """A deployment's pod process died by itself: drop the pod, start a replacement."""
        self._pods.pop((runtime.namespace, runtime.name), None)
        if self.store.find("pods", runtime.namespace, runtime.name) is not None:
            self.store.delete("pods", runtime.namespace, runtime.name)
        state = self._deployments.get((runtime.namespace, runtime.owner_name))
        if state is None:
            return
        self._note_crash(state, time.monotonic() - process.started_at, exit_code)
        self._reconcile_deployment(runtime.namespace, runtime.owner_name)

    def _note_crash(self, state: DeploymentState, lived_s: float, exit_code: int) -> None:
        """Count an unplanned exit; quick successive exits back off (like CrashLoopBackOff)."""
        state.last_exit = exit_code
        state.restarts += 1
        state.crashes = state.crashes + 1 if lived_s < _QUICK_EXIT_S else 0
        if state.crashes > 1 and not self._closed:
            delay = min(_MAX_BACKOFF_S, 0.25 * 2 ** (state.crashes - 2))
            state.restart_due = time.monotonic() + delay
            namespace, name = state.spec.namespace, state.spec.name
            self._schedule(delay, lambda: self._locked(self._reconcile_deployment, namespace, name))

    def _locked(self, function, *args) -> None:
        with self._lock:
            function(*args)

    def _probe_readiness(self, state: DeploymentState, runtime: PodRuntime) -> None:
        """Poll the spec's readiness check until it passes or the pod goes away."""
        check = state.spec.readiness
        process = runtime.process
        while process is not None and process.running and not runtime.deleting and not self._closed:
            try:
                ok = bool(check()) if check is not None else True
            except Exception as exc:  # a failing probe means "not ready yet", reported by wait_ready
                ok = False
                state.readiness_error = f"{type(exc).__name__}: {exc}"
            if ok:
                with self._lock:
                    pod = self.store.find("pods", runtime.namespace, runtime.name)
                    if pod is not None and process.running and not runtime.deleting:
                        pods.mark_ready(pod)
                        self.store.touch(pod)
                        self._refresh_deployment_status(runtime.namespace, runtime.owner_name)
                return
            process.exited.wait(_READINESS_PERIOD_S)
