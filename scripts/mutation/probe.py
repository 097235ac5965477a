"""The test command of one mutant: restart what it touches, run its features, judge by the verdict.

``python -m scripts.mutation.probe --module PATH [--function NAME] --workdir DIR [--timeout S]``

Runs from the private tree, against the stack named by ``FOCUS_SANDBOX_HOME``:

1. a module of the Focus Server process: the ``focus-server`` pod is deleted through the cluster API,
   so its Deployment starts it again from the (mutated) file - about two seconds, not a stack start.
   A janitor mutant needs no restart (every new job's janitor pod imports the file afresh), but a
   server still running an earlier mutant is restarted first;
2. behave runs the scenarios of the module's features, those asserting the mutated function's rules
   first, and stops at the first scenario whose verdict kills the mutant (``behave_run.kills``);
3. prints one line ``MUTANT <outcome>: <why>`` and exits 1 when killed, 0 otherwise.

Outcomes: ``killed``; ``survived``; ``stillborn`` (the mutated server never answered: no scenario
could judge it, reported apart and not counted); ``timeout`` (the run outlived the per-mutant limit:
not a kill, whatever cosmic-ray's own timeout would say).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from behave.parser import parse_file

from focus_sandbox.server.kube import Kube, KubeError
from focus_sandbox.stack.runtime import Runtime
from focus_support.reporting.records import load_records
from focus_support.reporting.tags import rules_of
from scripts.mutation.behave_run import kills
from scripts.mutation.scope import Target, target_of

DIRTY = "server-runs-a-mutant"     # marker in the workdir: the server was last started from a mutant
RESTART_TIMEOUT_S = 30.0   # seconds for the mutated server to answer HTTP at all
DEFAULT_TIMEOUT_S = 300.0


def restart_focus_server(runtime: Runtime, timeout_s: float = RESTART_TIMEOUT_S) -> str | None:
    """Delete the focus-server pod and wait until a new one answers /ack; None, or why it did not."""
    kube = Kube(runtime.kube_api_url, runtime.namespace)
    old = {p["metadata"]["name"] for p in kube.list_pods("app=focus-server")}
    for name in old:
        kube.delete_pod(name)
    deadline = time.monotonic() + timeout_s
    last = "no new pod"
    while time.monotonic() < deadline:
        try:
            pods = [p for p in kube.list_pods("app=focus-server") if p["metadata"]["name"] not in old]
            running = [p for p in pods if (p.get("status") or {}).get("phase") == "Running"]
            # any HTTP answer means the mutated server is serving: a mutant may well break /ack itself
            if running and requests.get(f"{runtime.focus_server_url}/ack", timeout=2).status_code:
                return None
            last = f"pods {[p['metadata']['name'] + ' ' + str((p.get('status') or {}).get('phase')) for p in pods]}"
        except (requests.RequestException, KubeError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.2)  # poll interval while the pod starts
    return f"the mutated Focus Server did not answer HTTP within {timeout_s:g} s ({last})"


def scenario_order(target: Target, function: str | None, root: Path = Path(".")) -> list[str]:
    """``file:line`` of every scenario of the target's features, those of the function's rules first."""
    prefixes = target.priorities.get(function or "", ())
    features = target.features_of.get(function or "", target.features)
    found: list[tuple[int, int, str]] = []
    files = sorted({p for f in features for p in ([root / f] if f.endswith(".feature")
                                                         else sorted((root / f).rglob("*.feature")))
                    if p.exists()})
    for n, path in enumerate(files):
        feature = parse_file(str(path))
        for scenario in feature.walk_scenarios():
            tags = scenario.effective_tags
            rules = rules_of(tags)
            if "load" in tags and not any(r.startswith(p) for p in prefixes for r in rules):
                continue  # a load scenario (tens of jobs) runs only for a function whose rules it asserts
            rank = next((i for i, prefix in enumerate(prefixes) for r in rules if r.startswith(prefix)), len(prefixes))
            found.append((rank, n, f"{path.relative_to(root).as_posix()}:{scenario.line}"))
    return [loc for _, _, loc in sorted(found, key=lambda x: (x[0], x[1]))]


def run(module: str, function: str | None, workdir: Path, timeout_s: float) -> tuple[str, str]:
    """(outcome, why) of one mutant."""
    target = target_of(module)
    runtime = Runtime.read(Path(os.environ["FOCUS_SANDBOX_HOME"]))
    if runtime is None:
        raise SystemExit("no sandbox stack runs from FOCUS_SANDBOX_HOME")
    dirty = workdir / DIRTY
    if target.server or dirty.exists():
        problem = restart_focus_server(runtime)
        if target.server:
            dirty.write_text(module)
        else:
            dirty.unlink()
        if problem:
            return "stillborn", problem
    results = workdir / "probe"
    results.mkdir(parents=True, exist_ok=True)
    selection = results / "selection.txt"
    selection.write_text("\n".join(scenario_order(target, function)) + "\n", encoding="utf-8")
    env = {**os.environ, "FOCUS_ENV": "local", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "scripts.mutation.behave_run", "--results", str(results / "allure-results"),
               "--select", str(selection), "-D", "env=local", "--no-capture-stderr"]
    with open(results / "behave.log", "wb") as log:
        child = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        try:
            child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            child.send_signal(2)  # SIGINT: behave sweeps the jobs it started
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            kept = results / "timeouts" / f"{Path(module).stem}-{function or 'module'}-{time.strftime('%H%M%S')}.log"
            kept.parent.mkdir(exist_ok=True)
            kept.write_bytes((results / "behave.log").read_bytes())   # the next mutant's run overwrites behave.log
            return "timeout", f"the run outlived {timeout_s:g} s (its log: {kept.relative_to(workdir)})"
    records = load_records(results / "run-results.json")
    killer = next((r for r in records if _judged(r) and kills(r)), None)
    if killer is not None:
        finding = f"; {killer.error_line}" if killer.error_line else ""
        return "killed", f"{killer.scenario} [{killer.location}] — {killer.category}{finding}"[:400]
    ran = sum(r.status in ("passed", "failed", "broken") for r in records)
    other = [r for r in records if r.status in ("failed", "broken")]
    note = f"; {len(other)} other failure(s): " + ", ".join(f"{r.scenario} ({r.category})" for r in other[:3]) if other else ""
    return "survived", f"{ran} scenario(s) ran and none flagged it{note}"[:400]


def _judged(record) -> bool:
    from focus_support.reporting.triage import judge_record

    judge_record(record)
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.mutation.probe", description=__doc__)
    parser.add_argument("--module", required=True)
    parser.add_argument("--function", default=None)
    parser.add_argument("--workdir", required=True, type=Path)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S)
    args = parser.parse_args(argv)
    outcome, why = run(args.module, None if args.function in (None, "", "None") else args.function,
                       args.workdir, args.timeout)
    print(json.dumps({"outcome": outcome, "why": why}))
    print(f"MUTANT {outcome}: {why}", flush=True)
    return 1 if outcome == "killed" else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
