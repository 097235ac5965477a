"""The quiet console: a scenario line and the where / expected / seen block of a failure."""
from __future__ import annotations

from focus_support.reporting.console import count_line, expected_and_seen, failure_block, scenario_line
from focus_support.reporting.records import ScenarioRecord


def _record(**kw) -> ScenarioRecord:
    base = dict(feature="F", scenario="A rejected request starts nothing", location="features/x/y.feature:12",
                status="failed", kind="assertion", duration_s=0.42)
    base.update(kw)
    return ScenarioRecord(**base)


def test_a_scenario_line_has_status_count_elapsed_where_and_duration():
    line = scenario_line(_record(status="passed", kind="passed"), 7, 127, 75.2)
    assert line == "✔ passed    7/127   1:15  features/x/y.feature:12  A rejected request starts nothing (0.4 s)"


def test_a_failed_line_names_its_verdict():
    line = scenario_line(_record(category="product bug — new"), 3, None, 1.0)
    assert line.startswith("✘ failed     3") and line.endswith("[product bug — new]")


def test_expected_and_seen_come_from_the_structured_finding_first():
    record = _record(error_line="expected 422, seen 200",
                     finding={"subject": "http.status", "expected": "rejected", "seen": ["accepted"]})
    assert expected_and_seen(record)[1:] == ("http.status: rejected", "accepted")


def test_expected_and_seen_from_a_hamcrest_message():
    record = _record(error_line="status of POST /configure Expected: an HTTP response with status 429 "
                                "but: got status 200")
    what, expected, seen = expected_and_seen(record)
    assert (what, expected, seen) == ("status of POST /configure", "an HTTP response with status 429",
                                      "got status 200")


def test_the_failure_block_says_where_expected_seen_and_skips_passes():
    block = failure_block([_record(status="passed", kind="passed"),
                           _record(error_line="expected 4, got 3", failing_step="Then the answer is 4"),
                           _record(status="broken", kind="infrastructure", scenario="Unreachable",
                                   error_line="UnreachableError: refused", hook="before_scenario")])
    assert block.splitlines() == [
        "Failures (2):",
        "✘ A rejected request starts nothing",
        '    where:    features/x/y.feature:12, step "Then the answer is 4"',
        "    expected: 4",
        "    seen:     3",
        "! Unreachable",
        "    where:    features/x/y.feature:12, hook before_scenario",
        "    error:    UnreachableError: refused",
    ]
    assert failure_block([_record(status="passed", kind="passed")]) == ""


def test_the_count_line():
    assert count_line([_record(), _record(status="skipped", kind="skipped")], 61) == \
        "Scenarios: 2 — 0 passed, 1 failed, 0 broken, 1 skipped (1:01)"
