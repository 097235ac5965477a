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
import threading
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REPORTS = REPO / "reports"


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our own options; everything else is passed to behave untouched."""
    parser = argparse.ArgumentParser(prog="make acceptance", description=__doc__)
    parser.add_argument("--env", default=None, help="environment (default: FOCUS_ENV, else local)")
    parser.add_argument("--profile", default=os.environ.get("FOCUS_SANDBOX_PROFILE", "spec"))
    parser.add_argument("--defect", action="append", default=[], help="sandbox defect switch")
    parser.add_argument("--tags", default="", help="behave tag expression")
    parser.add_argument("--strict", action="store_true", help="known bugs and open questions fail the run too")
    parser.add_argument("--no-report", action="store_true", help="skip the Allure HTML generation")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS") or 1),
                        help="parallel behave workers against the one environment (scripts/parallel_run.py)")
    parser.add_argument("--shard", default=os.environ.get("SHARD") or None,
                        help="i/n: run the i-th of n duration-balanced parts of the selection")
    parser.add_argument("--timings", default=None, help="run record whose durations balance shards and workers")
    parser.add_argument("--rerun", default=None, help="run only the scenarios listed (reports/rerun.txt)")
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


def _rerun_list(path: str) -> list[str]:
    from scripts.scenario_plan import read_locations

    try:
        return read_locations(path)
    except OSError:
        return []


def run_planned(args: argparse.Namespace, behave_args: list[str]) -> int:
    """Plan the selection, run it in ``--jobs`` workers, merge their reports into reports/."""
    from scripts.parallel_run import run_suite

    if args.rerun:
        behave_args = [f"@{args.rerun}", *behave_args]
    print(f"[acceptance] env {args.env}; behave {' '.join(behave_args) or '(whole suite)'}"
          + (f" --tags {args.tags!r}" if args.tags else ""), flush=True)
    return run_suite(args.env, args.tags, behave_args, jobs=max(1, args.jobs), shard_spec=args.shard,
                     timings=args.timings, reports=REPORTS)


def register_run_secrets(env_name: str, out=None) -> None:
    """Register the environment's secrets in this process, so that the scan of reports/ looks for
    them too (the workers register theirs in their own processes; on local these are the passwords
    the sandbox generated, which no variable of our environment holds)."""
    from focus_support.config.loader import load_environment
    from focus_support.errors import MisconfiguredError
    from focus_support.reporting.redaction import register_secret
    from focus_support.reporting.run_info import environment_secrets

    try:
        environment = load_environment(env_name)
    except MisconfiguredError as exc:  # the workers' preflight said so already; the scan still runs
        print(f"[report] reports/ is scanned only for secret-named variables: the environment did not load "
              f"({str(exc).splitlines()[0]})", file=out or sys.stdout, flush=True)
        return
    for secret in environment_secrets(environment):
        register_secret(secret)


class _BackgroundStop(threading.Thread):
    """Closes what the run opened (the sandbox stack: about 2.5 s) while the main thread builds the
    triage and the HTML report, which need none of it; ``finish`` waits and raises what the stop raised."""

    def __init__(self, opened: ExitStack) -> None:
        super().__init__(name="stack-stop")  # not a daemon thread: the interpreter waits for it too
        self.opened, self.error = opened, None
        self.start()

    def run(self) -> None:
        try:
            self.opened.close()
        except BaseException as exc:  # handed to the main thread by finish()
            self.error = exc

    def finish(self) -> None:
        """Wait for the stop; raise its error once (a second call only waits)."""
        self.join()
        error, self.error = self.error, None
        if error is not None:
            raise error


def main(argv: list[str]) -> int:
    args, behave_args = parse_args(argv)
    from focus_support.config.loader import selected_environment

    args.env = selected_environment(args.env)
    envs = known_environments()
    if args.env not in envs:
        print(f"Unknown environment '{args.env}'. Known environments: {', '.join(envs)}", file=sys.stderr)
        return 2
    if args.rerun and not _rerun_list(args.rerun):
        print(f"[acceptance] nothing to rerun: {args.rerun} lists no failed scenario", flush=True)
        return 0
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
        behave_rc = run_planned(args, behave_args)
        register_run_secrets(args.env)  # while the stack is up: the sandbox's runtime names its secrets
        if args.env == "rehearsal":
            rehearsal = session.finish()  # while the stack is up: the tenant's verdict, the suite's leftovers
        # The local stack stops while the triage and the report are built; the rehearsal's exit
        # restores environment variables, which the reporting reads, so it closes here as before.
        stopping = _BackgroundStop(cleanup.pop_all()) if args.env == "local" else None
    from focus_support.reporting.run_report import finish_run

    try:
        # the stopping stack copies its logs into reports/: the secret scan waits for them
        code = finish_run(behave_exit_code=behave_rc, strict=args.strict, generate_html=not args.no_report,
                          before_scan=stopping.finish if stopping else None)
    finally:
        if stopping is not None:
            stopping.finish()  # on every way out, also Ctrl-C: nothing of the stack outlives the command
    print(f"[report] run took {time.monotonic() - started:.0f} s; triage in {REPORTS / 'triage.md'}", flush=True)
    if rehearsal is not None:
        print("\n".join(rehearsal.lines()), flush=True)
        code = rehearsal.exit_code(code)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
