"""``python -m focus_sandbox up|down|status|defects``: the sandbox stack's command line."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

from focus_sandbox import defects as defect_switches
from focus_sandbox.stack import StackError, sandbox_home, stack_state, start_stack, stop_stack
from focus_sandbox.stack.runtime import Runtime


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m focus_sandbox",
                                     description="The local Focus Server sandbox stack.")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the stack in the background and wait until it is ready")
    up.add_argument("--profile", default=os.environ.get("FOCUS_SANDBOX_PROFILE", "spec"),
                    help="spec (default, or $FOCUS_SANDBOX_PROFILE) or observed")
    up.add_argument("--defect", action="append", default=None, metavar="NAME",
                    help="add a defect switch (repeatable; default $FOCUS_SANDBOX_DEFECTS=a,b)")
    up.add_argument("--mongodb-uri", help="use this MongoDB instead of starting nx-27017")
    up.add_argument("--waiting-for-fibre", action="store_true", help="start with no live fibre (prr 0)")
    up.add_argument("--shape", default="local", choices=("local", "rehearsal"),
                    help="rehearsal: staging's shape - HTTPS with a private CA, the cluster only over SSH "
                         "through a jump host, separate accounts (focus_sandbox.rehearsal)")
    commands.add_parser("down", help="stop the stack and every process it started")
    status = commands.add_parser("status", help="show whether the stack runs and where")
    status.add_argument("--json", action="store_true", help="one JSON object of URLs (no passwords)")
    commands.add_parser("defects", help="list the profiles' defect switches")
    return parser


def _defects_from(args: argparse.Namespace) -> list[str]:
    if args.defect is not None:
        return args.defect
    return [name.strip() for name in os.environ.get("FOCUS_SANDBOX_DEFECTS", "").split(",") if name.strip()]


def _up(args: argparse.Namespace) -> int:
    defects = _defects_from(args)
    try:
        defect_switches.resolve(args.profile, defects)
    except ValueError as bad:
        print(f"error: {bad}", file=sys.stderr)
        return 2
    state, runtime = stack_state()
    if state != "stopped":
        pid = runtime.pid if runtime else "?"
        print(f"error: a sandbox stack is already {state} from {sandbox_home()} (daemon pid {pid}); "
              f"stop it first: python -m focus_sandbox down", file=sys.stderr)
        return 1
    began = time.monotonic()
    print(f"Starting the sandbox stack (profile {args.profile}, defects: {', '.join(defects) or 'none'}) ...",
          flush=True)
    try:
        runtime = start_stack(args.profile, defects, mongodb_uri=args.mongodb_uri,
                              waiting_for_fibre=args.waiting_for_fibre, shape=args.shape)
    except StackError as failure:
        print(f"error: {failure}", file=sys.stderr)
        return 1
    print(f"Sandbox stack ready in {time.monotonic() - began:.1f} s "
          f"(daemon start to ready {runtime.started_in_s:.1f} s).")
    print(_table(runtime))
    return 0


def _down() -> int:
    home = sandbox_home()
    began = time.monotonic()
    try:
        stopped = stop_stack(home)
    except StackError as failure:
        print(f"error: {failure}", file=sys.stderr)
        return 1
    if not stopped:
        print(f"No sandbox stack is running (state directory {home}).")
        return 0
    print(f"Sandbox stack stopped in {time.monotonic() - began:.1f} s; its logs are in reports/sandbox-logs/.")
    return 0


def _status(as_json: bool) -> int:
    state, runtime = stack_state()
    if as_json:
        print(json.dumps({"state": state, **(runtime.public_view() if runtime else {})}))
    elif runtime is None:
        print(f"Sandbox stack: {state}.")
    else:
        print(_table(runtime))
    return 0 if state == "ready" else 3


def _table(runtime: Runtime) -> str:
    view = runtime.public_view()
    ssh = runtime.ssh
    rows = [("state", f"ready (daemon pid {runtime.pid}, started in {runtime.started_in_s:.1f} s)"),
            ("profile", runtime.profile), ("defects", ", ".join(runtime.defects) or "none"),
            ("focus server", runtime.focus_server_url), ("web app", runtime.web_app_url),
            ("mongodb", view["mongodb_uri"]), ("rabbitmq", view["rabbitmq_url"]),
            ("rabbitmq mgmt", runtime.rabbitmq_management_url), ("kube api", runtime.kube_api_url),
            ("kubeconfig", runtime.kubeconfig),
            ("ssh", f"ssh -i {ssh.key_file} -o UserKnownHostsFile={ssh.known_hosts_file} "
                    f"-p {ssh.port} {ssh.user}@{ssh.host}"),
            ("run dir", runtime.run_dir)]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    if args.command == "up":
        return _up(args)
    if args.command == "down":
        return _down()
    if args.command == "status":
        return _status(args.json)
    print(defect_switches.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
