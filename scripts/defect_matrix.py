"""Which features each sandbox defect switch is expected to break, and whether a run proved it.

Selection rule (stated in the matrix too): a switch's run covers the features expected to catch any
switch of its area (``AREA_FEATURES``) plus a cheap cross-check from other areas (``CROSS_CHECK``).
A switch counts as **detected** only through assertion failures (product findings) of a scenario in
the features expected to catch *that* switch (``EXPECTED``, plus every feature file that carries a
``@defect:<switch>`` tag). Assertion failures only elsewhere make the detection **suspicious**;
errors, hook failures and infrastructure failures never count. Scenarios that also fail on the spec
profile in the same verification are not counted either.
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

# The feature files that must fail (by assertion) when a switch is on.
EXPECTED: dict[str, tuple[str, ...]] = {
    "height_not_validated": (F + "configuration/input_validation.feature",),
    "nfft_not_validated": (F + "configuration/input_validation.feature",),
    "frequency_range_not_validated": (F + "configuration/input_validation.feature",),
    "channel_count_not_validated": (F + "configuration/input_validation.feature",),
    "future_times_accepted": (F + "configuration/live_and_historic.feature",),
    "singlechannel_range_accepted": (F + "configuration/view_types.feature",
                                     F + "configuration/input_validation.feature"),
    "waterfall_rules_not_enforced": (F + "configuration/waterfall_rules.feature",),
    "historic_without_recordings_accepted": (F + "configuration/live_and_historic.feature",),
    "status_empty": (),  # only scenarios tagged @defect:status_empty
    "full_band_frequency_bins": (F + "calculations/frequency_axis.feature", F + "calculations/roi_data_size.feature"),
    "decimated_frequency_bins": (F + "calculations/frequency_axis.feature", F + "calculations/roi_data_size.feature"),
    "wrong_lines_dt": (F + "calculations/frequency_axis.feature", F + "calculations/roi_data_size.feature"),
    "job_id_reused": (F + "jobs/job_lifecycle.feature",),
    "no_cancel_route": (F + "jobs/job_cleanup.feature",),
    "janitor_keeps_queue": (F + "jobs/job_cleanup.feature", F + "jobs/job_lifecycle.feature"),
    "janitor_stuck_pending": (F + "jobs/job_cleanup.feature", F + "jobs/job_lifecycle.feature"),
    "metadata_after_cancel": (F + "jobs/job_cleanup.feature",),
    "deleted_index_missing": (F + "recordings/recordings_index.feature",),
    "recordings_unsorted": (F + "recordings/time_range.feature",),
    "live_metadata_missing_fields": (F + "metadata/live_metadata.feature",),
    "live_metadata_float_channels": (F + "metadata/live_metadata.feature", F + "api/health_and_channels.feature"),
    "no_rate_limit": (F + "api/rate_limiting.feature",),
    "rate_limit_without_retry_after": (F + "api/rate_limiting.feature",),
    "throttled_request_creates_job": (F + "api/rate_limiting.feature",),
    "alert_class_id_not_validated": (F + "alerts/alert_validation.feature",),
    "alert_dof_not_validated": (F + "alerts/alert_validation.feature",),
    "alert_missing_fields_accepted": (F + "alerts/alert_validation.feature",),
    "alert_severity_zero_accepted": (F + "alerts/alert_validation.feature",),
    "alerts_published_twice": (F + "alerts/alert_validation.feature",),
}

# Cheap features of several areas (about 8 s together on the sandbox) run with every switch, so that
# a switch that breaks unrelated behaviour, or a step that crashes on its data, shows up as collateral.
CROSS_CHECK: tuple[str, ...] = (
    F + "api/health_and_channels.feature",
    F + "metadata/live_metadata.feature",
    F + "recordings",
    F + "configuration/live_and_historic.feature",
    F + "configuration/waterfall_rules.feature",
)

# The reduced matrix `make test` runs: one or two switches per area the suite must never stop
# catching - configure validation, lifecycle (#26), alerts (#29) and the rate limit.
REDUCED: tuple[str, ...] = (
    "height_not_validated",
    "janitor_keeps_queue",
    "alert_class_id_not_validated",
    "no_rate_limit",
    "waterfall_rules_not_enforced",
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
    """The features expected to catch ``switch`` (mapping plus ``@defect:`` tags), existing ones only."""
    paths = list(EXPECTED.get(switch, ())) + list(tagged_features(root).get(switch, ()))
    return tuple(dict.fromkeys(p for p in paths if (root / p).exists()))


def area_features(area: str, root: Path = REPO) -> tuple[str, ...]:
    """Every feature expected to catch some switch of ``area``."""
    paths: list[str] = []
    for name, defect in sorted(DEFECTS.items()):
        if defect.area == area:
            paths += expected_features(name, root)
    return tuple(dict.fromkeys(paths))


def run_paths(switch: str, root: Path = REPO) -> tuple[str, ...]:
    """What a switch's run covers: its area's features plus the cross-check; empty = the whole suite."""
    area = DEFECTS[switch].area
    own = area_features(area, root)
    if not expected_features(switch, root):
        return ()  # nothing maps to it: run everything so that any catch shows
    return _without_nested(own + CROSS_CHECK)


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
    expected = set(expected_features(switch, root))
    baseline = set(spec_failures)
    result = Detection(switch=switch, run_error=run_error)
    for record in records:
        if record.status not in ("failed", "broken"):
            continue
        if record.kind != "assertion":
            result.errors.append(record)
        elif record.scenario in baseline:
            result.also_on_spec.append(record)
        elif feature_of(record) in expected or f"defect:{switch}" in record.tags:
            result.caught_by.append(record)
        else:
            result.collateral.append(record)
    return result
