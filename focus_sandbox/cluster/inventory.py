"""The fixed objects of the sandbox cluster: its namespaces and its single node."""
from __future__ import annotations

import platform

from .pods import NODE_LABELS, NODE_NAME

KUBERNETES_VERSION = "v1.32.0"


def namespace_object(name: str) -> dict:
    """An Active namespace."""
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def node_object() -> dict:
    """The one Ready node every schedulable pod runs on (this machine)."""
    uname = platform.uname()
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": NODE_NAME, "labels": dict(NODE_LABELS)},
        "spec": {},
        "status": {
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "message": "sandbox node is ready"}],
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                          {"type": "Hostname", "address": NODE_NAME}],
            "nodeInfo": {"architecture": "amd64", "bootID": "sandbox", "containerRuntimeVersion": "sandbox://1.0",
                         "kernelVersion": uname.release, "kubeProxyVersion": KUBERNETES_VERSION,
                         "kubeletVersion": KUBERNETES_VERSION, "machineID": "sandbox",
                         "operatingSystem": "linux", "osImage": uname.system, "systemUUID": "sandbox"},
            "capacity": {"cpu": "2", "memory": "24Gi", "pods": "110"},
            "allocatable": {"cpu": "2", "memory": "24Gi", "pods": "110"},
        },
    }
