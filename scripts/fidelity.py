"""`make fidelity`: how faithfully the `observed` profile replays the deployed product, in figures.

1. Every recorded exchange of the golden corpus (focus_sandbox/fidelity/recorded_exchanges.yaml) is
   sent to a fresh observed-profile sandbox and compared field by field.
2. The whole suite runs against the observed profile; every behaviour the profile replays (each
   known bug and open question of contract sections 13 and 15) must show under its own name.
3. Per contract rule (config/evidence.yaml): how the observed run judged its scenarios, and the share
   of rules by evidence level that scenarios cover.

Prints the figures and writes reports/fidelity.md. Exit code 0 when every exchange is reproduced and
every replayed behaviour shows as itself; 1 otherwise.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from focus_sandbox.fidelity.replay import Replay, load_corpus, replay
from focus_support.reporting.triage import Triage
from focus_support.verdict.coverage import coverage_by_evidence, rule_scenarios, walk
from focus_support.verdict.registry import default_evidence

from scripts import suite_runs
from scripts.verify_report import observed_checks

REPO = Path(__file__).resolve().parent.parent
REPORTS = REPO / "reports"


def replay_corpus(home: Path) -> list[Replay]:
    """Replay every recorded exchange against a fresh observed-profile stack; remove what it created."""
    from focus_sandbox.stack import running_stack
    from focus_support.config import load_environment
    from focus_support.context import SuiteContext

    outcomes = []
    with running_stack(profile="observed", home=home, logs_dir=home / "logs") as runtime:
        data = runtime.model_dump(mode="json")
        user = data["web_app_users"]["qa"]
        for exchange in load_corpus():
            outcomes.append(replay(exchange, data["focus_server_url"], data["web_app_url"], data["site_id"],
                                   login=("qa", user["password"])))
        created = [o.job_id for o in outcomes if o.job_id]
        if created:
            ctx = SuiteContext(load_environment("local", environ={"FOCUS_SANDBOX_HOME": str(home)}))
            try:
                for job_id in created:
                    ctx.jobs.register(job_id)
                ctx.sweep()
            finally:
                ctx.close()
    return outcomes


def rule_outcomes(triage: Triage) -> dict[str, Counter[str]]:
    """Rule id -> how the observed run judged the scenarios asserting it (passed, known, question...)."""
    evidence = triage.evidence
    table = rule_scenarios(walk(), evidence)
    by_scenario: dict[str, str] = {}
    for record in triage.records:
        name = record.scenario.split(" -- @")[0]
        by_scenario[name] = record.category or record.status
    return {rid: Counter(by_scenario.get(name, "not run") for name in names) for rid, names in table.items()}


def render(replays: list[Replay], triage: Triage | None, checks, wall_s: float) -> str:
    reproduced = sum(r.reproduced for r in replays)
    lines = ["# Fidelity of the observed profile", "",
             f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `make fidelity` ({wall_s:.0f} s).", "",
             f"## Recorded exchanges: {reproduced}/{len(replays)} reproduced", "",
             "| Exchange | Source | Reproduced | Fields |", "|---|---|---|---|"]
    for r in replays:
        fields = "; ".join(f.describe() for f in r.fields if not f.ok) or f"{len(r.fields)} fields as recorded"
        lines.append(f"| {r.exchange.name} | {r.exchange.source} | {'✅' if r.reproduced else '❌'} | "
                     f"{fields.replace('|', '/')} |")
    if checks is not None:
        required = [c for c in checks if c.required]
        lines += ["", f"## Behaviours the profile replays: {sum(c.ok for c in required)}/{len(required)} shown "
                  "as themselves by a full observed run", ""] + [c.line() for c in checks]
    evidence = default_evidence()
    table = rule_scenarios(walk(), evidence)
    lines += ["", "## Rules by evidence level", "", "| Evidence | Rules | Asserted by a scenario |", "|---|---|---|"]
    for level, (covered, total) in coverage_by_evidence(table, evidence).items():
        lines.append(f"| {level} | {total} | {covered} ({100 * covered / total:.0f} %) |" if total else
                     f"| {level} | 0 | — |")
    if triage is not None:
        outcomes = rule_outcomes(triage)
        lines += ["", "## Each rule in the observed run", "",
                  "| Rule | Evidence | How the observed run judged its scenarios |", "|---|---|---|"]
        for rid, counts in outcomes.items():
            shown = ", ".join(f"{n} {k}" for k, n in counts.most_common()) or "no scenario"
            lines.append(f"| `{rid}` | {evidence.rules[rid].evidence} | {shown} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="make fidelity", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus-only", action="store_true", help="only replay the recorded exchanges")
    parser.add_argument("--reports", type=Path, default=REPORTS)
    args = parser.parse_args(argv)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="fidelity-"))
    print("[fidelity] replaying the recorded exchanges against the observed profile ...", flush=True)
    replays = replay_corpus(work / "corpus")
    for r in replays:
        print(f"[fidelity] {'✓' if r.reproduced else '✗'} {r.exchange.name}", flush=True)
    triage, checks = None, None
    if not args.corpus_only:
        print("[fidelity] running the suite against the observed profile ...", flush=True)
        outcome = suite_runs.execute(suite_runs.SuiteRun(label="observed", profile="observed"), work / "observed")
        triage = Triage.of(outcome.records)
        checks = observed_checks(outcome.records)
    text = render(replays, triage, checks, time.monotonic() - started)
    args.reports.mkdir(parents=True, exist_ok=True)
    (args.reports / "fidelity.md").write_text(text, encoding="utf-8")
    print(text)
    ok = all(r.reproduced for r in replays) and all(c.ok for c in (checks or []) if c.required)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
