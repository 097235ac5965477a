"""Which scenarios assert which contract rule, and with what evidence: the table behind docs/RULES.md.

``python -m focus_support.verdict.coverage`` rewrites docs/RULES.md; ``--check`` exits 1 when it is
out of date (a test runs that). The same walk checks the mapping itself: every scenario names at
least one rule, every named rule exists in config/evidence.yaml, every registry scenario exists.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter, OrderedDict
from dataclasses import dataclass
from pathlib import Path

from behave.parser import parse_file

from focus_support.reporting.tags import rules_of
from focus_support.verdict.classify import base_name
from focus_support.verdict.registry import EvidenceMap, Registry, default_evidence, default_registry

REPO = Path(__file__).resolve().parents[2]
FEATURES = REPO / "features"
RULES_DOC = REPO / "docs" / "RULES.md"
EVIDENCE_ORDER = ("observed", "documented", "derived")


@dataclass(frozen=True)
class ScenarioRules:
    feature_file: str      # relative to the repository
    scenario: str          # the scenario's name as a run reports it, without the outline suffix
    rules: tuple[str, ...]
    step_texts: tuple[str, ...]


def walk(features: Path = FEATURES) -> list[ScenarioRules]:
    """Every (expanded) scenario of the feature files with the rules its tags name."""
    found = []
    for path in sorted(features.rglob("*.feature")):
        feature = parse_file(str(path))
        for scenario in feature.walk_scenarios():
            steps = tuple(s.name for s in scenario.all_steps)
            found.append(ScenarioRules(str(path.relative_to(REPO)), base_name(scenario.name),
                                       rules_of(scenario.effective_tags), steps))
    return found


def problems(scenarios: list[ScenarioRules], evidence: EvidenceMap, registry: Registry) -> list[str]:
    """What is wrong with the mapping: scenarios without a rule, unknown rules, registry scenarios that
    match no scenario."""
    out = []
    for s in scenarios:
        if not s.rules:
            out.append(f"{s.feature_file}: '{s.scenario}' names no @rule:<id>")
        out += [f"{s.feature_file}: '{s.scenario}' names the unknown rule '{r}'" for r in s.rules
                if r not in evidence.rules]
    names = {s.scenario for s in scenarios}
    for bug in registry.bugs:
        for pattern in bug.scenarios:
            if not any(bug.covers(name) and _pattern_hits(pattern, name) for name in names):
                out.append(f"known_bugs.yaml: bug {bug.id} names '{pattern}', which matches no scenario")
    return out


def _pattern_hits(pattern: str, name: str) -> bool:
    from focus_support.verdict.registry import _glob

    return _glob(pattern, name)


def rule_scenarios(scenarios: list[ScenarioRules], evidence: EvidenceMap) -> "OrderedDict[str, list[str]]":
    """Rule id -> the scenarios asserting it (by tag, or by a step bound to the rule)."""
    table: OrderedDict[str, list[str]] = OrderedDict((rid, []) for rid in evidence.rules)
    for s in scenarios:
        ids = set(s.rules) | {r for r in (evidence.step_rule(t) for t in s.step_texts) if r}
        for rid in ids:
            if rid in table and s.scenario not in table[rid]:
                table[rid].append(s.scenario)
    return table


def coverage_by_evidence(table: "OrderedDict[str, list[str]]", evidence: EvidenceMap) -> dict[str, tuple[int, int]]:
    """Evidence level -> (rules covered by a scenario, rules of that level)."""
    totals, covered = Counter(), Counter()
    for rid, rule in evidence.rules.items():
        totals[rule.evidence] += 1
        covered[rule.evidence] += bool(table.get(rid))
    return {level: (covered[level], totals[level]) for level in EVIDENCE_ORDER}


def render(scenarios: list[ScenarioRules], evidence: EvidenceMap) -> str:
    table = rule_scenarios(scenarios, evidence)
    lines = ["# Contract rules, the scenarios that assert them, and the evidence behind each", "",
             "Generated from `config/evidence.yaml` and the `@rule:<id>` tags of `features/` by",
             "`python -m focus_support.verdict.coverage` (a test fails when it is out of date).", "",
             "A failing check of an **observed** or **documented** rule is a product bug (known when",
             "`config/known_bugs.yaml` has its signature, new otherwise). A failing check of a **derived** or",
             "**contested** rule is *needs verification*, with the open question named here; it never fails",
             "the run.", "", "## Coverage by evidence level", "", "| Evidence | Rules | Asserted by a scenario |",
             "|---|---|---|"]
    for level, (covered, total) in coverage_by_evidence(table, evidence).items():
        share = f"{100 * covered / total:.0f} %" if total else "—"
        lines.append(f"| {level} | {total} | {covered} ({share}) |")
    contested = sum(1 for r in evidence.rules.values() if r.contested_by)
    lines += ["", f"{contested} rule(s) are contested by another source, so their failures are open questions too.",
              "", "## Rules", "", "| Rule | Says | Contract | Evidence | Open question | Scenarios |",
              "|---|---|---|---|---|---|"]
    for rid, rule in evidence.rules.items():
        level = rule.evidence + (f", contested by {rule.contested_by}" if rule.contested_by else "")
        question = evidence.question(rule.question).title if rule.question else "—"
        names = table[rid]
        shown = "<br>".join(names[:6]) + (f"<br>… {len(names) - 6} more" if len(names) > 6 else "")
        lines.append(f"| `{rid}` | {_md(rule.says)} | §{rule.contract} | {_md(level)} | {_md(question)} | "
                     f"{_md(shown) if names else '**none**'} |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m focus_support.verdict.coverage", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/RULES.md is out of date")
    args = parser.parse_args(argv)
    scenarios, evidence = walk(), default_evidence()
    wrong = problems(scenarios, evidence, default_registry())
    if wrong:
        print("The rule mapping has problems:\n  " + "\n  ".join(wrong), file=sys.stderr)
        return 1
    text = render(scenarios, evidence)
    if args.check:
        current = RULES_DOC.read_text(encoding="utf-8") if RULES_DOC.exists() else ""
        if current != text:
            print(f"{RULES_DOC.relative_to(REPO)} is out of date: run python -m focus_support.verdict.coverage",
                  file=sys.stderr)
            return 1
        return 0
    RULES_DOC.write_text(text, encoding="utf-8")
    print(f"wrote {RULES_DOC.relative_to(REPO)}: {len(evidence.rules)} rules, {len(scenarios)} scenarios")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
