"""Which features each sandbox defect switch is expected to break, and whether a run proved it.

Selection rule (stated in the matrix too): a switch's run covers the features of its area
(``AREA_FEATURES``, by the area ``focus_sandbox.defects`` gives it, plus every feature file tagged
``@defect:<switch>``) and a cheap cross-check from other areas (``CROSS_CHECK``). A switch counts
as **detected** only through assertion failures (product findings) of a scenario in those expected
features; assertion failures only elsewhere make the detection **suspicious**; errors, hook failures
and infrastructure failures never count. Scenarios that also fail on the spec profile in the same
verification are not counted either. A switch whose area no feature covers runs the whole suite.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from focus_sandbox.defects import DEFECTS
from focus_support.reporting.records import ScenarioRecord

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

# The reduced matrix `make test` runs: one switch per area the suite must never stop catching -
# configure validation, lifecycle (#26), alerts (#29), the rate limit - plus the cheap live-metadata
# one. (tests/suite/test_suite_runs.py proves waterfall_rules_not_enforced separately.)
REDUCED: tuple[str, ...] = (
    "height_not_validated",
    "janitor_keeps_queue",
    "alert_class_id_not_validated",
    "no_rate_limit",
    "live_metadata_float_channels",
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
    """What one switch's run showed."""

    switch: str
    caught_by: list[ScenarioRecord] = field(default_factory=list)     # assertion, expected feature
    collateral: list[ScenarioRecord] = field(default_factory=list)    # assertion, other feature
    errors: list[ScenarioRecord] = field(default_factory=list)        # not an assertion failure
    also_on_spec: list[ScenarioRecord] = field(default_factory=list)  # fails without the switch too
    run_error: str | None = None                                      # the stack did not start, ...

    @property
    def verdict(self) -> str:
        """``yes`` | ``suspicious`` (only unrelated features failed) | ``no``."""
        if self.caught_by:
            return "yes"
        return "suspicious" if self.collateral else "no"

    @property
    def detected(self) -> bool:
        """Counted as detected: caught by an assertion in an expected feature."""
        return self.verdict == "yes"


def evaluate(switch: str, records: Iterable[ScenarioRecord], spec_failures: Iterable[str] = (),
             run_error: str | None = None, root: Path = REPO) -> Detection:
    """Sort a switch run's failures into catches, collateral assertion failures and errors."""
    expected = expected_features(switch, root)
    baseline = set(spec_failures)
    result = Detection(switch=switch, run_error=run_error)
    for record in records:
        if record.status not in ("failed", "broken"):
            continue
        if record.kind != "assertion":
            result.errors.append(record)
        elif record.scenario in baseline:
            result.also_on_spec.append(record)
        elif is_expected(feature_of(record), expected) or f"defect:{switch}" in record.tags:
            result.caught_by.append(record)
        else:
            result.collateral.append(record)
    return result
