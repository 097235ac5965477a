"""Job objects (batch/v1): validating and defaulting a posted manifest, their status transitions."""
from __future__ import annotations

import copy
import os
import re
import sys

from .resources import ApiError, new_uid, now_rfc3339, random_suffix

_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DEFAULT_JOB_GRACE_S = 5  # shorter than Kubernetes' 30 s: sandbox pods stop at once on SIGTERM


def _invalid(name: str, message: str) -> ApiError:
    return ApiError(422, "Invalid", f'Job.batch "{name}" is invalid: {message}',
                    {"name": name, "group": "batch", "kind": "Job"})


def normalise_job(manifest: dict) -> dict:
    """Validate a posted Job and fill the defaults the API server would (uid, selector, labels)."""
    if not isinstance(manifest, dict):
        raise ApiError(400, "BadRequest", "the request body must be a Job object")
    job = copy.deepcopy(manifest)
    meta = job.setdefault("metadata", {}) or {}
    job["metadata"] = meta
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = meta["generateName"] + random_suffix()
    name = meta.get("name") or ""
    if not name or len(name) > 63 or not _NAME_RE.match(name):
        raise _invalid(name, f"metadata.name: Invalid value: {name!r}: a lowercase RFC 1123 name of at most 63 characters is required")
    if job.get("kind", "Job") != "Job":
        raise ApiError(400, "BadRequest", f"expected kind Job, got {job.get('kind')!r}")
    spec = job.get("spec") or {}
    template = spec.get("template") or {}
    containers = (template.get("spec") or {}).get("containers") or []
    if not containers or not isinstance(containers[0], dict):
        raise _invalid(name, "spec.template.spec.containers: Required value")
    if not (containers[0].get("command") or containers[0].get("args")):
        raise _invalid(name, "spec.template.spec.containers[0].command: Required value (the sandbox runs no images)")
    containers[0].setdefault("name", name)
    uid = new_uid()
    meta["uid"] = uid
    job["apiVersion"], job["kind"] = "batch/v1", "Job"
    template.setdefault("metadata", {})
    labels = template["metadata"].setdefault("labels", {}) or {}
    template["metadata"]["labels"] = labels
    labels.update({"controller-uid": uid, "job-name": name,
                   "batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name})
    if not meta.get("labels"):
        meta["labels"] = {k: v for k, v in labels.items() if "controller-uid" not in k}
    template["spec"].setdefault("restartPolicy", "Never")
    spec.update({"template": template})
    spec.setdefault("parallelism", 1)
    spec.setdefault("completions", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("manualSelector", False)
    spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    job["spec"] = spec
    job["status"] = {}
    return job


def pod_name(job_name: str) -> str:
    """``<job>-<5 chars>`` as the Job controller names its pods."""
    return f"{job_name}-{random_suffix()}"


def owner_reference(job: dict) -> dict:
    """The ownerReference a job pod carries."""
    return {"apiVersion": "batch/v1", "kind": "Job", "name": job["metadata"]["name"],
            "uid": job["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def command_of(container: dict) -> list[str]:
    """``command`` + ``args``; a leading ``python`` is this interpreter (there are no images)."""
    argv = [str(a) for a in (container.get("command") or []) + (container.get("args") or [])]
    if argv and argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    return argv


def env_of(container: dict) -> dict[str, str]:
    """The daemon's environment with the container's literal ``env`` values laid over it."""
    env = dict(os.environ)
    for item in container.get("env") or []:
        if isinstance(item, dict) and item.get("name") and "value" in item:
            env[item["name"]] = "" if item["value"] is None else str(item["value"])
    return env


def grace_of(job: dict) -> float:
    """How long a job pod may take to stop after SIGTERM."""
    value = job["spec"]["template"]["spec"].get("terminationGracePeriodSeconds")
    return float(value) if value is not None else float(DEFAULT_JOB_GRACE_S)


def _condition(kind: str, reason: str, message: str) -> dict:
    now = now_rfc3339()
    return {"type": kind, "status": "True", "reason": reason, "message": message,
            "lastProbeTime": now, "lastTransitionTime": now}


def mark_started(job: dict) -> None:
    """A pod of the job exists; Kubernetes counts it as active even while Pending."""
    job["status"].update({"active": 1, "startTime": now_rfc3339(), "ready": 0, "terminating": 0,
                          "uncountedTerminatedPods": {}})


def mark_ready(job: dict) -> None:
    """The job's pod is running."""
    job["status"]["ready"] = 1


def finished(job: dict) -> bool:
    """True once the job is Complete or Failed."""
    return any(c["type"] in ("Complete", "Failed") and c["status"] == "True"
               for c in job["status"].get("conditions", []))


def mark_finished(job: dict, succeeded: bool, message: str) -> None:
    """Record the outcome of the job's only pod."""
    status = job["status"]
    status.pop("active", None)
    status["ready"] = 0
    status.setdefault("startTime", now_rfc3339())
    if succeeded:
        status["succeeded"] = 1
        status["completionTime"] = now_rfc3339()
        status["conditions"] = [_condition("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods"),
                                _condition("Complete", "CompletionsReached", "Reached expected number of succeeded pods")]
    else:
        status["failed"] = 1
        status["conditions"] = [_condition("FailureTarget", "BackoffLimitExceeded", message),
                                _condition("Failed", "BackoffLimitExceeded", message)]
