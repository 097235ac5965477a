"""The verdict: whose problem each failed scenario is, decided by evidence, never by tags alone.

For one failed scenario, in this order:

1. the user interrupted the run → **interrupted** (not a failure of anybody);
2. the suite could not reach or configure a dependency, or its own code raised → **test
   infrastructure** (see docs/ARCHITECTURE.md, "Whose problem is a failure");
3. a product finding that matches a failure signature of a known bug covering this scenario →
   **product bug — known** (that bug);
4. a product finding of a rule that is derived or contested (config/evidence.yaml) →
   **needs verification** (the rule's open question);
5. a product finding of a documented *target* (not a requirement, e.g. 50 concurrent jobs) →
   **target missed**, reported with its figures;
6. any other product finding → **product bug — new**, which fails the run.

A known bug none of whose scenarios failed by its signature while all of them ran is **no longer
reproducing**: verify the fix and close it (with ``--strict`` that fails the run, like a strict
expected failure).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from focus_support.verdict.findings import Finding
from focus_support.verdict.registry import EvidenceMap, KnownBug, Registry

PRODUCT_NEW = "product bug — new"
PRODUCT_KNOWN = "product bug — known"
NEEDS_VERIFICATION = "needs verification"
TARGET_MISSED = "target missed"
INFRASTRUCTURE = "test infrastructure"
INTERRUPTED = "interrupted"
CATEGORIES = (PRODUCT_NEW, INFRASTRUCTURE, INTERRUPTED, PRODUCT_KNOWN, NEEDS_VERIFICATION, TARGET_MISSED)
FAILING = (PRODUCT_NEW, INFRASTRUCTURE, INTERRUPTED)
STRICT_FAILING = CATEGORIES

_OUTLINE_SUFFIX = re.compile(r" -- @\d+(\.\d+)*( .*)?$")


def base_name(scenario: str) -> str:
    """A scenario's name without behave's outline suffix (`` -- @1.2 Examples name``)."""
    return _OUTLINE_SUFFIX.sub("", scenario).strip()


class FailedCheck(Protocol):
    """What the verdict needs of a scenario record."""

    scenario: str
    status: str
    kind: str
    step_text: str | None
    rules: list[str]

    @property
    def finding_obj(self) -> Finding | None: ...


@dataclass(frozen=True)
class Verdict:
    """The class of one scenario and why."""

    category: str | None                 # None: passed or skipped
    bug: str | None = None               # known bug id
    question: str | None = None          # open question id
    rules: tuple[str, ...] = ()          # the rules the failing check asserted
    because: str = ""                    # one line: which signature or evidence decided


def judge(record: FailedCheck, registry: Registry, evidence: EvidenceMap) -> Verdict:
    """The verdict of one scenario (see the module docstring for the order of the rules)."""
    if record.kind == "interrupted":
        return Verdict(INTERRUPTED, because="the run was interrupted by the user")
    if record.status in ("passed", "skipped"):
        return Verdict(None)
    if record.kind != "assertion":
        return Verdict(INFRASTRUCTURE, because=f"{record.kind}: the suite could not do its work")
    scenario = base_name(record.scenario)
    finding = record.finding_obj
    for bug in registry.covering(scenario):
        signature = bug.reproduced_by(scenario, record.step_text, finding)
        if signature is not None:
            return Verdict(PRODUCT_KNOWN, bug=bug.id,
                           because=f"matches {bug.label}: {signature.means or signature.subject}")
    rules = tuple(evidence.rules_of_failure(record.rules, record.step_text))
    for rule_id in rules:
        rule = evidence.rules.get(rule_id)
        if rule is not None and rule.open:
            why = "derived" if rule.evidence == "derived" else f"contested by {rule.contested_by}"
            return Verdict(NEEDS_VERIFICATION, question=rule.question, rules=rules,
                           because=f"rule {rule_id} is {why}")
    known_rules = [evidence.rules[r] for r in rules if r in evidence.rules]
    if known_rules and all(rule.obligation == "target" for rule in known_rules):
        return Verdict(TARGET_MISSED, rules=rules, because=f"{', '.join(rules)} is a documented target")
    covering = [b.label for b in registry.covering(scenario)]
    because = (f"fails differently from the signatures of {', '.join(covering)}" if covering
               else "no known bug covers this failure")
    return Verdict(PRODUCT_NEW, rules=rules, because=because)


# --- known bugs over a whole run ---------------------------------------------------------------
REPRODUCED = "reproduces"
NOT_REPRODUCED = "no longer reproduces"
NOT_EXERCISED = "not exercised"


@dataclass
class BugState:
    """What this run says about one known bug."""

    bug: KnownBug
    state: str
    reproduced_in: list[str] = field(default_factory=list)   # scenario names
    passed_in: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)           # covered scenarios that failed otherwise or were skipped

    @property
    def action(self) -> str:
        if self.state == NOT_REPRODUCED:
            return "verify the fix and close it"
        if self.state == NOT_EXERCISED:
            return "not judged in this run"
        return "keep open"


class ScenarioLike(Protocol):
    scenario: str
    status: str


def bug_states(records: Sequence[ScenarioLike], verdicts: Sequence[Verdict], registry: Registry) -> list[BugState]:
    """Per known bug: reproduced, no longer reproducing (every covered scenario ran and passed), or not exercised."""
    states = []
    for bug in registry.bugs:
        state = BugState(bug, NOT_EXERCISED)
        for record, verdict in zip(records, verdicts):
            name = base_name(record.scenario)
            if not bug.covers(name):
                continue
            if verdict.bug == bug.id:
                state.reproduced_in.append(record.scenario)
            elif record.status == "passed":
                state.passed_in.append(record.scenario)
            else:
                state.other.append(record.scenario)
        if state.reproduced_in:
            state.state = REPRODUCED
        elif state.passed_in and not state.other:
            state.state = NOT_REPRODUCED
        states.append(state)
    return states


def exit_code(verdicts: Iterable[Verdict], states: Iterable[BugState] = (), strict: bool = False) -> int:
    """1 for a new product bug, an infrastructure failure or an interruption; with strict also for
    known bugs, open questions and known bugs that no longer reproduce."""
    failing = STRICT_FAILING if strict else FAILING
    if any(v.category in failing for v in verdicts):
        return 1
    if strict and any(s.state == NOT_REPRODUCED for s in states):
        return 1
    return 0
