"""Pod objects and their status transitions (Pending -> Running -> Succeeded/Failed)."""
from __future__ import annotations

from .resources import now_rfc3339

NODE_NAME = "sandbox-node"
NODE_LABELS = {"kubernetes.io/hostname": NODE_NAME, "kubernetes.io/os": "linux",
               "kubernetes.io/arch": "amd64"}
PID_ANNOTATION = "sandbox.focus/pid"
DEFAULT_IMAGE = "sandbox/process:local"


def schedulable(node_selector: dict | None) -> bool:
    """True when the sandbox's only node carries every label of the selector."""
    return all(NODE_LABELS.get(k) == v for k, v in (node_selector or {}).items())


def _condition(kind: str, status: bool, reason: str | None = None, message: str | None = None) -> dict:
    cond = {"type": kind, "status": "True" if status else "False",
            "lastProbeTime": None, "lastTransitionTime": now_rfc3339()}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def new_pod(name: str, labels: dict, container: dict, *, restart_policy: str,
            node_selector: dict | None, grace_s: float, owner: dict | None) -> dict:
    """A Pending pod object for one container (the container dict is a Kubernetes Container)."""
    container = {"image": DEFAULT_IMAGE, "imagePullPolicy": "IfNotPresent", **container}
    metadata: dict = {"name": name, "labels": dict(labels), "annotations": {}}
    if owner:
        metadata["ownerReferences"] = [owner]
    spec = {"containers": [container], "restartPolicy": restart_policy,
            "terminationGracePeriodSeconds": int(grace_s), "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler", "serviceAccountName": "default"}
    if node_selector:
        spec["nodeSelector"] = dict(node_selector)
    status = {"phase": "Pending", "qosClass": "BestEffort", "conditions": []}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


def _container_status(pod: dict, state: dict, ready: bool, pid: int | None) -> dict:
    container = pod["spec"]["containers"][0]
    status = {"name": container["name"], "image": container["image"],
              "imageID": f"sandbox://{container['image']}", "ready": ready,
              "restartCount": 0, "started": "running" in state, "state": state}
    if pid is not None:
        status["containerID"] = f"sandbox://{pid}"
    return status


def mark_unschedulable(pod: dict) -> None:
    """Leave the pod Pending with the scheduler's reason, as a real cluster does."""
    selector = pod["spec"].get("nodeSelector", {})
    message = (f"0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector "
               f"({selector}). preemption: 0/1 nodes are available: 1 Preemption is not helpful "
               f"for scheduling.")
    pod["status"]["conditions"] = [_condition("PodScheduled", False, "Unschedulable", message)]


def mark_running(pod: dict, pid: int) -> None:
    """The pod's process has started."""
    started = now_rfc3339()
    pod["metadata"]["annotations"][PID_ANNOTATION] = str(pid)
    pod["spec"]["nodeName"] = NODE_NAME
    pod["status"].update({
        "phase": "Running", "hostIP": "127.0.0.1", "podIP": "127.0.0.1",
        "hostIPs": [{"ip": "127.0.0.1"}], "podIPs": [{"ip": "127.0.0.1"}], "startTime": started,
        "conditions": [_condition("PodScheduled", True), _condition("Initialized", True),
                       _condition("ContainersReady", False, "ContainersNotReady"),
                       _condition("Ready", False, "ContainersNotReady")],
        "containerStatuses": [_container_status(pod, {"running": {"startedAt": started}}, False, pid)],
    })


def mark_ready(pod: dict) -> None:
    """The readiness check passed."""
    conditions = pod["status"].get("conditions", [])
    for index, cond in enumerate(conditions):
        if cond["type"] in ("Ready", "ContainersReady"):
            conditions[index] = _condition(cond["type"], True)
    for status in pod["status"].get("containerStatuses", []):
        status["ready"] = True


def mark_terminated(pod: dict, exit_code: int, *, message: str | None = None) -> None:
    """The pod's process ended (or never could start): phase Succeeded or Failed."""
    finished = now_rfc3339()
    started = pod["status"].get("startTime", finished)
    pid = pod["metadata"]["annotations"].get(PID_ANNOTATION)
    terminated = {"exitCode": exit_code, "reason": "Completed" if exit_code == 0 else "Error",
                  "startedAt": started, "finishedAt": finished}
    if message:
        terminated["message"] = message
    pod["spec"]["nodeName"] = NODE_NAME
    pod["status"].update({
        "phase": "Succeeded" if exit_code == 0 else "Failed",
        "startTime": started, "hostIP": "127.0.0.1", "podIP": "127.0.0.1",
        "conditions": [_condition("PodScheduled", True), _condition("Initialized", True),
                       _condition("ContainersReady", False, "PodCompleted"),
                       _condition("Ready", False, "PodCompleted")],
        "containerStatuses": [_container_status(pod, {"terminated": terminated}, False,
                                                int(pid) if pid else None)],
    })


def mark_terminating(pod: dict) -> None:
    """The pod was deleted and is being stopped."""
    pod["metadata"]["deletionTimestamp"] = now_rfc3339()
    pod["metadata"]["deletionGracePeriodSeconds"] = pod["spec"].get("terminationGracePeriodSeconds", 30)


def is_ready(pod: dict) -> bool:
    """True when the pod's Ready condition is True."""
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in pod["status"].get("conditions", []))
