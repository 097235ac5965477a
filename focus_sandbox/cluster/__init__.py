"""A Kubernetes-compatible cluster whose pods are local processes (see docs/ARCHITECTURE.md).

``Cluster(run_dir)`` owns the objects and the processes; ``cluster.app`` is the FastAPI app that
serves them under the real API paths (serve it with uvicorn, e.g. ``timeout_graceful_shutdown=2``);
``write_kubeconfig(path, url)`` points kubectl and the official client at it.
"""
from .cluster import Cluster
from .deployments import DeploymentSpec
from .kubeconfig import write_kubeconfig

__all__ = ["Cluster", "DeploymentSpec", "write_kubeconfig"]
