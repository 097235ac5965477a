"""Services (v1): stored objects only (nothing is proxied); NodePorts are allocated like the API does."""
from __future__ import annotations

import copy
import re

from .resources import ApiError

NODE_PORT_RANGE = range(30000, 32768)
_NAME_RE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def _invalid(name: str, message: str) -> ApiError:
    return ApiError(422, "Invalid", f'Service "{name}" is invalid: {message}',
                    {"name": name, "group": "", "kind": "Service"})


class NodePorts:
    """The NodePort allocator (30000-32767)."""

    def __init__(self) -> None:
        self._used: set[int] = set()

    def claim(self, ports: list[int]) -> None:
        """Mark ports used."""
        self._used.update(ports)

    def release(self, ports: list[int]) -> None:
        """Give ports back."""
        self._used.difference_update(ports)

    def in_use(self, port: int) -> bool:
        return port in self._used



def normalise_service(manifest: dict, node_ports: NodePorts, cluster_ip: str) -> dict:
    """Validate a posted Service, fill defaults and allocate its NodePorts (claimed on return)."""
    if not isinstance(manifest, dict):
        raise ApiError(400, "BadRequest", "the request body must be a Service object")
    service = copy.deepcopy(manifest)
    meta = service.setdefault("metadata", {}) or {}
    service["metadata"] = meta
    name = meta.get("name") or ""
    if not name or len(name) > 63 or not _NAME_RE.match(name):
        raise _invalid(name, f"metadata.name: Invalid value: {name!r}: a DNS-1035 label is required")
    spec = service.get("spec") or {}
    service["apiVersion"], service["kind"] = "v1", "Service"
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    spec.update({"clusterIP": cluster_ip, "clusterIPs": [cluster_ip], "ipFamilies": ["IPv4"],
                 "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster"})
    wants_node_port = spec["type"] in ("NodePort", "LoadBalancer")
    if wants_node_port:
        spec.setdefault("externalTrafficPolicy", "Cluster")
    claimed: list[int] = []
    for index, port in enumerate(spec.get("ports") or []):
        if not isinstance(port, dict) or not isinstance(port.get("port"), int):
            raise _invalid(name, f"spec.ports[{index}].port: Required value")
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port["port"])
        if wants_node_port:
            requested = port.get("nodePort")
            if requested is None:
                requested = port["nodePort"] = _next_unclaimed(node_ports, claimed)
            elif requested not in NODE_PORT_RANGE or node_ports.in_use(requested) or requested in claimed:
                raise _invalid(name, f"spec.ports[{index}].nodePort: Invalid value: {requested}: provided port is already allocated or out of range")
            claimed.append(requested)
    service["spec"] = spec
    service["status"] = {"loadBalancer": {}}
    node_ports.claim(claimed)
    return service


def _next_unclaimed(node_ports: NodePorts, claimed: list[int]) -> int:
    for port in NODE_PORT_RANGE:
        if not node_ports.in_use(port) and port not in claimed:
            return port
    raise ApiError(500, "InternalError", "no NodePort left in 30000-32767")


def node_ports_of(service: dict) -> list[int]:
    """The NodePorts a stored service holds."""
    return [p["nodePort"] for p in service["spec"].get("ports") or [] if p.get("nodePort")]
