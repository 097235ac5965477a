"""A Kubernetes-compatible cluster whose pods are local processes (see docs/ARCHITECTURE.md)."""
from .cluster import Cluster
from .deployments import DeploymentSpec
from .kubeconfig import write_kubeconfig

__all__ = ["Cluster", "DeploymentSpec", "write_kubeconfig"]
