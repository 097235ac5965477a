"""The OS processes behind pods: spawning with a parent-death signal, watching, stopping."""
from __future__ import annotations

import ctypes
import logging
import os
import queue
import signal
import subprocess
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Callable

import psutil

_PR_SET_PDEATHSIG = 1
_log = logging.getLogger(__name__)


def _die_with_parent(parent_pid: int) -> Callable[[], None]:
    """A preexec_fn: SIGKILL this child when its parent dies, so a killed daemon leaks nothing."""
    def preexec() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        # The parent may have died between fork and prctl: then nobody would ever signal us.
        if os.getppid() != parent_pid:
            os._exit(1)
    return preexec


class Spawner:
    """Starts processes from one long-lived thread.

    PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, not the process; API
    requests run in short-lived worker threads, so every Popen goes through this thread instead.
    """

    def __init__(self) -> None:
        self._requests: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="cluster-spawner", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            request = self._requests.get()
            if request is None:
                return
            kwargs, future = request
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(subprocess.Popen(**kwargs))
            except BaseException as exc:  # handed back to the caller, who reports it in the pod
                future.set_exception(exc)

    def popen(self, **kwargs) -> subprocess.Popen:
        """``subprocess.Popen(**kwargs)`` executed on the spawner thread."""
        if not self._thread.is_alive():
            raise RuntimeError("the cluster's spawner has stopped")
        future: Future = Future()
        self._requests.put((kwargs, future))
        return future.result()

    def close(self) -> None:
        """Stop the spawner thread (call only once every child is gone)."""
        self._requests.put(None)
        self._thread.join(timeout=5)


def exit_code_of(returncode: int) -> int:
    """A Popen return code as a container exit code (killed by signal N -> 128 + N)."""
    return 128 - returncode if returncode < 0 else returncode


class PodProcess:
    """One running pod process, in its own session, with stdout and stderr in its log file."""

    def __init__(self, spawner: Spawner, command: list[str], env: dict[str, str],
                 cwd: str | None, log_path: Path, on_exit: Callable[["PodProcess"], None]):
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            self._popen = spawner.popen(
                args=command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_die_with_parent(os.getpid()))
        self.pid = self._popen.pid
        self.started_at = time.monotonic()
        self.returncode: int | None = None
        self.exited = threading.Event()
        self._on_exit = on_exit
        threading.Thread(target=self._watch, name=f"pod-watch-{self.pid}", daemon=True).start()

    def _watch(self) -> None:
        # Wait without reaping: while the leader is a zombie its process group id cannot be
        # reused, so sweeping the group with SIGKILL cannot hit an unrelated process.
        while True:
            try:
                os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)
                break
            except InterruptedError:
                continue
            except ChildProcessError:
                break
        self._signal_group(signal.SIGKILL)  # a pod's helpers end with it, like a container's
        self.returncode = self._popen.wait()
        self.exited.set()
        try:
            self._on_exit(self)
        except Exception:  # the process is reaped either way; the owner's bookkeeping failed
            _log.exception("sandbox cluster: handling the exit of pid %s failed", self.pid)

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    @property
    def running(self) -> bool:
        """True until the process has exited and been reaped."""
        return not self.exited.is_set()

    def stop(self, stop_signal: int, timeout_s: float) -> int | None:
        """Send ``stop_signal`` to the group, wait up to ``timeout_s``, then SIGKILL the group."""
        if self.running:
            self._signal_group(stop_signal)
            if not self.exited.wait(timeout_s):
                self._signal_group(signal.SIGKILL)
                self.exited.wait(10.0)
        return self.returncode

    def pids(self) -> list[int]:
        """The process and its live descendants (empty once it has exited)."""
        if not self.running:
            return []
        try:
            children = psutil.Process(self.pid).children(recursive=True)
        except psutil.Error:
            children = []
        return [self.pid] + [c.pid for c in children]


def spawn_failure_note(log_path: Path, command: list[str], exc: BaseException) -> None:
    """Record in the pod log why its process could not start (as a runtime would)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"sandbox cluster: cannot start {command!r}: {exc}\n")


def tail(log_path: Path, lines: int) -> str:
    """The last ``lines`` lines of a log file ('' if it does not exist)."""
    if lines <= 0:
        return ""
    try:
        with open(log_path, "rb") as log:
            log.seek(0, os.SEEK_END)
            position = log.tell()
            chunk = b""
            while position > 0 and chunk.count(b"\n") <= lines:
                step = min(65536, position)
                position -= step
                log.seek(position)
                chunk = log.read(step) + chunk
    except FileNotFoundError:
        return ""
    text = chunk.decode("utf-8", errors="replace")
    kept = text.splitlines(keepends=True)[-lines:]
    return "".join(kept)
