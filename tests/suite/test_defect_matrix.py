"""The defect matrix: its rules on made-up records, and a reduced matrix on real sandbox stacks.

The reduced matrix (``REDUCED``: configure validation, lifecycle #26, alerts #29, rate limit, live
metadata) is what ``make test`` affords; ``make verify-suite`` runs every switch.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from focus_sandbox.defects import DEFECTS
from focus_support.reporting.records import ScenarioRecord
from focus_support.verdict.findings import Finding
from scripts.defect_matrix import (AREA_FEATURES, CROSS_CHECK, NOT_SWITCHABLE, REDUCED, evaluate,
                                   expected_features, is_expected, run_paths, tagged_features)
from scripts.verify_suite import run_matrix

REPO = Path(__file__).resolve().parents[2]


def record(feature: str, scenario: str, status: str = "failed", kind: str = "assertion",
           tags: tuple[str, ...] = (), *, step: str | None = None, finding: Finding | None = None,
           rules: tuple[str, ...] = ()) -> ScenarioRecord:
    """A run record as the formatter writes it; the matrix judges it again with the real registry."""
    return ScenarioRecord(feature="F", scenario=scenario, location=f"features/{feature}:12", status=status,
                          kind=kind, tags=list(tags), step_text=step, rules=list(rules),
                          finding=finding.to_dict() if finding else None)


ACCEPTED = Finding("http.status", "rejected", ("accepted",))
HEIGHT_0 = "A multichannel request with a canvas height of 0 is rejected"
NAMING_HEIGHT = 'the configuration is rejected as invalid, naming "height"'


# --- the rules, without a stack -------------------------------------------------------------------

@pytest.mark.parametrize("switch", sorted(DEFECTS))
def test_every_switch_names_the_features_that_must_catch_it(switch):
    found = expected_features(switch)
    assert found, (f"switch {switch!r} ({DEFECTS[switch].description}) has no feature expected to catch it: "
                   f"map its area {DEFECTS[switch].area!r} in scripts/defect_matrix.AREA_FEATURES or tag a "
                   f"scenario @defect:{switch}")


def test_every_feature_belongs_to_an_area_so_its_catches_count():
    covered = [p for paths in AREA_FEATURES.values() for p in paths] + list(NOT_SWITCHABLE)
    orphans = [f.relative_to(REPO).as_posix() for f in sorted((REPO / "features").rglob("*.feature"))
               if not is_expected(f.relative_to(REPO).as_posix(), covered)]
    assert not orphans, (f"feature files in no area of scripts/defect_matrix.AREA_FEATURES (a switch they "
                         f"catch would count as suspicious only): {orphans}")


def test_defect_tags_name_real_switches():
    unknown = {s: files for s, files in tagged_features().items() if s not in DEFECTS}
    assert not unknown, f"@defect: tags naming no sandbox switch: {unknown}"


def test_a_switch_run_covers_its_expected_features_and_the_cross_check():
    paths = run_paths("janitor_keeps_queue")
    assert "features/jobs" in paths
    assert all(p in paths for p in CROSS_CHECK), paths
    assert len(paths) == len(set(paths))
    assert all((REPO / p).exists() for p in paths), paths


def test_an_observed_switch_is_detected_when_it_shows_as_its_own_known_bug():
    d = evaluate("height_not_validated", [
        record("configuration/input_validation.feature", HEIGHT_0, step=NAMING_HEIGHT, finding=ACCEPTED,
               rules=("configure.height",)),
        record("api/health_and_channels.feature", "The health probe acknowledges", status="passed", kind="passed")])
    assert (d.verdict, d.expectation, d.run_verdict) == ("yes", "bug:lax-configure-validation", "PASS")
    assert [r.scenario for r in d.caught_by] == [HEIGHT_0]


def test_an_observed_switch_that_shows_as_a_new_bug_is_not_detected():
    """The registry would not recognise it on the real server either: the run would turn red."""
    d = evaluate("height_not_validated", [
        record("configuration/input_validation.feature", HEIGHT_0, step=NAMING_HEIGHT, rules=("configure.height",))])
    assert d.verdict == "suspicious" and not d.detected and d.otherwise[0].category == "product bug — new"


def test_a_switch_never_seen_on_staging_must_fail_the_run_with_a_new_bug():
    d = evaluate("waterfall_rules_not_enforced", [
        record("configuration/waterfall_rules.feature", "A waterfall request with a time-axis duration of 30 s is "
               "rejected", step='the configuration is rejected as invalid, naming "displayTimeAxisDuration"',
               finding=ACCEPTED, rules=("configure.waterfall",))])
    assert (d.verdict, d.run_verdict) == ("yes", "FAIL")


def test_a_switch_caught_only_as_an_open_question_does_not_count_as_new():
    d = evaluate("full_band_frequency_bins", [
        record("calculations/frequency_axis.feature", "A multichannel view over 0 to 500 Hz carries exactly the FFT "
               "bins inside that band", rules=("frequency.textbook-spacing",))])
    assert d.run_verdict == "PASS" and d.verdict == "suspicious" and not d.detected


def test_an_observed_open_question_is_detected_as_that_question():
    d = evaluate("status_empty", [record("configuration/response_status.feature",
                                         "An accepted configuration reports success", rules=("response.status",))])
    assert d.detected and d.caught_by[0].question == "status-empty"


def test_findings_only_in_unrelated_features_are_suspicious():
    d = evaluate("waterfall_rules_not_enforced", [record("alerts/alert_validation.feature", "An alert is rejected",
                                                         rules=("alerts.validation",))])
    assert d.verdict == "suspicious" and not d.detected


@pytest.mark.parametrize("kind", ["infrastructure", "error", "undefined"])
def test_infrastructure_failures_never_count_as_detection(kind):
    d = evaluate("waterfall_rules_not_enforced", [
        record("configuration/waterfall_rules.feature", "A waterfall request is rejected", status="broken",
               kind=kind, rules=("configure.waterfall",))])
    assert d.verdict == "no" and len(d.errors) == 1


def test_scenarios_failing_on_the_spec_baseline_do_not_count():
    name = "A waterfall request with a frequency range is rejected"
    d = evaluate("waterfall_rules_not_enforced", [record("configuration/waterfall_rules.feature", name,
                                                         rules=("configure.waterfall",))], spec_failures={name})
    assert d.verdict == "no" and [r.scenario for r in d.also_on_spec] == [name]


def test_a_defect_tag_on_the_scenario_counts_wherever_it_lives():
    d = evaluate("status_empty", [record("jobs/some_new.feature", "The response reports success",
                                         tags=("defect:status_empty",), rules=("response.status",))])
    assert d.detected


def test_a_switch_nothing_asserts_is_left_to_the_golden_corpus():
    assert evaluate("stream_url_with_scheme", []).verdict == "corpus"


def test_an_unknown_switch_is_refused_before_anything_starts():
    done = subprocess.run([sys.executable, "-m", "scripts.verify_suite", "--switch", "no_such_switch"],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "no_such_switch" in done.stderr, (done.returncode, done.stdout, done.stderr)


# --- the reduced matrix on real stacks -----------------------------------------------------------

@pytest.fixture(scope="module")
def reduced_matrix(tmp_path_factory):
    """Every switch of REDUCED run once (two stacks at a time); detections by switch."""
    lines: list[str] = []
    matrix = run_matrix(list(REDUCED), tmp_path_factory.mktemp("reduced-matrix"), log=lines.append)
    return matrix, lines


@pytest.mark.suite
@pytest.mark.stack
@pytest.mark.slow
@pytest.mark.parametrize("switch", REDUCED)
def test_reduced_matrix_detects_the_switch(reduced_matrix, switch):
    matrix, lines = reduced_matrix
    assert switch in matrix, f"{switch} did not run; progress: {lines}"
    detection, outcome = matrix[switch]
    failures = [(r.scenario, r.kind, r.error_line) for r in outcome.failures]
    assert detection.detected, (f"{switch} was not detected (verdict {detection.verdict}); run error "
                                f"{outcome.stack_error}; failures {failures}; log in {outcome.workdir}")
    assert not detection.errors, (f"{switch} made scenarios error instead of fail: "
                                  f"{[(r.scenario, r.error_type, r.error_line) for r in detection.errors]}")
