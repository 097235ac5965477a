"""A real sandbox cluster (Kubernetes-compatible API over OS processes) with a private sshd whose
users run Debian's kubectl against it: both routes of ``KubernetesManager`` reach the same cluster."""
from __future__ import annotations

import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from focus_sandbox.cluster import Cluster, DeploymentSpec, write_kubeconfig
from focus_sandbox.components import sshd
from focus_support.config import KubernetesSettings, SshRouteSettings
from focus_support.waiting import wait_for_infra

NS = "panda"
SLEEP = "import time, sys; print('started', flush=True); time.sleep(600)"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ClusterAccess:
    cluster: Cluster
    api_url: str
    kubeconfig: Path
    ssh: sshd.SshAccess

    def settings(self, *, kubeconfig: bool = True, ssh: bool = True, jump: bool = False) -> KubernetesSettings:
        """Settings for the manager: either or both routes (``jump`` goes through sshd to itself)."""
        route = SshRouteSettings(
            host=self.ssh.host, port=self.ssh.port, user=self.ssh.user, key_file=str(self.ssh.key_file),
            known_hosts_file=str(self.ssh.known_hosts_file), kubectl=f"kubectl --kubeconfig {self.kubeconfig}",
            jump_host=self.ssh.host if jump else None, jump_port=self.ssh.port, timeout_s=30)
        return KubernetesSettings(namespace=NS, kubeconfig=str(self.kubeconfig) if kubeconfig else None,
                                  ssh=route if ssh else None)


def start(run_dir: Path):
    """Start cluster, API and sshd; returns (access, stop function)."""
    cluster = Cluster(run_dir=run_dir / "run")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(cluster.app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, name="cluster-api", daemon=True)
    thread.start()
    wait_for_infra(lambda: server.started, 15, 0.02, "the cluster API to serve")
    api_url = f"http://127.0.0.1:{port}"
    kubeconfig = write_kubeconfig(run_dir / "kubeconfig", api_url)
    access = sshd.prepare(run_dir, free_port())
    cluster.add_deployment(sshd.spec(access))
    cluster.wait_ready("sshd", 20, namespace=sshd.NAMESPACE)
    cluster.add_deployment(DeploymentSpec(name="focus-server", namespace=NS, command=[sys.executable, "-c", SLEEP],
                                          stop_timeout_s=5.0))
    cluster.wait_ready("focus-server", 20)

    def stop() -> None:
        cluster.shutdown()
        server.should_exit = True
        thread.join(timeout=10)

    return ClusterAccess(cluster, api_url, kubeconfig, access), stop
