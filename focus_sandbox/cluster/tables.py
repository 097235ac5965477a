"""Server-side printing: the ``Table`` responses ``kubectl get`` asks for when it prints columns."""
from __future__ import annotations

import datetime as _dt


def wants_table(accept: str | None) -> bool:
    """True when the client prefers a meta.k8s.io Table (kubectl's human-readable output)."""
    return bool(accept) and "as=Table" in accept


def _parse(timestamp: str) -> _dt.datetime:
    return _dt.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)


def _age(timestamp: str | None, until: str | None = None) -> str:
    """kubectl's short durations ("42s", "3m12s", "5h") from a timestamp to now (or ``until``)."""
    if not timestamp:
        return "<unknown>"
    end = _parse(until) if until else _dt.datetime.now(_dt.timezone.utc)
    seconds = max(0, int((end - _parse(timestamp)).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60}s" if seconds < 600 else f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{(seconds % 3600) // 60}m" if seconds < 36000 else f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _pod_status(pod: dict) -> str:
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    status = pod["status"]
    for container in status.get("containerStatuses", []):
        terminated = container["state"].get("terminated")
        if terminated:
            return terminated.get("reason", "Error")
    return status.get("phase", "Unknown")


def _pod_row(pod: dict) -> list:
    statuses = pod["status"].get("containerStatuses", [])
    ready = sum(1 for c in statuses if c.get("ready"))
    return [pod["metadata"]["name"], f"{ready}/{len(pod['spec']['containers'])}", _pod_status(pod),
            sum(c.get("restartCount", 0) for c in statuses), _age(pod["metadata"].get("creationTimestamp")),
            pod["status"].get("podIP", "<none>"), pod["spec"].get("nodeName", "<none>")]


def _job_row(job: dict) -> list:
    status = job["status"]
    conditions = {c["type"] for c in status.get("conditions", []) if c["status"] == "True"}
    state = "Complete" if "Complete" in conditions else "Failed" if "Failed" in conditions else "Running"
    return [job["metadata"]["name"], state, f"{status.get('succeeded', 0)}/{job['spec'].get('completions', 1)}",
            _age(status.get("startTime"), status.get("completionTime")),
            _age(job["metadata"].get("creationTimestamp"))]


def _deployment_row(dep: dict) -> list:
    status = dep["status"]
    return [dep["metadata"]["name"], f"{status.get('readyReplicas', 0)}/{dep['spec']['replicas']}",
            status.get("updatedReplicas", 0), status.get("availableReplicas", 0),
            _age(dep["metadata"].get("creationTimestamp"))]


def _service_row(svc: dict) -> list:
    spec = svc["spec"]
    ports = ",".join(f"{p['port']}:{p['nodePort']}/{p['protocol']}" if p.get("nodePort") else f"{p['port']}/{p['protocol']}"
                     for p in spec.get("ports") or []) or "<none>"
    return [svc["metadata"]["name"], spec.get("type", "ClusterIP"), spec.get("clusterIP", "<none>"), "<none>",
            ports, _age(svc["metadata"].get("creationTimestamp"))]


def _node_row(node: dict) -> list:
    ready = any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"].get("conditions", []))
    return [node["metadata"]["name"], "Ready" if ready else "NotReady", "<none>",
            _age(node["metadata"].get("creationTimestamp")), node["status"]["nodeInfo"]["kubeletVersion"]]


def _generic_row(obj: dict) -> list:
    return [obj["metadata"]["name"], obj.get("status", {}).get("phase", ""), _age(obj["metadata"].get("creationTimestamp"))]


_COLUMNS = {
    "pods": (["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node"], _pod_row),
    "jobs": (["Name", "Status", "Completions", "Duration", "Age"], _job_row),
    "deployments": (["Name", "Ready", "Up-to-date", "Available", "Age"], _deployment_row),
    "services": (["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"], _service_row),
    "nodes": (["Name", "Status", "Roles", "Age", "Version"], _node_row),
}
_WIDE_ONLY = {"IP", "Node"}


def table_for(resource: str, items: list[dict], revision: int) -> dict:
    """A meta.k8s.io/v1 Table of the objects, with PartialObjectMetadata rows."""
    names, row = _COLUMNS.get(resource, (["Name", "Status", "Age"], _generic_row))
    columns = [{"name": n, "type": "integer" if n == "Restarts" else "string",
                "format": "name" if n == "Name" else "", "description": n,
                "priority": 1 if n in _WIDE_ONLY else 0} for n in names]
    rows = [{"cells": row(obj), "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                           "metadata": obj["metadata"]}} for obj in items]
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": str(revision)},
            "columnDefinitions": columns, "rows": rows}
