"""The known-bug registry and the evidence map: the two files the verdict is decided by.

* ``config/known_bugs.yaml`` — every known product bug: tracker id, title, severity, status, the
  scenarios it affects, and the failure signatures by which its reproduction is recognised.
* ``config/evidence.yaml`` — every contract rule a scenario asserts, with its evidence level
  (observed, documented, derived; contract section 15), who contests it, and the open question a
  failure of it raises. Scenarios name their rule with ``@rule:<id>``; steps that always assert the
  same rule (e.g. "no job resources were created") are bound to it here, not in the Gherkin.

Bug state lives here, not in the feature files: fixing a bug edits the registry, never the spec.
"""
from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from focus_support.errors import MisconfiguredError
from focus_support.verdict.findings import Finding

CONFIG = Path(__file__).resolve().parents[2] / "config"
KNOWN_BUGS_FILE = CONFIG / "known_bugs.yaml"
EVIDENCE_FILE = CONFIG / "evidence.yaml"

Evidence = Literal["observed", "documented", "derived"]
Severity = Literal["blocker", "critical", "normal", "minor", "trivial"]


def _glob(pattern: str, text: str) -> bool:
    """Case-sensitive glob (``*`` and ``?``); brackets are literal so step texts match themselves."""
    return fnmatch.fnmatchcase(text, pattern.replace("[", "[[]"))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Signature(_Strict):
    """How a bug shows when it reproduces: the failing step, the subject checked, the kinds seen.

    ``step`` is a glob over the step text (without its keyword); ``seen`` lists the kinds the bug
    produces — a finding matches only when every kind it saw is one of them (globs allowed), so a
    different way of failing (another status, another resource left) is not this bug. ``requires``
    lists kinds that must be among those seen: the bug's own mark (e.g. the janitor pod it leaves), so
    a finding made only of kinds the bug may also leave (a streaming Job alone) is not taken for it.
    """

    step: str
    subject: str
    expected: str | None = None
    seen: tuple[str, ...]
    requires: tuple[str, ...] = ()
    means: str = ""

    def matches(self, step_text: str | None, finding: Finding | None) -> bool:
        if finding is None or step_text is None:
            return False
        if not _glob(self.step, step_text) or finding.subject != self.subject:
            return False
        if self.expected is not None and finding.expected != self.expected:
            return False
        return (bool(finding.seen) and all(any(_glob(p, s) for p in self.seen) for s in finding.seen)
                and all(any(_glob(r, s) for s in finding.seen) for r in self.requires))


class KnownBug(_Strict):
    """A confirmed product bug."""

    id: str
    title: str
    severity: Severity
    status: Literal["open", "needs spec clarification"]
    tracker: str | None = None
    seed: str | None = None          # the seed analysis section, e.g. "3.1"
    summary_row: str | None = None   # the seed summary table's row name, e.g. "Job Cleanup"
    scenarios: tuple[str, ...]
    signatures: tuple[Signature, ...]

    @property
    def label(self) -> str:
        return f"#{self.id}" if self.id.isdigit() else self.id

    def covers(self, scenario: str) -> bool:
        return any(_glob(pattern, scenario) for pattern in self.scenarios)

    def reproduced_by(self, scenario: str, step_text: str | None, finding: Finding | None) -> Signature | None:
        if not self.covers(scenario):
            return None
        return next((s for s in self.signatures if s.matches(step_text, finding)), None)


class OpenQuestion(_Strict):
    """A question the product team has not answered; failures of its rules need verification."""

    id: str
    title: str
    question: str
    ask: str                         # who must answer it
    seed: str | None = None
    summary_row: str | None = None
    signatures: tuple[Signature, ...] = ()   # how the recorded product answers (informative)


class Rule(_Strict):
    """One contract rule a scenario asserts, with the evidence behind it."""

    says: str
    contract: str
    evidence: Evidence
    sources: tuple[str, ...] = ()
    contested_by: str | None = None
    question: str | None = None
    obligation: Literal["required", "target"] = "required"   # a target's miss is reported, not failed
    steps: tuple[str, ...] = ()      # steps that assert this rule in every scenario (globs)

    @property
    def open(self) -> bool:
        """A derived or contested rule cannot produce a new product bug, only a question."""
        return self.evidence == "derived" or self.contested_by is not None

    @model_validator(mode="after")
    def _open_rules_name_their_question(self) -> "Rule":
        if self.open and not self.question:
            raise ValueError("a derived or contested rule must name the open question it raises")
        return self


class EvidenceMap(_Strict):
    rules: dict[str, Rule]
    questions: tuple[OpenQuestion, ...]

    @model_validator(mode="after")
    def _questions_exist(self) -> "EvidenceMap":
        ids = {q.id for q in self.questions}
        missing = sorted({r.question for r in self.rules.values() if r.question and r.question not in ids})
        if missing:
            raise ValueError(f"rules name unknown questions: {', '.join(missing)}")
        return self

    def question(self, question_id: str) -> OpenQuestion:
        return next(q for q in self.questions if q.id == question_id)

    def step_rule(self, step_text: str | None) -> str | None:
        """The rule a step asserts wherever it is used, if the step is bound to one."""
        if step_text is None:
            return None
        return next((rid for rid, rule in self.rules.items() if any(_glob(p, step_text) for p in rule.steps)), None)

    def rules_of_failure(self, scenario_rules: Iterable[str], step_text: str | None) -> list[str]:
        """The rules a failing step was checking: its own binding, else the scenario's ``@rule`` tags."""
        bound = self.step_rule(step_text)
        return [bound] if bound else list(scenario_rules)


class Registry(_Strict):
    bugs: tuple[KnownBug, ...]

    @field_validator("bugs")
    @classmethod
    def _unique(cls, bugs: tuple[KnownBug, ...]) -> tuple[KnownBug, ...]:
        ids = [b.id for b in bugs]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate bug ids: {', '.join(dupes)}")
        return bugs

    def bug(self, bug_id: str) -> KnownBug:
        return next(b for b in self.bugs if b.id == bug_id)

    def covering(self, scenario: str) -> list[KnownBug]:
        return [b for b in self.bugs if b.covers(scenario)]


def _load_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MisconfiguredError(f"{path.name}: cannot read ({exc})") from exc
    except yaml.YAMLError as exc:
        raise MisconfiguredError(f"{path.name}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise MisconfiguredError(f"{path.name}: expected a mapping at the top")
    return data


def _validated(model: type[BaseModel], path: Path) -> BaseModel:
    try:
        return model.model_validate(_load_yaml(path))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise MisconfiguredError(f"{path.name} is invalid: {problems}") from exc


def load_registry(path: Path | str = KNOWN_BUGS_FILE) -> Registry:
    return _validated(Registry, Path(path))  # type: ignore[return-value]


def load_evidence(path: Path | str = EVIDENCE_FILE) -> EvidenceMap:
    evidence = _validated(EvidenceMap, Path(path))
    return evidence  # type: ignore[return-value]


def default_registry() -> Registry:
    """The registry of this checkout (``FOCUS_KNOWN_BUGS_FILE`` names another file, e.g. in tests)."""
    return _cached_registry(os.environ.get("FOCUS_KNOWN_BUGS_FILE") or str(KNOWN_BUGS_FILE))


def default_evidence() -> EvidenceMap:
    """The evidence map of this checkout (``FOCUS_EVIDENCE_FILE`` names another file)."""
    return _cached_evidence(os.environ.get("FOCUS_EVIDENCE_FILE") or str(EVIDENCE_FILE))


@lru_cache(maxsize=4)
def _cached_registry(path: str) -> Registry:
    return load_registry(path)


@lru_cache(maxsize=4)
def _cached_evidence(path: str) -> EvidenceMap:
    return load_evidence(path)
