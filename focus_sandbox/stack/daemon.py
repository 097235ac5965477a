"""The supervisor daemon: owns every process of one sandbox run until SIGTERM/SIGINT.

Started detached by ``python -m focus_sandbox up`` (or ``focus_sandbox.stack.start_stack``) as
``python -m focus_sandbox.stack.daemon --home H [...]``; its stdout/stderr go to ``H/daemon.log``.
Exit codes: 0 stopped on request, 1 a component failed to start, 2 bad arguments, 3 already running.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from focus_sandbox import defects as defect_switches

from .runtime import DAEMON_PID_FILE, RUNTIME_FILE, default_logs_dir, read_daemon_pid, sandbox_home
from .supervisor import ComponentFailed, Stack, StackOptions, StopRequested


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m focus_sandbox.stack.daemon")
    parser.add_argument("--home", required=True)
    parser.add_argument("--profile", default="spec")
    parser.add_argument("--defect", action="append", default=[])
    parser.add_argument("--mongodb-uri")
    parser.add_argument("--waiting-for-fibre", action="store_true")
    parser.add_argument("--port-base", type=int)
    parser.add_argument("--shape", default="local", choices=("local", "rehearsal"),
                        help="rehearsal: staging's shape (HTTPS, SSH via a jump host; focus_sandbox.rehearsal)")
    parser.add_argument("--spawned-at", type=float, help="time.time() of the spawn, for started_in_s")
    parser.add_argument("--logs-dir", help="where the run's logs are copied at stop (default reports/sandbox-logs)")
    return parser.parse_args(argv)


def _claim_pid_file(home: Path) -> bool:
    """Record our pid; False when another live daemon already owns this home."""
    path = home / DAEMON_PID_FILE
    other = read_daemon_pid(home)
    if other is not None and other != os.getpid() and _alive(other):
        return False
    path.write_text(f"{os.getpid()}\n")
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _release(home: Path) -> None:
    (home / RUNTIME_FILE).unlink(missing_ok=True)
    if read_daemon_pid(home) == os.getpid():
        (home / DAEMON_PID_FILE).unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    """Run the stack until asked to stop; see the module docstring for exit codes."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    try:
        active = defect_switches.resolve(args.profile, args.defect)
    except ValueError as bad:
        print(f"[daemon] {bad}", file=sys.stderr, flush=True)
        return 2
    home = sandbox_home(args.home)
    home.mkdir(parents=True, exist_ok=True)
    if not _claim_pid_file(home):
        print(f"[daemon] a sandbox stack already runs from {home} (pid {read_daemon_pid(home)})",
              file=sys.stderr, flush=True)
        return 3

    stop_requested = threading.Event()

    def on_signal(signum, _frame):
        # Only set a flag: raising here could cut a cluster operation in half.
        print(f"[daemon] {signal.Signals(signum).name} received, stopping", flush=True)
        stop_requested.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # survive the terminal that ran `up` closing

    options = StackOptions(profile=args.profile, defects=active, mongodb_uri=args.mongodb_uri,
                           waiting_for_fibre=args.waiting_for_fibre, port_base=args.port_base,
                           spawned_at=args.spawned_at, shape=args.shape)
    logs_dir = Path(args.logs_dir) if args.logs_dir else default_logs_dir()
    stack = Stack(home, options, stop_requested)
    code = 0
    try:
        runtime = stack.start()
        runtime.write(home)
        print(f"[daemon] stack ready in {runtime.started_in_s:.2f} s (shape {args.shape}, profile {args.profile}, "
              f"defects: {', '.join(active) or 'none'})", flush=True)
        while not stop_requested.wait(0.5):
            pass
    except StopRequested:
        print("[daemon] stopped while starting", flush=True)
    except ComponentFailed as failure:
        print(f"[daemon] {failure}", file=sys.stderr, flush=True)
        code = 1
    except Exception:  # any other start-up error: report it whole, then clean up like a failure
        print("[daemon] start-up error:\n" + traceback.format_exc(), file=sys.stderr, flush=True)
        code = 1
    finally:
        (home / RUNTIME_FILE).unlink(missing_ok=True)  # clients must not use a stack that is going
        began = time.monotonic()
        try:
            stack.stop(logs_dir)
        finally:
            print(f"[daemon] stopped in {time.monotonic() - began:.2f} s", flush=True)
            _release(home)
    return code


if __name__ == "__main__":
    exit_code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything is stopped and cleaned by now; skip interpreter finalisation (~0.7 s with the
    # web stack loaded) so `down` returns sooner.
    os._exit(exit_code)
