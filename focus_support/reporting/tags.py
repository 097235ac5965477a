"""What the suite's tags mean to the report: severity, priority, issues, triage markers.

Severity tags (one per scenario; the highest wins when several apply):

| tag                       | Allure severity | triage priority |
|---------------------------|-----------------|-----------------|
| ``@blocker``              | blocker         | BLOCKER         |
| ``@critical`` ``@high``   | critical        | HIGH            |
| ``@normal`` ``@medium``   | normal          | MEDIUM          |
| ``@minor`` ``@low``       | minor           | LOW             |
| ``@trivial``              | trivial         | LOW             |

No severity tag means ``normal``. ``@issue:N`` links to the tracker; ``@known_bug`` and an
``@issue:N`` on the scenario itself (not inherited from the feature) mark a known product bug;
``@needs_verification`` marks an open question.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

SEVERITY_TAGS = {
    "blocker": "blocker",
    "critical": "critical", "high": "critical",
    "normal": "normal", "medium": "normal",
    "minor": "minor", "low": "minor",
    "trivial": "trivial",
}
SEVERITY_ORDER = ["blocker", "critical", "normal", "minor", "trivial"]
PRIORITY = {"blocker": "BLOCKER", "critical": "HIGH", "normal": "MEDIUM", "minor": "LOW", "trivial": "LOW"}
ISSUE_PREFIX = "issue:"
RULE_PREFIX = "rule:"
KNOWN_BUG = "known_bug"
NEEDS_VERIFICATION = "needs_verification"


def _strip(tag: str) -> str:
    tag = str(tag)
    return tag[1:] if tag.startswith("@") else tag


@dataclass(frozen=True)
class TagInfo:
    """The report-relevant meaning of a scenario's tags."""

    severity: str = "normal"
    issues: tuple[str, ...] = ()
    own_issues: tuple[str, ...] = ()
    known_bug: bool = False
    needs_verification: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)
    rules: tuple[str, ...] = ()

    @property
    def priority(self) -> str:
        """Triage priority derived from the severity."""
        return PRIORITY[self.severity]


def severity_of(tags: Iterable[str]) -> str:
    """The highest severity named by the tags, ``normal`` when none is."""
    found = [SEVERITY_TAGS[_strip(t).lower()] for t in tags if _strip(t).lower() in SEVERITY_TAGS]
    return min(found, key=SEVERITY_ORDER.index) if found else "normal"


def issues_of(tags: Iterable[str]) -> tuple[str, ...]:
    """Issue ids from ``@issue:N`` tags, in tag order, without duplicates."""
    ids: list[str] = []
    for tag in tags:
        tag = _strip(tag)
        if tag.lower().startswith(ISSUE_PREFIX):
            issue = tag[len(ISSUE_PREFIX):].strip()
            if issue and issue not in ids:
                ids.append(issue)
    return tuple(ids)


def rules_of(tags: Iterable[str]) -> tuple[str, ...]:
    """Contract rule ids from ``@rule:<id>`` tags (config/evidence.yaml), in tag order, no duplicates."""
    ids: list[str] = []
    for tag in tags:
        tag = _strip(tag)
        if tag.startswith(RULE_PREFIX) and tag[len(RULE_PREFIX):] not in ids:
            ids.append(tag[len(RULE_PREFIX):])
    return tuple(ids)


def parse_tags(effective_tags: Iterable[str], own_tags: Iterable[str] = ()) -> TagInfo:
    """Interpret a scenario's effective tags (feature + rule + scenario) and its own tags."""
    tags = tuple(_strip(t) for t in effective_tags)
    names = {t.lower() for t in tags}
    return TagInfo(
        severity=severity_of(tags),
        issues=issues_of(tags),
        own_issues=issues_of(own_tags),
        known_bug=KNOWN_BUG in names,
        needs_verification=NEEDS_VERIFICATION in names,
        tags=tags,
        rules=rules_of(tags),
    )


def issue_label(issue: str) -> str:
    """How an issue id is shown: ``#26`` for tracker numbers, the reference itself otherwise."""
    return f"#{issue}" if issue.isdigit() else issue
