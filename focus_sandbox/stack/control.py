"""Start, stop and inspect the stack daemon from another process (the CLI and pytest fixtures)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import psutil

from focus_sandbox import defects as defect_switches

from .runtime import (DAEMON_LOG_FILE, DAEMON_PID_FILE, REPO_ROOT, RUNTIME_FILE, Runtime, read_daemon_pid,
                      sandbox_home)

START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 60.0
_POLL_S = 0.05
_children: dict[int, subprocess.Popen] = {}  # daemons this process spawned, reaped at stop


class StackError(RuntimeError):
    """The stack could not be started or stopped; the message says why."""


def daemon_pid(home: Path | str | None = None) -> int | None:
    """The pid of the live daemon of ``home``, or None."""
    pid = read_daemon_pid(sandbox_home(home))
    if pid is None:
        return None
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return pid
    except psutil.NoSuchProcess:
        return None


def start_stack(profile: str = "spec", defects: list[str] | tuple[str, ...] = (), home: Path | str | None = None,
                *, mongodb_uri: str | None = None, waiting_for_fibre: bool = False, port_base: int | None = None,
                logs_dir: Path | str | None = None, timeout_s: float = START_TIMEOUT_S,
                shape: str = "local") -> Runtime:
    """Start the daemon detached and return the runtime once every component is ready.

    Raises ValueError for an unknown profile or defect switch, StackError when a stack already runs
    from ``home`` or a component fails (the message carries the daemon's error output).
    """
    defects = list(defects or ())
    defect_switches.resolve(profile, defects)  # fail fast, before spawning anything
    home = sandbox_home(home)
    home.mkdir(parents=True, exist_ok=True)
    running = daemon_pid(home)
    if running is not None:
        raise StackError(f"a sandbox stack already runs from {home} (daemon pid {running}); "
                         f"stop it first: python -m focus_sandbox down")
    _clear_stale(home)
    command = [sys.executable, "-m", "focus_sandbox.stack.daemon", "--home", str(home), "--profile", profile,
               "--spawned-at", repr(time.time())]
    for name in defects:
        command += ["--defect", name]
    if mongodb_uri:
        command += ["--mongodb-uri", mongodb_uri]
    if waiting_for_fibre:
        command.append("--waiting-for-fibre")
    if port_base is not None:
        command += ["--port-base", str(port_base)]
    if logs_dir is not None:
        command += ["--logs-dir", str(logs_dir)]
    if shape != "local":
        command += ["--shape", shape]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
           "PYTHONUNBUFFERED": "1"}
    with open(home / DAEMON_LOG_FILE, "wb") as log:
        daemon = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                  cwd=REPO_ROOT, env=env, start_new_session=True)
    _children[daemon.pid] = daemon
    try:
        return _wait_until_ready(home, daemon, timeout_s)
    except BaseException:
        # Interrupted (Ctrl-C) or timed out: a half-started stack must not outlive the caller.
        if daemon.poll() is None:
            if daemon_pid(home) == daemon.pid:
                stop_stack(home)
            else:  # it has not claimed the home yet, so it owns no process: just end it
                daemon.terminate()
                daemon.wait(STOP_TIMEOUT_S)
                _children.pop(daemon.pid, None)
        raise


def _wait_until_ready(home: Path, daemon: subprocess.Popen, timeout_s: float) -> Runtime:
    deadline = time.monotonic() + timeout_s
    while True:
        runtime = Runtime.read(home)
        if runtime is not None and runtime.pid == daemon.pid:
            return runtime
        if daemon.poll() is not None:
            _children.pop(daemon.pid, None)
            raise StackError(f"the sandbox daemon exited with code {daemon.returncode} before the stack "
                             f"was ready:\n{daemon_log(home)}")
        if time.monotonic() >= deadline:
            raise StackError(f"the sandbox stack was not ready within {timeout_s:.0f} s; daemon output:\n"
                             f"{daemon_log(home)}")
        time.sleep(_POLL_S)


def stop_stack(home: Path | str | None = None, timeout_s: float = STOP_TIMEOUT_S) -> bool:
    """SIGTERM the daemon and wait until it and every process it owned are gone.

    Returns False when no stack was running. Raises StackError if processes survive ``timeout_s``
    (after a last SIGKILL of the daemon, whose children die with it).
    """
    home = sandbox_home(home)
    pid = daemon_pid(home)
    if pid is None:
        _clear_stale(home)
        _reap(read_daemon_pid(home))
        return False
    owned = _process_tree(pid)
    os.kill(pid, signal.SIGTERM)
    _reap_when_gone(pid, timeout_s)
    _, alive = psutil.wait_procs(owned, timeout=max(1.0, timeout_s / 4))
    if alive:
        for process in alive:  # last resort; PR_SET_PDEATHSIG covers the daemon's own children
            try:
                process.kill()
            except psutil.Error:
                pass
        _, alive = psutil.wait_procs(alive, timeout=5)
    _reap(pid)
    _clear_stale(home)
    if alive:
        raise StackError(f"processes of the sandbox run survived stop: {[p.pid for p in alive]}")
    return True


@contextmanager
def running_stack(profile: str = "spec", defects: list[str] | tuple[str, ...] = (),
                  home: Path | str | None = None, **options) -> Iterator[Runtime]:
    """``with running_stack(...) as runtime:`` — the stack is stopped on every way out."""
    runtime = start_stack(profile, defects, home, **options)
    try:
        yield runtime
    finally:
        stop_stack(home)


def stack_state(home: Path | str | None = None) -> tuple[str, Runtime | None]:
    """("ready", runtime) | ("starting", None) | ("stopped", None)."""
    home = sandbox_home(home)
    pid = daemon_pid(home)
    if pid is None:
        return "stopped", None
    runtime = Runtime.read(home)
    if runtime is not None and runtime.pid == pid:
        return "ready", runtime
    return "starting", None


def daemon_log(home: Path | str | None = None, max_chars: int = 6000) -> str:
    """The end of the daemon's output (where start-up errors and log tails are printed)."""
    try:
        text = (sandbox_home(home) / DAEMON_LOG_FILE).read_text(errors="replace")
    except FileNotFoundError:
        return "(no daemon output)"
    return text[-max_chars:].rstrip()


def _process_tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root] + root.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _reap_when_gone(pid: int, timeout_s: float) -> None:
    """Wait for the daemon to exit; SIGKILL it (its children die with it) after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        child = _children.get(pid)
        if child is not None and child.poll() is not None:
            return
        if child is None and daemon_pid_alive(pid) is False:
            return
        time.sleep(_POLL_S)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def daemon_pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _reap(pid: int | None) -> None:
    child = _children.pop(pid, None) if pid is not None else None
    if child is not None:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _clear_stale(home: Path) -> None:
    """Remove state files and run dirs left by daemons that no longer run (e.g. killed with -9)."""
    live = daemon_pid(home)
    if live is None:
        (home / RUNTIME_FILE).unlink(missing_ok=True)
        (home / DAEMON_PID_FILE).unlink(missing_ok=True)
    for run_dir in home.glob("run-*-*"):
        owner = run_dir.name.rsplit("-", 1)[1]
        if owner.isdigit() and int(owner) != live and not daemon_pid_alive(int(owner)):
            shutil.rmtree(run_dir, ignore_errors=True)
