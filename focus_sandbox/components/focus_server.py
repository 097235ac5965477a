"""The sandbox Focus Server process (focus_sandbox.server) as the focus-server Deployment."""
from __future__ import annotations

import signal
import sys
from pathlib import Path

import requests

from focus_sandbox.cluster import DeploymentSpec
from focus_sandbox.tls import ServerTls

REPO_ROOT = Path(__file__).resolve().parents[2]


def ready(port: int, tls: ServerTls | None = None) -> bool:
    """Ready when ``GET /focus-server/ack`` answers 200 (over HTTPS, verified, when serving TLS)."""
    scheme, verify = ("https", str(tls.ca_bundle)) if tls else ("http", True)
    return requests.get(f"{scheme}://127.0.0.1:{port}/focus-server/ack", timeout=1, verify=verify).status_code == 200


def spec(config_path: Path, port: int, tls: ServerTls | None = None) -> DeploymentSpec:
    """The focus-server Deployment: this interpreter running ``python -m focus_sandbox.server``."""
    command = [sys.executable, "-m", "focus_sandbox.server", "--config", str(config_path),
               "--host", "127.0.0.1", "--port", str(port)]
    if tls is not None:  # HTTPS with the run's certificate, as staging's ingress serves it
        command += ["--ssl-certfile", str(tls.certfile), "--ssl-keyfile", str(tls.keyfile)]
    return DeploymentSpec(name="focus-server", namespace="panda", command=command,
                          env={"PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}, cwd=str(REPO_ROOT),
                          labels={"app": "focus-server"}, readiness=lambda: ready(port, tls),
                          stop_signal=signal.SIGTERM, stop_timeout_s=10.0)
