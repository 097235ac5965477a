"""Discovery documents, so that kubectl and client libraries find the resources the sandbox serves."""
from __future__ import annotations

from .inventory import KUBERNETES_VERSION

_ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

# group/version -> [(resource, kind, namespaced, shortNames, verbs, categories)]
_RESOURCES = {
    "v1": [
        ("pods", "Pod", True, ["po"], _ALL_VERBS, ["all"]),
        ("pods/log", "Pod", True, [], ["get"], []),
        ("services", "Service", True, ["svc"], _ALL_VERBS, ["all"]),
        ("namespaces", "Namespace", False, ["ns"], ["get", "list", "watch"], []),
        ("nodes", "Node", False, ["no"], ["get", "list", "watch"], []),
        ("events", "Event", True, ["ev"], ["get", "list", "watch"], []),
    ],
    "batch/v1": [
        ("jobs", "Job", True, [], _ALL_VERBS, ["all"]),
    ],
    "apps/v1": [
        ("deployments", "Deployment", True, ["deploy"], _ALL_VERBS, ["all"]),
        ("deployments/scale", "Scale", True, [], ["get", "patch", "update"], []),
    ],
}
GROUPS = {"batch": "v1", "apps": "v1"}


def served_resources(group_version: str) -> set[str]:
    """Top-level resource names served under a group/version ("v1", "batch/v1")."""
    return {r[0] for r in _RESOURCES.get(group_version, []) if "/" not in r[0]}


def version() -> dict:
    """``/version``."""
    major, minor, _ = KUBERNETES_VERSION.lstrip("v").split(".")
    return {"major": major, "minor": minor, "gitVersion": KUBERNETES_VERSION, "gitCommit": "sandbox",
            "gitTreeState": "clean", "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.23",
            "compiler": "gc", "platform": "linux/amd64"}


def api_versions() -> dict:
    """``/api``: the core group's versions."""
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}


def api_group(name: str) -> dict:
    """``/apis/<group>``."""
    gv = {"groupVersion": f"{name}/{GROUPS[name]}", "version": GROUPS[name]}
    return {"kind": "APIGroup", "apiVersion": "v1", "name": name, "versions": [gv], "preferredVersion": gv}


def api_group_list() -> dict:
    """``/apis``: the named groups."""
    groups = [api_group(name) for name in GROUPS]
    for group in groups:
        group.pop("kind"), group.pop("apiVersion")
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def resource_list(group_version: str) -> dict | None:
    """``/api/v1`` or ``/apis/<group>/<version>``: the APIResourceList, None if not served."""
    if group_version not in _RESOURCES:
        return None
    resources = []
    for name, kind, namespaced, short, verbs, categories in _RESOURCES[group_version]:
        entry = {"name": name, "singularName": "" if "/" in name else kind.lower(), "namespaced": namespaced,
                 "kind": kind, "verbs": verbs}
        if name == "deployments/scale":
            entry.update({"group": "autoscaling", "version": "v1"})
        if short:
            entry["shortNames"] = short
        if categories:
            entry["categories"] = categories
        resources.append(entry)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}
