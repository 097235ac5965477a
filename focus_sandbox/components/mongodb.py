"""The MongoDB-wire server: nx-27017 from the virtualenv, in the foreground, data under the run dir."""
from __future__ import annotations

import signal
import sys
from pathlib import Path

import pymongo

from focus_sandbox.cluster import DeploymentSpec


def nx_27017_binary() -> Path:
    """nx-27017 as installed next to this interpreter (the project's virtualenv)."""
    return Path(sys.executable).parent / "nx-27017"


def uri(port: int) -> str:
    """The connection string of the local server."""
    return f"mongodb://127.0.0.1:{port}/"


def ready(mongodb_uri: str) -> bool:
    """Ready when the server answers ``ping``."""
    client = pymongo.MongoClient(mongodb_uri, serverSelectionTimeoutMS=1000, connectTimeoutMS=1000)
    try:
        return client.admin.command("ping").get("ok") == 1
    finally:
        client.close()


def spec(run_dir: Path, port: int) -> DeploymentSpec:
    """The mongodb Deployment."""
    root = Path(run_dir) / "mongo"
    (root / "data").mkdir(parents=True, exist_ok=True)
    command = [str(nx_27017_binary()), "--host", "127.0.0.1", "--port", str(port),
               "--data-dir", str(root / "data"), "--log-file", str(root / "nx-27017.log"),
               "--pid-file", str(root / "nx-27017.pid")]
    server_uri = uri(port)
    return DeploymentSpec(name="mongodb", namespace="panda", command=command, env={}, cwd=str(root),
                          labels={"app": "mongodb"}, readiness=lambda: ready(server_uri),
                          stop_signal=signal.SIGTERM, stop_timeout_s=10.0)
