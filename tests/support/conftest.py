"""Fixtures for the support library's tests: a scripted HTTP server and an environment built on it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.scripted_server import ScriptedServer


@pytest.fixture
def server():
    """A scripted HTTP server on loopback, stopped afterwards."""
    with ScriptedServer() as s:
        yield s


@pytest.fixture
def no_sleep():
    """A sleep stand-in that records the delays the code asked for (backoff is not what is tested)."""
    delays: list[float] = []
    yield delays


def write_runtime(home: Path, **overrides) -> Path:
    """A runtime.json shaped as the sandbox writes it (values are placeholders)."""
    doc = {
        "pid": 1, "run_dir": str(home), "focus_server_url": "http://127.0.0.1:9/focus-server",
        "web_app_url": "http://127.0.0.1:9/prisma/api", "site_id": "prisma-210-1000",
        "web_app_users": {"qa": {"password": "qa-secret", "can_delete": True},
                          "viewer": {"password": "viewer-secret", "can_delete": False}},
        "mongodb_uri": "mongodb://127.0.0.1:9/", "rabbitmq_url": "amqp://focus:rabbit-secret@127.0.0.1:9/%2F",
        "rabbitmq_management_url": "http://127.0.0.1:9", "rabbitmq_user": "focus",
        "rabbitmq_password": "rabbit-secret", "kube_api_url": "http://127.0.0.1:9",
        "kubeconfig": str(home / "kubeconfig"), "namespace": "panda",
        "ssh": {"host": "127.0.0.1", "port": 9, "user": "qa", "key_file": str(home / "key"),
                "known_hosts_file": str(home / "known_hosts"), "kubectl": "kubectl"},
        "timings": {"job_start_timeout_s": 5, "job_idle_timeout_s": 8, "cleanup_timeout_s": 6},
        "rate_limit": {"capacity": 5, "refill_per_s": 2.0}, "capacity": 60,
    }
    doc.update(overrides)
    path = home / "runtime.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture
def sandbox_home(tmp_path: Path) -> Path:
    """A FOCUS_SANDBOX_HOME holding a placeholder runtime.json."""
    write_runtime(tmp_path)
    return tmp_path
