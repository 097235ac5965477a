"""The RabbitMQ node's private Erlang port mapper (epmd).

Left to itself, the Erlang VM starts ``epmd -daemon``, which detaches from every process group and
outlives the node. The daemon therefore runs epmd itself, in the foreground, on a private loopback
port and with a parent-death signal; the VM then finds it running and starts none. Stopping also
kills whatever epmd still listens on that port, in case one was started behind our back.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import psutil

from .lifetime import die_with_parent

EPMD_CANDIDATES = ("/usr/bin/epmd", "/usr/lib/erlang/bin/epmd")


def epmd_binary() -> str:
    """Path of the epmd program."""
    found = shutil.which("epmd") or next((p for p in EPMD_CANDIDATES if Path(p).exists()), None)
    if not found:
        raise FileNotFoundError("epmd not found (install Debian's erlang-base / rabbitmq-server)")
    return found


def start(port: int, log_path: Path) -> subprocess.Popen:
    """Start a foreground epmd listening on 127.0.0.1:port; returns once it listens."""
    env = {**os.environ, "ERL_EPMD_PORT": str(port), "ERL_EPMD_ADDRESS": "127.0.0.1"}
    with open(log_path, "ab") as log:
        process = subprocess.Popen([epmd_binary(), "-port", str(port)], env=env, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                   preexec_fn=die_with_parent(os.getpid()))
    deadline = time.monotonic() + 5.0
    while port not in listening_ports(process.pid):
        if process.poll() is not None:
            raise RuntimeError(f"epmd on port {port} exited with code {process.returncode}: "
                               f"{Path(log_path).read_text(errors='replace')[-500:]}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"epmd did not listen on port {port} within 5 s")
        time.sleep(0.02)
    return process


def listening_ports(pid: int) -> set[int]:
    """TCP ports a process listens on (empty if it is gone)."""
    try:
        return {c.laddr.port for c in psutil.Process(pid).net_connections("tcp") if c.status == psutil.CONN_LISTEN}
    except psutil.Error:
        return set()


def pids_on_port(port: int) -> list[int]:
    """Pids of epmd processes listening on ``port``."""
    found = []
    for conn in psutil.net_connections("tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
            try:
                if psutil.Process(conn.pid).name() == "epmd":
                    found.append(conn.pid)
            except psutil.Error:
                continue
    return sorted(set(found))


def stop(process: subprocess.Popen | None, port: int) -> list[int]:
    """Stop our epmd and any other epmd on its port; returns the pids that were killed."""
    killed = []
    if process is not None and process.poll() is None:
        process.kill()
        process.wait(5)
        killed.append(process.pid)
    for pid in pids_on_port(port):
        try:
            psutil.Process(pid).kill()
            killed.append(pid)
        except psutil.Error:
            continue
    return killed
