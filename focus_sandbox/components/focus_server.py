"""The sandbox Focus Server process (focus_sandbox.server) as the focus-server Deployment."""
from __future__ import annotations

import signal
import sys
from pathlib import Path

import requests

from focus_sandbox.cluster import DeploymentSpec

REPO_ROOT = Path(__file__).resolve().parents[2]


def ready(port: int) -> bool:
    """Ready when ``GET /focus-server/ack`` answers 200."""
    return requests.get(f"http://127.0.0.1:{port}/focus-server/ack", timeout=1).status_code == 200


def spec(config_path: Path, port: int) -> DeploymentSpec:
    """The focus-server Deployment: this interpreter running ``python -m focus_sandbox.server``."""
    command = [sys.executable, "-m", "focus_sandbox.server", "--config", str(config_path),
               "--host", "127.0.0.1", "--port", str(port)]
    return DeploymentSpec(name="focus-server", namespace="panda", command=command,
                          env={"PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}, cwd=str(REPO_ROOT),
                          labels={"app": "focus-server"}, readiness=lambda: ready(port),
                          stop_signal=signal.SIGTERM, stop_timeout_s=10.0)
