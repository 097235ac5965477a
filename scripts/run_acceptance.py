"""`make acceptance`: start the sandbox (local env), run behave, always stop the stack, report.

Kept as a script rather than Makefile shell so that the stack is stopped on every path out
(failure, Ctrl-C, a crash in behave) and so the exit code comes from the triage, not from behave.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REPORTS = REPO / "reports"


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our own options; everything else is passed to behave untouched."""
    parser = argparse.ArgumentParser(prog="make acceptance", description=__doc__)
    parser.add_argument("--env", default=os.environ.get("FOCUS_ENV", "local"))
    parser.add_argument("--profile", default=os.environ.get("FOCUS_SANDBOX_PROFILE", "spec"))
    parser.add_argument("--defect", action="append", default=[], help="sandbox defect switch")
    parser.add_argument("--tags", default="", help="behave tag expression")
    parser.add_argument("--strict", action="store_true", help="known bugs and open questions fail the run too")
    parser.add_argument("--no-report", action="store_true", help="skip the Allure HTML generation")
    return parser.parse_known_args(argv)


def known_environments() -> list[str]:
    """Environment names declared in config/environments.yaml."""
    from focus_support.config import known_environments as listed

    return listed()


def run_behave(env: str, tags: str, extra: list[str]) -> int:
    """Run behave in a child process; Ctrl-C reaches it too and it runs its own cleanup hooks."""
    cmd = [sys.executable, "-m", "behave", "-D", f"env={env}"]
    if tags:
        cmd += ["--tags", tags]
    cmd += extra
    print(f"[acceptance] {' '.join(cmd[2:])}", flush=True)
    child = subprocess.Popen(cmd, cwd=REPO)
    try:
        return child.wait()
    except KeyboardInterrupt:
        # behave got the same SIGINT; give its after_all (job sweep) time to finish
        try:
            return child.wait(timeout=120)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
            return child.wait()


def main(argv: list[str]) -> int:
    args, behave_args = parse_args(argv)
    envs = known_environments()
    if args.env not in envs:
        print(f"Unknown environment '{args.env}'. Known environments: {', '.join(envs)}", file=sys.stderr)
        return 2
    REPORTS.mkdir(exist_ok=True)
    started = time.monotonic()
    rehearsal = None
    with ExitStack() as cleanup:
        if args.env == "rehearsal":  # the sandbox in staging's shape, with another tenant (scripts/rehearsal.py)
            from scripts.rehearsal import Rehearsal

            try:
                session = cleanup.enter_context(Rehearsal(profile=args.profile, defects=args.defect))
            except ValueError as bad_switch:
                print(f"[acceptance] {bad_switch}", file=sys.stderr)
                return 2
        if args.env == "local":
            from focus_sandbox.stack import running_stack

            try:
                cleanup.enter_context(running_stack(profile=args.profile, defects=args.defect))
            except ValueError as bad_switch:  # unknown profile or defect switch
                print(f"[acceptance] {bad_switch}", file=sys.stderr)
                return 2
        behave_rc = run_behave(args.env, args.tags, behave_args)
        if args.env == "rehearsal":
            rehearsal = session.finish()  # while the stack is up: the tenant's verdict, the suite's leftovers
    from focus_support.reporting.run_report import finish_run

    code = finish_run(
        behave_exit_code=behave_rc,
        strict=args.strict,
        generate_html=not args.no_report,
        wall_time_s=time.monotonic() - started,
    )
    if rehearsal is not None:
        print("\n".join(rehearsal.lines()), flush=True)
        code = rehearsal.exit_code(code)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
