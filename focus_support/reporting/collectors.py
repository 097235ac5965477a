"""Ready-made failure-evidence collectors for ``hooks.add_failure_collector``."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from focus_support.reporting import evidence

LOG_TAIL_LINES = 500


def _dump(obj: Any) -> Any:
    return obj.model_dump() if hasattr(obj, "model_dump") else obj


def _failed(job: Any) -> bool:
    return bool(getattr(job, "failed", 0)) or "Failed" in (getattr(job, "conditions", None) or [])


def job_evidence(get_k8s: Callable[[Any], Any], get_job_ids: Callable[[Any], Iterable[str]]) -> Callable[[Any, Any], None]:
    """A collector attaching each scenario job's cluster resources, and the pod logs of failed jobs.

    ``get_k8s(context)`` returns a ``KubernetesManager``-like object (``job_resources``, ``pod_logs``);
    ``get_job_ids(context)`` the Focus job ids the scenario created.
    """
    def collect(context: Any, step: Any) -> None:
        k8s = get_k8s(context)
        for job_id in list(get_job_ids(context) or []):
            resources = k8s.job_resources(job_id)
            evidence.attach_cluster_resource("resources of job", job_id, _dump(resources))
            failed_jobs = {j.name for j in resources.jobs if _failed(j)}
            for pod in resources.pods:
                if getattr(pod, "phase", "") == "Failed" or pod.labels.get("job-name") in failed_jobs:
                    evidence.attach_pod_log(pod.name, k8s.pod_logs(pod.name, tail_lines=LOG_TAIL_LINES),
                                            reason="job failed")

    collect.__name__ = "job_evidence"
    return collect
