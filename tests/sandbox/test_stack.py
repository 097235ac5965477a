"""The sandbox stack end to end: up, every component answering, status, down leaving nothing behind."""
from __future__ import annotations

import json
import os
import socket
import threading
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pika
import psutil
import pymongo
import pytest
import requests
from kubernetes import client as kube_client
from kubernetes import config as kube_config

from focus_sandbox.cluster import DeploymentSpec
from focus_sandbox.stack import control, stack_state, start_stack, stop_stack, supervisor
from focus_sandbox.stack.runtime import DAEMON_PID_FILE, REPO_ROOT, RUNTIME_FILE
from focus_support.waiting import wait_until

pytestmark = [pytest.mark.stack, pytest.mark.slow]

COMPONENT_APPS = {"rabbitmq", "mongodb", "focus-server"}


def _listening_socket() -> socket.socket:
    """A loopback socket that listens, so its port is 'in use' for the whole module."""
    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    held.bind(("127.0.0.1", 0))
    held.listen(1)
    return held


def _process_tree(pid: int) -> set[tuple[int, float]]:
    """(pid, create_time) of a process and its descendants: pid reuse cannot fool a later check."""
    root = psutil.Process(pid)
    return {(p.pid, p.create_time()) for p in [root, *root.children(recursive=True)]}


def _still_running(processes: set[tuple[int, float]]) -> list[str]:
    alive = []
    for pid, created in processes:
        try:
            process = psutil.Process(pid)
            if process.create_time() == created and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(f"{pid} {' '.join(process.cmdline())[:120]}")
        except psutil.NoSuchProcess:
            continue
    return alive


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A stack started through the public API; its port range begins at a port already in use."""
    home = tmp_path_factory.mktemp("sandbox-home")
    logs = tmp_path_factory.mktemp("sandbox-logs")
    held = _listening_socket()
    busy_port = held.getsockname()[1]
    try:
        runtime = start_stack("spec", [], home, port_base=busy_port, logs_dir=logs)
        try:
            yield {"home": home, "logs": logs, "runtime": runtime, "busy_port": busy_port,
                   "processes": _process_tree(runtime.pid)}
        finally:
            stop_stack(home)
    finally:
        held.close()


def _ports_of(runtime) -> dict[str, int]:
    urls = {"focus": runtime.focus_server_url, "mongodb": runtime.mongodb_uri, "amqp": runtime.rabbitmq_url,
            "management": runtime.rabbitmq_management_url, "kube": runtime.kube_api_url}
    ports = {name: urlsplit(url).port for name, url in urls.items()}
    ports["ssh"] = runtime.ssh.port
    return ports


def test_a_port_in_use_is_skipped(stack):
    ports = _ports_of(stack["runtime"])
    assert stack["busy_port"] not in ports.values(), (
        f"port {stack['busy_port']} was held by the test yet the stack used it: {ports}")
    assert len(set(ports.values())) == len(ports), f"two components share a port: {ports}"


def test_status_reports_ready_and_json_has_no_passwords(stack):
    runtime = stack["runtime"]
    state, read_back = stack_state(stack["home"])
    assert state == "ready" and read_back == runtime, f"stack_state gave {state!r}, {read_back!r}"
    mode = (stack["home"] / RUNTIME_FILE).stat().st_mode & 0o777
    assert mode == 0o600, f"runtime.json has mode {oct(mode)}, expected 0o600 (it holds passwords)"
    result = subprocess.run([sys.executable, "-m", "focus_sandbox", "status", "--json"], cwd=REPO_ROOT,
                            env={**os.environ, "FOCUS_SANDBOX_HOME": str(stack["home"])},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"status --json exited {result.returncode}: {result.stderr}"
    shown = json.loads(result.stdout)
    assert shown["state"] == "ready" and shown["focus_server_url"] == runtime.focus_server_url, shown
    secrets = [runtime.rabbitmq_password] + [u.password for u in runtime.web_app_users.values()]
    leaked = [s for s in secrets if s in result.stdout]
    assert not leaked, f"status --json printed {len(leaked)} password(s): {result.stdout}"


def test_focus_server_acknowledges(stack):
    response = requests.get(f"{stack['runtime'].focus_server_url}/ack", timeout=5)
    assert response.status_code == 200, f"GET /ack answered {response.status_code}: {response.text[:200]}"


def test_rabbitmq_amqp_and_management_answer(stack):
    runtime = stack["runtime"]
    queue = f"stack-test-{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(pika.URLParameters(runtime.rabbitmq_url))
    try:
        channel = connection.channel()
        channel.queue_declare(queue, auto_delete=False)
        try:
            auth = (runtime.rabbitmq_user, runtime.rabbitmq_password)
            url = f"{runtime.rabbitmq_management_url}/api/queues/%2F/{queue}"
            wait_until(lambda: requests.get(url, auth=auth, timeout=5).status_code == 200, timeout_s=10,
                       describe=f"management API lists queue {queue}")
            guest = requests.get(f"{runtime.rabbitmq_management_url}/api/overview", auth=("guest", "guest"),
                                 timeout=5)
            assert guest.status_code == 401, f"guest/guest logged in to the private node: {guest.status_code}"
        finally:
            channel.queue_delete(queue)
    finally:
        connection.close()


def test_mongodb_answers_ping(stack):
    mongo = pymongo.MongoClient(stack["runtime"].mongodb_uri, serverSelectionTimeoutMS=5000)
    try:
        assert mongo.admin.command("ping")["ok"] == 1
    finally:
        mongo.close()


def test_kube_api_lists_the_component_pods(stack):
    runtime = stack["runtime"]
    api = kube_client.CoreV1Api(kube_config.new_client_from_config(config_file=runtime.kubeconfig))
    pods = api.list_namespaced_pod(runtime.namespace).items
    running = {p.metadata.labels.get("app") for p in pods if p.status.phase == "Running"}
    assert COMPONENT_APPS <= running, f"running component pods {sorted(running)}, expected {sorted(COMPONENT_APPS)}"
    sshd_pods = api.list_namespaced_pod("sandbox-system").items
    assert [p.metadata.labels.get("app") for p in sshd_pods] == ["sshd"], sshd_pods


def test_ssh_runs_kubectl_against_the_sandbox(stack):
    ssh = stack["runtime"].ssh
    command = ["ssh", "-i", ssh.key_file, "-o", f"UserKnownHostsFile={ssh.known_hosts_file}",
               "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
               "-p", str(ssh.port), f"{ssh.user}@{ssh.host}", f"{ssh.kubectl} get pods -n panda -o json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"ssh kubectl exited {result.returncode}: {result.stderr[-800:]}"
    apps = {item["metadata"]["labels"].get("app") for item in json.loads(result.stdout)["items"]}
    assert COMPONENT_APPS <= apps, f"kubectl over ssh listed apps {sorted(apps)}"


def test_down_stops_every_process_and_removes_the_run_dir(stack):
    runtime, home = stack["runtime"], stack["home"]
    processes = stack["processes"] | _process_tree(runtime.pid)
    ports = _ports_of(runtime)
    assert stop_stack(home) is True, "stop_stack found no running stack"
    left = _still_running(processes)
    assert not left, f"processes of the run still running after down: {left}"
    assert not Path(runtime.run_dir).exists(), f"run dir {runtime.run_dir} still exists after down"
    for name in (RUNTIME_FILE, DAEMON_PID_FILE):
        assert not (home / name).exists(), f"{name} still exists after down"
    listening = {c.laddr.port for c in psutil.net_connections("tcp") if c.status == psutil.CONN_LISTEN}
    still = {name: port for name, port in ports.items() if port in listening}
    assert not still, f"ports of the run still listening after down: {still}"
    kept = list((stack["logs"] / Path(runtime.run_dir).name).rglob("*.log"))
    assert kept, f"no logs kept under {stack['logs']}"
    assert stop_stack(home) is False, "a second down claimed to stop a stack"


def test_a_component_that_fails_stops_the_rest_and_reports_its_log_tail(tmp_path, monkeypatch):
    """The supervisor in-process, with a Focus Server whose command dies at once."""
    def dying_focus_server(config_path, port, tls=None):
        code = "import sys; print('focus-server: cannot start, simulated failure', flush=True); sys.exit(3)"
        return DeploymentSpec(name="focus-server", namespace="panda", command=[sys.executable, "-c", code],
                              labels={"app": "focus-server"}, readiness=lambda: False)

    monkeypatch.setattr(supervisor.focus_server, "spec", dying_focus_server)
    run = supervisor.Stack(tmp_path, supervisor.StackOptions(), threading.Event())
    started: set[tuple[int, float]] = set()
    try:
        with pytest.raises(supervisor.ComponentFailed) as failure:
            run.start()
        started = {(pid, psutil.Process(pid).create_time()) for pid in run.cluster.pids()
                   if psutil.pid_exists(pid)}
    finally:
        run.stop(logs_dir=None)
    message = str(failure.value)
    assert "focus-server" in message and "simulated failure" in message, (
        f"the failure report lacks the component name or its log tail: {message}")
    assert started, "no other component was running when the failure was detected"
    left = _still_running(started)
    assert not left, f"components still running after the failed start was cleaned up: {left}"
    assert not run.run_dir.exists(), f"run dir {run.run_dir} left behind"
    assert control.daemon_pid(tmp_path) is None
