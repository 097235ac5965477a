"""Run extra server instances in-process (tests and benchmarks).

A variant server shares the stack's cluster, broker and MongoDB but has its own defects, state
directory and job-id prefix, so several profiles can be exercised against one running stack.
"""
from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import requests
import uvicorn

from focus_sandbox.server.app import create_app
from focus_sandbox.settings import SandboxConfig


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def variant(base: SandboxConfig, run_dir: Path, generation: int, **changes) -> SandboxConfig:
    """A copy of ``base`` with its own state dir whose job ids start with ``<generation>-``."""
    state = Path(run_dir) / "focus-server"
    state.mkdir(parents=True, exist_ok=True)
    (state / "generation").write_text(str(generation - 1))  # the registry bumps it at start
    return base.model_copy(update={"run_dir": str(run_dir), **changes}, deep=True)


@contextmanager
def serve(config: SandboxConfig, timeout_s: float = 20.0, **app_kwargs) -> Iterator[str]:
    """Serve ``create_app(config)`` with uvicorn in a thread; yield its base URL, stop on exit."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(config, **app_kwargs), host="127.0.0.1", port=port,
                                           log_level="warning", timeout_keep_alive=5))
    thread = threading.Thread(target=server.run, name=f"focus-server-{port}", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    last: object = None
    while True:
        try:
            if requests.get(f"{base}/focus-server/ack", timeout=1).status_code == 200:
                break
        except requests.RequestException as exc:
            last = exc
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise TimeoutError(f"server on port {port} not answering /ack after {timeout_s} s: {last}")
        time.sleep(0.05)  # poll interval
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Infra:
    """A running sandbox stack as tests see it: its runtime.json, its config, a cluster client."""

    def __init__(self, runtime: dict):
        self.runtime = runtime
        config_path = Path(runtime["run_dir"]) / "sandbox-config.json"
        self.config = SandboxConfig.read(config_path)
        self.focus_url = runtime["focus_server_url"]
        self.web_url = runtime["web_app_url"]
        # Variant job ids must not collide with the stack server's (generation 1, 2...) nor with
        # variants of an earlier test run on the same long-lived stack.
        self._generation = 100 + int(time.time() * 10) % 10_000_000

    def kube(self):
        """A cluster client for the stack's namespace."""
        from focus_sandbox.server.kube import Kube
        return Kube(self.config.kube_api_url, self.config.namespace)

    def variant(self, run_dir: Path, *defects: str, **changes) -> SandboxConfig:
        """The stack's config with other defects and its own state dir and job-id prefix."""
        self._generation += 1
        return variant(self.config, run_dir, self._generation, defects=list(defects), **changes)


@contextmanager
def stack_infra(home: Path) -> Iterator[Infra]:
    """The stack named by FOCUS_SANDBOX_RUNTIME (a runtime.json path), else a fresh spec stack."""
    import json
    import os
    runtime_path = os.environ.get("FOCUS_SANDBOX_RUNTIME")
    if runtime_path:
        yield Infra(json.loads(Path(runtime_path).read_text()))
        return
    from focus_sandbox.stack import running_stack  # the stack daemon's test entry point
    # the run's logs stay beside its home: tests and benchmarks never write the user's reports/
    with running_stack("spec", home=home, logs_dir=Path(home) / "logs") as runtime:
        yield Infra(runtime.model_dump(mode="json"))


def wait_for(condition, timeout_s: float, what: str, interval_s: float = 0.1):
    """Poll ``condition()`` until it returns a truthy value; AssertionError with the last value seen."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval_s)  # poll interval
    raise AssertionError(f"{what}: not true within {timeout_s} s; last seen {last!r}")


def post_configure(focus_url: str, body, timeout_s: float = 30.0) -> requests.Response:
    """POST /configure, waiting out 429s as Retry-After says (never replays on 5xx)."""
    deadline = time.monotonic() + timeout_s
    while True:
        resp = requests.post(f"{focus_url}/configure", json=body, timeout=10)
        if resp.status_code != 429 or time.monotonic() > deadline:
            return resp
        time.sleep(float(resp.headers.get("Retry-After", "1")))  # the server told us how long


def job_resources(kube, job_id: str) -> dict:
    """Which of a job's cluster resources exist: name -> True/False (pods listed by label)."""
    jobs = {j["metadata"]["name"] for j in kube.list_jobs()}
    services = {s["metadata"]["name"] for s in kube.list_services()}
    pods = [p["metadata"]["name"] for p in kube.list_pods(f"focus-job-id={job_id}")]
    return {f"grpc-job-{job_id}": f"grpc-job-{job_id}" in jobs,
            f"cleanup-job-{job_id}": f"cleanup-job-{job_id}" in jobs,
            f"grpc-service-{job_id}": f"grpc-service-{job_id}" in services,
            "pods": pods}


def job_queue(kube, job_id: str) -> str | None:
    """The job's queue name, read from its janitor's env (None if the janitor Job is gone)."""
    job = kube.get_job(f"cleanup-job-{job_id}")
    if job is None:
        return None
    env = job["spec"]["template"]["spec"]["containers"][0].get("env", [])
    return next((e["value"] for e in env if e["value"].startswith(f"grpc-job-{job_id}-")), None)


def queue_exists(rabbitmq_url: str, queue: str) -> bool:
    """True when the queue exists on the broker (passive declare)."""
    import pika
    import pika.exceptions
    conn = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    try:
        conn.channel().queue_declare(queue=queue, passive=True)
        return True
    except pika.exceptions.ChannelClosedByBroker as exc:
        if exc.reply_code == 404:
            return False
        raise
    finally:
        if conn.is_open:
            conn.close()


def delete_queue(rabbitmq_url: str, queue: str) -> None:
    """Delete a queue (test cleanup)."""
    import pika
    conn = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    try:
        conn.channel().queue_delete(queue=queue)
    finally:
        conn.close()


def force_remove_job(kube, job_id: str, rabbitmq_url: str | None = None, queue: str | None = None) -> None:
    """Test cleanup: remove every resource of a job, whatever state it is in."""
    kube.delete_job(f"grpc-job-{job_id}")
    kube.delete_job(f"cleanup-job-{job_id}")
    kube.delete_service(f"grpc-service-{job_id}")
    if rabbitmq_url and queue:
        delete_queue(rabbitmq_url, queue)


class TcpProxy:
    """A TCP forwarder to one address whose connections a test can cut (a reset or a restart as clients see it).

    ``url_for(url)`` rewrites a mongodb:// or amqp:// URL to go through the proxy; ``drop_connections()``
    closes every forwarded connection while the proxy keeps accepting new ones, like a dependency
    that restarted.
    """

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, name=f"tcp-proxy-{self.port}", daemon=True).start()

    def url_for(self, url: str) -> str:
        """The same URL with host:port replaced by the proxy's."""
        return url.replace(f"{self.target[0]}:{self.target[1]}", f"127.0.0.1:{self.port}")

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # listener closed
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass  # either side went away
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed

    def drop_connections(self) -> int:
        """Close every forwarded connection; returns how many sockets were cut."""
        with self._lock:
            cut, self._open = self._open, []
        for s in cut:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed
            s.close()
        return len(cut)

    def close(self) -> None:
        """Stop accepting and cut everything."""
        self._listener.close()
        self.drop_connections()
