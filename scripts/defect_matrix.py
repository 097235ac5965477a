"""Which features each sandbox defect switch is expected to break, and whether the run's *verdict* proved it.

Selection rule (stated in the matrix too): a switch's run covers the features of its area
(``AREA_FEATURES``, by the area ``focus_sandbox.defects`` gives it, plus every feature file tagged
``@defect:<switch>``) and a cheap cross-check from other areas (``CROSS_CHECK``). A switch whose area
no feature covers runs the whole suite.

Detection follows the run's verdict, as a user would read it (``focus_sandbox.defects.expectation``):

* a switch the deployed server was never seen doing must make the run **FAIL** with a **product bug —
  new** in a scenario of its expected features;
* an observed switch must appear as **its own known bug** (``bug:<id>``) or **its own open question**
  (``question:<id>``) — the very verdict a run against the real server would give;
* a ``fidelity`` switch changes nothing a scenario asserts: the golden corpus checks it.

Failures in other features make a detection **suspicious**; errors, hook and infrastructure failures
never count; scenarios that also fail on the spec baseline of the same verification are not counted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from focus_sandbox.defects import DEFECTS, expectation
from focus_support.reporting.records import ScenarioRecord
from focus_support.reporting.triage import Triage
from focus_support.verdict.classify import INFRASTRUCTURE, NEEDS_VERIFICATION, PRODUCT_KNOWN, PRODUCT_NEW

REPO = Path(__file__).resolve().parent.parent
F = "features/"

# The features that must fail (by assertion) when a switch of the area is on.
AREA_FEATURES: dict[str, tuple[str, ...]] = {
    "configure": (F + "configuration",),
    "response": (F + "configuration/view_types.feature", F + "configuration/response_types.feature",
                 F + "configuration/response_status.feature", F + "calculations", F + "jobs/job_lifecycle.feature"),
    "lifecycle": (F + "jobs",),
    "mongodb": (F + "recordings", F + "configuration/live_and_historic.feature"),
    "resilience": (F + "resilience",),
    "metadata": (F + "metadata", F + "api/health_and_channels.feature"),
    "api": (F + "api/health_and_channels.feature",),
    "rate_limit": (F + "api/rate_limiting.feature",),
    "alerts": (F + "alerts",),
    "stream": (F + "streaming",),
    "capacity": (F + "capacity",),
}

# Features no sandbox switch can break (they check the suite's own environment declarations and
# cluster access); every other feature file must belong to some area above.
NOT_SWITCHABLE: tuple[str, ...] = (F + "infrastructure",)

# Cheap features of several areas (about 8 s together on the sandbox) run with every switch, so that
# a switch that breaks unrelated behaviour, or a step that crashes on its data, shows up as collateral.
CROSS_CHECK: tuple[str, ...] = (
    F + "api/health_and_channels.feature",
    F + "metadata/live_metadata.feature",
    F + "recordings",
    F + "configuration/live_and_historic.feature",
    F + "configuration/waterfall_rules.feature",
)

# The reduced matrix `make test` runs: one switch per verdict the suite must never stop giving -
# known bugs (configure validation, #26, #29, live metadata), an open question (the rate limit) and a
# new bug that fails the run (an alert severity nobody saw accepted). (tests/suite/test_suite_runs.py
# proves waterfall_rules_not_enforced separately.)
REDUCED: tuple[str, ...] = (
    "height_not_validated",
    "janitor_keeps_queue",
    "alert_class_id_not_validated",
    "no_rate_limit",
    "live_metadata_float_channels",
    "alert_severity_not_validated",
)

_DEFECT_TAG = re.compile(r"@defect:([A-Za-z0-9_]+)")


def tagged_features(root: Path = REPO) -> dict[str, tuple[str, ...]]:
    """Feature files (repo-relative) that carry an ``@defect:<switch>`` tag, by switch."""
    found: dict[str, list[str]] = {}
    for path in sorted((root / "features").rglob("*.feature")):
        for switch in set(_DEFECT_TAG.findall(path.read_text(encoding="utf-8"))):
            found.setdefault(switch, []).append(path.relative_to(root).as_posix())
    return {k: tuple(v) for k, v in found.items()}


def expected_features(switch: str, root: Path = REPO) -> tuple[str, ...]:
    """The features (files or folders) expected to catch ``switch``: its area's plus ``@defect:`` tags."""
    paths = list(AREA_FEATURES.get(DEFECTS[switch].area, ())) + list(tagged_features(root).get(switch, ()))
    return _without_nested(p for p in paths if (root / p).exists())


def run_paths(switch: str, root: Path = REPO) -> tuple[str, ...]:
    """What a switch's run covers: its expected features plus the cross-check; empty = the whole suite."""
    own = expected_features(switch, root)
    if not own:
        return ()  # nothing maps to it: run everything so that any catch shows
    return _without_nested(own + CROSS_CHECK)


def is_expected(feature_file: str, expected: Iterable[str]) -> bool:
    """True when ``feature_file`` is one of ``expected`` or lies in one of its folders."""
    return any(feature_file == p or feature_file.startswith(p.rstrip("/") + "/") for p in expected)


def _without_nested(paths: Iterable[str]) -> tuple[str, ...]:
    """Drop duplicates and files already inside a listed folder (behave would run them twice)."""
    unique = list(dict.fromkeys(paths))
    folders = [p for p in unique if not p.endswith(".feature")]
    return tuple(p for p in unique
                 if p in folders or not any(p.startswith(d.rstrip("/") + "/") for d in folders))


def feature_of(record: ScenarioRecord) -> str:
    """The repo-relative feature file of a record (from its location ``path:line``)."""
    return record.location.rsplit(":", 1)[0]


@dataclass
class Detection:
    """What one switch's run showed, judged by the verdict it had to produce."""

    switch: str
    expectation: str = "new"
    run_verdict: str | None = None                                    # FAIL / PASS of the switch's run
    caught_by: list[ScenarioRecord] = field(default_factory=list)     # the expected verdict, expected feature
    otherwise: list[ScenarioRecord] = field(default_factory=list)     # expected feature, another verdict
    collateral: list[ScenarioRecord] = field(default_factory=list)    # a product finding in another feature
    errors: list[ScenarioRecord] = field(default_factory=list)        # infrastructure, not a finding
    also_on_spec: list[ScenarioRecord] = field(default_factory=list)  # fails without the switch too
    run_error: str | None = None                                      # the stack did not start, ...

    @property
    def verdict(self) -> str:
        """``yes`` | ``suspicious`` (only unrelated features or other verdicts) | ``no`` | ``corpus``."""
        if self.expectation == "fidelity":
            return "corpus"
        replayed_as_new = self.expectation != "new" and any(
            r.category == PRODUCT_NEW for r in self.otherwise + self.collateral)
        if self.caught_by and not replayed_as_new and (self.expectation != "new" or self.run_verdict == "FAIL"):
            return "yes"
        return "suspicious" if self.collateral or self.otherwise else "no"

    @property
    def detected(self) -> bool:
        """Counted as detected: the run gave the verdict the switch must produce (or the corpus judges it)."""
        return self.verdict in ("yes", "corpus")

    @property
    def expected_category(self) -> str:
        kind = self.expectation.split(":", 1)[0]
        return {"new": PRODUCT_NEW, "bug": PRODUCT_KNOWN, "question": NEEDS_VERIFICATION}.get(kind, "—")


def _shows_expectation(record: ScenarioRecord, wanted: str) -> bool:
    kind, _, ident = wanted.partition(":")
    if kind == "new":
        return record.category == PRODUCT_NEW
    if kind == "bug":
        return record.category == PRODUCT_KNOWN and record.bug == ident
    if kind == "question":
        return record.category == NEEDS_VERIFICATION and record.question == ident
    return False


def evaluate(switch: str, records: Iterable[ScenarioRecord], spec_failures: Iterable[str] = (),
             run_error: str | None = None, root: Path = REPO) -> Detection:
    """Judge a switch run by its verdict: the records are classified again with the current registry."""
    records = [r for r in records]
    triage = Triage.of(records)
    expected = expected_features(switch, root)
    baseline = set(spec_failures)
    wanted = expectation(switch)
    result = Detection(switch=switch, expectation=wanted, run_error=run_error,
                       run_verdict=("FAIL" if triage.exit_code else "PASS") if records else None)
    for record in triage.records:
        if record.category is None:
            continue
        in_area = is_expected(feature_of(record), expected) or f"defect:{switch}" in record.tags
        if record.category == INFRASTRUCTURE or record.kind == "interrupted":
            result.errors.append(record)
        elif record.scenario in baseline:
            result.also_on_spec.append(record)
        elif in_area and _shows_expectation(record, wanted):
            result.caught_by.append(record)
        elif in_area:
            result.otherwise.append(record)
        else:
            result.collateral.append(record)
    return result
