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
