"""The mutation score and reports/mutation.md, from a cosmic-ray session.

Score = killed / judged, where *judged* = killed + survived + timed out: every in-scope mutant that
ran, minus the reviewed equivalents (which no test can kill) and the stillborn ones (a mutated server
that never answered, so no scenario could judge it; listed apart).
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import WorkerOutcome

from scripts.mutation.batch import probe_outcome
from scripts.mutation.scope import TARGETS, ModuleMap, read_map, skip_reason, target_of
from scripts.mutation.session import EQUIVALENT, REPO, load_equivalents, load_explained_survivors


@dataclass
class Mutant:
    module: str
    line: int
    function: str | None
    operator: str
    outcome: str          # killed, survived, timeout, stillborn, error, equivalent, out of scope, pending
    why: str
    diff: str = ""
    contradicts: str = ""  # a killed mutant that config/mutation_equivalents.yaml calls equivalent: its reason
    explained: str = ""    # why a survivor stays (config/mutation_survivors.yaml); on a killed one, a stale entry


@dataclass
class Score:
    mutants: list[Mutant] = field(default_factory=list)

    def count(self, outcome: str, module: str | None = None) -> int:
        return sum(m.outcome == outcome and (module is None or m.module == module) for m in self.mutants)

    def judged(self, module: str | None = None) -> int:
        return sum(self.count(o, module) for o in ("killed", "survived", "timeout"))

    def percent(self, module: str | None = None) -> float | None:
        judged = self.judged(module)
        return 100.0 * self.count("killed", module) / judged if judged else None

    def of(self, *outcomes: str) -> list[Mutant]:
        return [m for m in self.mutants if m.outcome in outcomes]


def read_session(db_path: Path, *more: Path) -> Score:
    """Every mutant of the session with its outcome (sessions of other modules merged in, if given)."""
    score = Score()
    for path in (db_path, *more):
        score.mutants += _read(path, _modules_of(path))
    score.mutants.sort(key=lambda m: (m.module, m.line, m.operator))
    return score


def _modules_of(db_path: Path) -> set[str] | None:
    """The modules a session was started for (session.json beside it), None when it does not say."""
    meta = db_path.with_name("session.json")
    try:
        return set(json.loads(meta.read_text())["modules"])
    except (OSError, ValueError, KeyError):
        return None


def _read(db_path: Path, modules: set[str] | None = None) -> list[Mutant]:
    mutants: list[Mutant] = []
    equivalents, explained_survivors = load_equivalents(), load_explained_survivors()   # read once, not per mutant
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        results = dict(db.results)
        for item in db.work_items:
            m = item.mutations[0]
            result = results.get(item.job_id)
            contradicts = ""
            if result is None:
                outcome, why, diff = "pending", "", ""
            elif result.worker_outcome == WorkerOutcome.SKIPPED:
                text = result.output or ""
                outcome = "equivalent" if text.startswith(EQUIVALENT) else "out of scope"
                why, diff = text.removeprefix(EQUIVALENT), ""
            else:
                outcome, why = probe_outcome(result.output)
                diff = result.diff or ""
                # the scope and the reviewed equivalents of today judge yesterday's runs too
                later = _rescoped(m, diff, equivalents)
                if later is not None and later[0] == "equivalent" and outcome == "killed":
                    contradicts = later[1]   # a scenario told it apart: the entry is wrong, not the kill
                elif later is not None:
                    outcome, why = later
            if modules is not None and str(m.module_path) not in modules:
                continue
            explained = _explanation(m, diff, explained_survivors) if outcome in ("survived", "timeout", "killed") else ""
            mutants.append(Mutant(str(m.module_path), m.start_pos[0], m.definition_name,
                                  m.operator_name.removeprefix("core/"), outcome, why, diff, contradicts, explained))
    return mutants


def summary_lines(score: Score) -> list[str]:
    """The console summary: the score, then per module."""
    total = score.percent()
    lines = [f"Mutation score: {score.count('killed')} killed / {score.judged()} judged mutants"
             + (f" = {total:.1f} %" if total is not None else "")
             + f" ({score.count('equivalent')} reviewed equivalents and {score.count('stillborn')} stillborn not "
               f"counted; {score.count('out of scope')} out of scope; {score.count('pending')} not run)"]
    survivors = score.of("survived", "timeout")
    if survivors:
        explained = sum(bool(m.explained) for m in survivors)
        lines.append(f"  survivors: {len(survivors)}, of them {explained} explained (config/mutation_survivors.yaml) "
                     f"and {len(survivors) - explained} not yet")
    for target in TARGETS:
        judged = score.judged(target.path)
        if not judged and not score.count("pending", target.path):
            continue
        pct = score.percent(target.path)
        lines.append(f"  {target.path:40} {target.area:22} {score.count('killed', target.path):4} / {judged:<4}"
                     + (f" {pct:5.1f} %" if pct is not None else "     — ")
                     + f"  survived {score.count('survived', target.path) + score.count('timeout', target.path)}")
    return lines


def _diff_lines(diff: str) -> str:
    changed = [l for l in diff.splitlines() if l[:1] in "+-" and not l.startswith(("+++", "---"))]
    return "<br>".join(f"`{l.strip()}`".replace("|", "\\|") for l in changed[:2])


def markdown(score: Score) -> str:
    """reports/mutation.md: the score, the survivors (each with its mutation), the equivalents, the scope."""
    out = ["# Mutation score of the suite (cosmic-ray)", "", "Generated by `make mutation` "
           "(`python -m scripts.mutation`); what it means: docs/DEFECT_MATRIX.md, \"Switches, mutants and "
           "evidence levels\".", "", "```", *summary_lines(score), "```", ""]
    survivors = score.of("survived", "timeout", "error")
    open_ones = [m for m in survivors if not m.explained]
    out += [f"## Surviving mutants, not yet explained ({len(open_ones)})", "",
            "Each is a change to a rule module that the suite's verdict did not flag. Kill it with a scenario, "
            "review it into config/mutation_equivalents.yaml if no client can tell it apart, or explain in "
            "config/mutation_survivors.yaml why it stays.", ""]
    if open_ones:
        out += ["| Module:line | Function | Operator | Mutation | Run |", "|---|---|---|---|---|"]
        out += [f"| {m.module}:{m.line} | {m.function or '—'} | {m.operator} | {_diff_lines(m.diff)} | "
                f"{m.outcome}: {m.why.replace('|', '/')} |" for m in open_ones]
    explained = [m for m in survivors if m.explained]
    if explained:
        out += ["", f"## Explained survivors ({len(explained)}, config/mutation_survivors.yaml; counted as survived)",
                "", "| Module:line | Function | Operator | Mutation | Why it stays |", "|---|---|---|---|---|"]
        out += [f"| {m.module}:{m.line} | {m.function or '—'} | {m.operator} | {_diff_lines(m.diff)} | "
                f"{m.explained.replace('|', '/')} |" for m in explained]
    stale = [m for m in score.of("killed") if m.explained]
    if stale:
        out += ["", f"## Explained as survivors, yet killed ({len(stale)}): remove the entries", "",
                "| Module:line | Operator | Mutation | Killed by |", "|---|---|---|---|"]
        out += [f"| {m.module}:{m.line} | {m.operator} | {_diff_lines(m.diff)} | {m.why.replace('|', '/')} |"
                for m in stale]
    stillborn = score.of("stillborn")
    if stillborn:
        out += ["", f"## Stillborn mutants ({len(stillborn)}, not counted)", "",
                "| Module:line | Operator | Mutation | Why |", "|---|---|---|---|"]
        out += [f"| {m.module}:{m.line} | {m.operator} | {_diff_lines(m.diff)} | {m.why} |" for m in stillborn]
    contradicted = [m for m in score.mutants if m.contradicts]
    if contradicted:
        out += ["", f"## Reviewed as equivalent, yet killed ({len(contradicted)}): correct the entries", "",
                "A scenario told these mutants from the original, so their entry in "
                "config/mutation_equivalents.yaml is wrong; they count as killed.", "",
                "| Module:line | Operator | Mutation | Killed by | The entry's reason |", "|---|---|---|---|---|"]
        out += [f"| {m.module}:{m.line} | {m.operator} | {_diff_lines(m.diff)} | {m.why.replace('|', '/')} | "
                f"{m.contradicts} |" for m in contradicted]
    equivalents = score.of("equivalent")
    out += ["", f"## Reviewed equivalent mutants ({len(equivalents)}, config/mutation_equivalents.yaml)", ""]
    if equivalents:
        out += ["| Module:line | Operator | Why it cannot be told apart |", "|---|---|---|"]
        out += [f"| {m.module}:{m.line} | {m.operator} | {m.why} |" for m in equivalents]
    reasons: dict[str, Counter] = defaultdict(Counter)
    for m in score.of("out of scope"):
        reasons[m.why.split(":")[0] if not m.why.startswith("out of scope") else m.why][m.module] += 1
    out += ["", "## Out of scope (not mutated)", "", "| Reason | Mutants |", "|---|---|"]
    out += [f"| {why} | {sum(c.values())} |" for why, c in sorted(reasons.items(), key=lambda kv: -sum(kv[1].values()))]
    killed = score.of("killed")
    by_scenario = Counter(m.why.split(" [")[0] for m in killed)
    out += ["", f"## What killed the {len(killed)} killed mutants (first killing scenario)", "",
            "| Scenario | Mutants |", "|---|---|"]
    out += [f"| {name} | {n} |" for name, n in by_scenario.most_common(40)]
    return "\n".join(out) + "\n"


def write_report(db_path: Path, out: Path, *more: Path) -> Score:
    """Write the report of a session (and of sessions of other modules, merged in); returns the score."""
    score = read_session(db_path, *more)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(markdown(score), encoding="utf-8")
    return score


_MAPS: dict[str, ModuleMap] = {}


def _rescoped(mutation, diff: str, equivalents) -> tuple[str, str] | None:
    """('out of scope' | 'equivalent', why) when today's scope or equivalents file covers a run mutant."""
    module = str(mutation.module_path)
    target = target_of(module)
    if module not in _MAPS:
        _MAPS[module] = read_map(REPO, target)
    reason = skip_reason(target, _MAPS[module], mutation.operator_name, mutation.definition_name,
                         tuple(mutation.start_pos))
    if reason is not None:
        return "out of scope", reason
    hit = _reviewed_entry(equivalents, mutation, diff)
    return ("equivalent", hit.why) if hit is not None else None


def _explanation(mutation, diff: str, explained_survivors) -> str:
    """Why a survivor stays, from config/mutation_survivors.yaml ('' when it does not say)."""
    hit = _reviewed_entry(explained_survivors, mutation, diff)
    return hit.why if hit is not None else ""


def _reviewed_entry(entries, mutation, diff: str):
    """The entry that names this mutant: module, operator, original line (and mutated line, function)."""
    module = str(mutation.module_path)
    entries = [e for e in entries if e.module == module and e.operator == mutation.operator_name]
    if not entries:
        return None
    lines = (REPO / module).read_text(encoding="utf-8").splitlines()
    original = lines[mutation.start_pos[0] - 1] if mutation.start_pos[0] <= len(lines) else ""
    mutated = next((l[1:] for l in diff.splitlines() if l.startswith("+") and not l.startswith("+++")), None)
    return next((e for e in entries
                 if e.matches(module, mutation.operator_name, original, mutated, mutation.definition_name)), None)
