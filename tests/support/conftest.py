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


def _stack(tmp_path_factory, name: str, **options):
    """Start a private sandbox stack; yield a SuiteContext on it; close and stop it afterwards."""
    from focus_sandbox.stack import running_stack
    from focus_support.config import load_environment
    from focus_support.context import SuiteContext

    home = tmp_path_factory.mktemp(name)
    with running_stack(home=home, logs_dir=home / "logs", **options):
        ctx = SuiteContext(load_environment("local", environ={"FOCUS_SANDBOX_HOME": str(home)}))
        try:
            yield ctx
        finally:
            ctx.sweep()
            ctx.close()


@pytest.fixture(scope="session")
def spec_stack(tmp_path_factory):
    """The sandbox in the spec profile (shared by the integration tests; destructive ones restore it)."""
    yield from _stack(tmp_path_factory, "spec-stack", profile="spec")


@pytest.fixture(scope="session")
def observed_stack(tmp_path_factory):
    """The sandbox replaying the observed defects (no cancel route, janitor keeps queues...)."""
    yield from _stack(tmp_path_factory, "observed-stack", profile="observed")


@pytest.fixture
def ctx(spec_stack):
    """The spec stack's context with a fresh scenario; the scenario is cleaned up afterwards."""
    state = spec_stack.new_scenario("pytest")
    spec_stack.state = state
    yield spec_stack
    report = spec_stack.finish_scenario(state)
    assert report.clean, report.describe()


@pytest.fixture(scope="session")
def fibreless_stack(tmp_path_factory):
    """The sandbox while the interrogator has no fibre (prr 0, configure answers 503)."""
    yield from _stack(tmp_path_factory, "fibreless-stack", profile="spec", waiting_for_fibre=True)
