"""A kubeconfig for the sandbox cluster (plain http on loopback, no credentials)."""
from __future__ import annotations

from pathlib import Path

import yaml


def write_kubeconfig(path: Path | str, server_url: str, namespace: str = "panda") -> Path:
    """Write a kubeconfig whose current context ``sandbox`` points at ``server_url``."""
    config = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": "sandbox", "cluster": {"server": server_url}}],
        "users": [{"name": "sandbox", "user": {}}],
        "contexts": [{"name": "sandbox",
                      "context": {"cluster": "sandbox", "user": "sandbox", "namespace": namespace}}],
        "current-context": "sandbox",
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
    return path
