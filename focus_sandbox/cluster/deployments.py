"""Deployments (apps/v1): the spec the stack hands in, the object served, its status."""
from __future__ import annotations

import hashlib
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from .resources import now_rfc3339, random_suffix


@dataclass
class DeploymentSpec:
    """How to run one long-lived component as a Deployment with a single pod."""

    name: str
    namespace: str = "panda"
    command: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)   # laid over the daemon's environment
    cwd: Optional[Path | str] = None
    labels: dict[str, str] = field(default_factory=dict)
    readiness: Optional[Callable[[], Optional[bool]]] = None  # polled until truthy -> Ready
    stop_signal: int = signal.SIGTERM
    stop_timeout_s: float = 15.0
    replicas: int = 1

    def environment(self) -> dict[str, str]:
        """The process environment: the daemon's, with this spec's values laid over it."""
        return {**os.environ, **{k: str(v) for k, v in self.env.items()}}

    def pod_labels(self) -> dict[str, str]:
        """Labels of the pods (``app=<name>`` unless the spec says otherwise)."""
        return {"app": self.name, **self.labels}

    def template_hash(self) -> str:
        """A stable 10-hex pod-template hash, as in ``<name>-<hash>-<suffix>`` pod names."""
        return hashlib.sha256(repr((self.command, sorted(self.env))).encode()).hexdigest()[:10]

    def new_pod_name(self) -> str:
        """A fresh pod name for this deployment."""
        return f"{self.name}-{self.template_hash()}-{random_suffix()}"


@dataclass
class DeploymentState:
    """What the controller tracks per deployment beyond its object."""

    spec: DeploymentSpec
    order: int
    crashes: int = 0               # consecutive quick exits, for the restart back-off
    restart_due: float | None = None
    last_pod: str | None = None
    last_exit: int | None = None
    restarts: int = 0
    readiness_error: str | None = None


def new_deployment(spec: DeploymentSpec) -> dict:
    """The Deployment object for a spec (env values are not served: they may hold passwords)."""
    labels = spec.pod_labels()
    container = {"name": spec.name, "image": "sandbox/process:local", "command": list(map(str, spec.command)),
                 "env": [{"name": k} for k in sorted(spec.env)], "imagePullPolicy": "IfNotPresent"}
    if spec.cwd is not None:
        container["workingDir"] = str(spec.cwd)
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": spec.name, "labels": dict(labels), "annotations": {"deployment.kubernetes.io/revision": "1"}},
        "spec": {
            "replicas": spec.replicas, "selector": {"matchLabels": dict(labels)},
            # Recreate: the old pod is gone before the new one starts (same ports, same data dir).
            "strategy": {"type": "Recreate"}, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
            "template": {"metadata": {"labels": dict(labels)},
                         "spec": {"containers": [container], "restartPolicy": "Always",
                                  "terminationGracePeriodSeconds": int(spec.stop_timeout_s)}},
        },
        "status": {},
    }


def update_status(deployment: dict, pods: list[dict], ready: int) -> bool:
    """Recompute the status from the deployment's live pods; True when it changed."""
    replicas = len(pods)
    desired = deployment["spec"]["replicas"]
    available = ready >= desired
    status = {"observedGeneration": deployment["metadata"].get("generation", 1),
              "replicas": replicas, "updatedReplicas": replicas, "readyReplicas": ready,
              "availableReplicas": ready}
    if replicas - ready > 0:
        status["unavailableReplicas"] = replicas - ready
    status = {k: v for k, v in status.items() if v or k in ("observedGeneration", "replicas")}
    old = deployment.get("status") or {}
    old_conditions = {c["type"]: c for c in old.get("conditions", [])}
    conditions = []
    for kind, ok, reason, message in (
            ("Available", available, "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
             "Deployment has minimum availability." if available else "Deployment does not have minimum availability."),
            ("Progressing", True, "NewReplicaSetAvailable", "ReplicaSet has successfully progressed.")):
        value = "True" if ok else "False"
        previous = old_conditions.get(kind)
        if previous and previous["status"] == value:
            conditions.append(previous)
        else:
            now = now_rfc3339()
            conditions.append({"type": kind, "status": value, "reason": reason, "message": message,
                               "lastUpdateTime": now, "lastTransitionTime": now})
    status["conditions"] = conditions
    if status == old:
        return False
    deployment["status"] = status
    return True


def scale_object(deployment: dict) -> dict:
    """The autoscaling/v1 Scale subresource of a deployment."""
    meta = deployment["metadata"]
    selector = ",".join(f"{k}={v}" for k, v in deployment["spec"]["selector"]["matchLabels"].items())
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"], "uid": meta["uid"],
                         "resourceVersion": meta["resourceVersion"],
                         "creationTimestamp": meta["creationTimestamp"]},
            "spec": {"replicas": deployment["spec"]["replicas"]},
            "status": {"replicas": deployment["status"].get("replicas", 0), "selector": selector}}
