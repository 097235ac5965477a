"""``python -m scripts.mutation`` (``make mutation``): the suite's mutation score over the rule modules.

  make mutation                                   every in-scope mutant, then reports/mutation.md
  make mutation ARGS="--module derive.py"         the mutants of one module (name or path)
  make mutation ARGS="--sample 3 --seed 7"        a random sample (what make test runs)
  make mutation ARGS="--resume"                   continue the last session (same sources), run what is left
  make mutation ARGS="--rerun-survivors"          run the last session's survivors again (after new scenarios)
  make mutation ARGS="--report-only"              rewrite reports/mutation.md from the session

Each batch of ``--batch`` mutants runs under the sandbox lock (``--lock``, default
/tmp/focus-sandbox.lock), on one stack started from a private copy of the tree, so other runs get
the machine between batches. Exit code 0 when every selected mutant was judged; the score itself is
printed and reported, not a pass/fail (``--fail-under P`` makes it one).
"""
from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import WorkerOutcome

from focus_sandbox.stack.machine_lock import DEFAULT_LOCK, holding
from scripts.mutation.batch import interrupt_on_signals
from scripts.mutation.report import summary_lines, write_report
from scripts.mutation.scope import TARGETS
from scripts.mutation.session import (EQUIVALENTS_FILE, copy_tree, forget_results, init_session,
                                      review_equivalents, sources_digest)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_WORKDIR = REPO / "reports" / "mutation-session"
REPORT = REPO / "reports" / "mutation.md"
LOCK = DEFAULT_LOCK


def _targets(names: list[str]):
    if not names:
        return TARGETS
    chosen = tuple(t for t in TARGETS if any(t.path == n or t.path.endswith("/" + n) or t.area == n for n in names))
    if len(chosen) != len(set(names)):
        known = ", ".join(t.path.rsplit("/", 1)[-1] for t in TARGETS)
        raise SystemExit(f"unknown module in {names}; known: {known}")
    return chosen


def session_mismatch(tree: Path, db_path: Path, meta: dict, targets) -> str:
    """Why the session cannot be continued for ``targets`` ('' when it can).

    A session covers the modules it was started for; any of them may be resumed on its own, as long as
    the sources of all of them are still those the session judged."""
    if not db_path.exists() or not meta:
        return "there is no session yet"
    modules = meta.get("modules") or [t.path for t in TARGETS]
    missing = [t.path for t in targets if t.path not in modules]
    if missing:
        return f"it was started for {', '.join(modules)}, not for {', '.join(missing)}"
    session_targets = tuple(t for t in TARGETS if t.path in modules)
    if sources_digest(tree, session_targets) != meta.get("digest"):
        changed = [t.path for t in session_targets if sources_digest(tree, (t,)) != (meta.get("digests") or {}).get(t.path)]
        return ("the sources it judged have changed since" + (f" ({', '.join(changed)})" if meta.get("digests") else ""))
    return ""


def _meta(meta_path: Path) -> dict:
    return json.loads(meta_path.read_text()) if meta_path.exists() else {}


def keep_previous(db_path: Path) -> None:
    """Keep the last session (one generation) before a new one replaces it."""
    if db_path.exists():
        for suffix in (".sqlite", ".json"):
            old = db_path.with_suffix(suffix)
            if old.exists():
                old.replace(old.with_name(f"{old.stem}.previous{suffix}"))


def _source_order(item) -> tuple:
    m = item.mutations[0]
    return str(m.module_path), tuple(m.start_pos), m.operator_name, m.occurrence


def _selected(db_path: Path, modules: set[str], rerun_survivors: bool) -> list[str]:
    """Job ids to run: pending ones of the modules (and, when asked, the last survivors again)."""
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        # in source order, not cosmic-ray's (random) job ids: a --seed then samples the same mutants every session
        pending = sorted((i for i in db.pending_work_items if str(i.mutations[0].module_path) in modules),
                         key=_source_order)
        ids = [i.job_id for i in pending]
        if rerun_survivors:
            results = dict(db.results)
            again = []
            for item in db.work_items:
                result = results.get(item.job_id)
                if (result is not None and result.worker_outcome != WorkerOutcome.SKIPPED
                        and not (result.output or "").startswith("MUTANT killed")
                        and str(item.mutations[0].module_path) in modules):
                    again.append(item.job_id)
            forget_results(db, again)
            ids += again
    return ids


BATCH_STOP_TIMEOUT_S = 120.0   # the batch stops its probe and its stack
INTERRUPT_GRACE_S = 2.0


def run_batch_process(command: list[str], cwd: Path) -> int:
    """Run a batch; on Ctrl-C let it stop its probe and its stack before giving up.

    ``subprocess.call`` would SIGKILL the batch at once, leaving its sandbox stack running."""
    process = subprocess.Popen(command, cwd=cwd)
    try:
        return process.wait()
    except KeyboardInterrupt:
        try:  # a terminal's Ctrl-C reached the batch too: it is stopping; otherwise tell it to
            process.wait(timeout=INTERRUPT_GRACE_S)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)   # once stopping, it ignores a second one
        try:
            process.wait(timeout=BATCH_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="make mutation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--module", action="append", default=[], help="a target module (file name or path)")
    parser.add_argument("--sample", type=int, default=0, help="run only N randomly chosen mutants")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--batch", type=int, default=60, help="mutants per stack (and per hold of the lock)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant")
    parser.add_argument("--lock", default=LOCK, help="sandbox lock file ('' for none)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--rerun-survivors", action="store_true")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--fail-under", type=float, default=None)
    parser.add_argument("--also", action="append", default=[], metavar="WORKDIR",
                        help="merge the session of another workdir (other modules) into the report")
    args = parser.parse_args(argv)

    workdir = args.workdir.resolve()
    db_path = workdir / "session.sqlite"
    meta_path = workdir / "session.json"
    targets = _targets(args.module)
    if not args.module and (args.resume or args.rerun_survivors or args.report_only):
        # continuing without naming modules: every module the session was started for
        started_for = _meta(meta_path).get("modules")
        targets = tuple(t for t in TARGETS if t.path in started_for) if started_for else targets
    if not args.report_only:
        tree = copy_tree(workdir / "tree")
        meta = _meta(meta_path)
        if args.resume or args.rerun_survivors:
            problem = session_mismatch(tree, db_path, meta, targets)
            if problem:   # never throw away hours of judged mutants on a flag: say why and how to start anew
                print(f"[mutation] cannot continue the session in {workdir}: {problem}. `make mutation` without "
                      "--resume starts a new one" + ("" if not db_path.exists() else
                                                     " (the old one is kept as session.previous.sqlite)"),
                      file=sys.stderr)
                return 2
        else:
            keep_previous(db_path)
            counts = init_session(tree, db_path, targets)
            meta_path.write_text(json.dumps({"digest": sources_digest(tree, targets), "created": time.time(),
                                             "modules": [t.path for t in targets],
                                             "digests": {t.path: sources_digest(tree, (t,)) for t in targets}}))
            print(f"[mutation] session: {counts['pending']} mutants to run, {counts['out of scope']} out of scope, "
                  f"{counts['equivalent']} reviewed equivalents", flush=True)
        # entries added or withdrawn since the last run; during the run each batch re-reads the file per mutant
        marked = review_equivalents(tree, db_path, targets)
        if marked:
            print(f"[mutation] {marked} mutant(s) of the session are now reviewed equivalents "
                  "(config/mutation_equivalents.yaml)", flush=True)
        ids = _selected(db_path, {t.path for t in targets}, args.rerun_survivors)
        if args.sample:
            ids = random.Random(args.seed).sample(ids, min(args.sample, len(ids)))
        started = time.monotonic()
        for first in range(0, len(ids), args.batch):
            chunk = ids[first:first + args.batch]
            ids_file = workdir / "batch-ids.txt"
            ids_file.write_text("\n".join(chunk) + "\n")
            print(f"[mutation] batch of {len(chunk)} ({first + len(chunk)}/{len(ids)}); waiting for "
                  f"{args.lock or 'no lock'}", flush=True)
            with holding(args.lock):
                code = run_batch_process([sys.executable, "-m", "scripts.mutation.batch", "--db", str(db_path),
                                          "--workdir", str(workdir), "--ids", str(ids_file),
                                          "--timeout", str(args.timeout), "--equivalents", str(EQUIVALENTS_FILE)],
                                         cwd=tree)
            if code:
                print(f"[mutation] the batch stopped with exit code {code}", file=sys.stderr)
                return code
        print(f"[mutation] ran {len(ids)} mutants in {time.monotonic() - started:.0f} s", flush=True)
    elif db_path.exists() and not session_mismatch(REPO, db_path, _meta(meta_path), targets):
        review_equivalents(REPO, db_path, targets)   # the report counts entries added or withdrawn since
    score = write_report(db_path, args.report, *(Path(d).resolve() / "session.sqlite" for d in args.also))
    print("\n".join(summary_lines(score)))
    print(f"[mutation] survivors and equivalents: {args.report}")
    if args.fail_under is not None and (score.percent() or 0.0) < args.fail_under:
        return 1
    return 0


if __name__ == "__main__":
    interrupt_on_signals()
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("[mutation] interrupted: the batch stopped its probe and its stack; the mutants judged so far "
              "stay in the session (make mutation ARGS=--resume continues)", file=sys.stderr)
        sys.exit(130)
