"""Two runs' verdicts compared scenario by scenario (the staging rehearsal against the local run)."""
from __future__ import annotations

import json

from scripts.compare_runs import compare, main


def record(location: str, status: str = "passed", kind: str | None = None, bug: str | None = None,
           question: str | None = None, skip_reason: str | None = None) -> dict:
    return {"location": location, "scenario": f"scenario at {location}", "status": status,
            "kind": kind or status, "bug": bug, "question": question, "skip_reason": skip_reason}


def test_the_same_statuses_bugs_and_questions_are_the_same_verdict():
    runs = [record("a:1"), record("a:2", "failed", "known", bug="26"), record("a:3", "failed", "question",
                                                                              question="frequency-axis")]
    result = compare(runs, [dict(r) for r in runs])
    assert result.same and result.compared == 3, result.describe()


def test_another_bug_or_status_is_a_difference_naming_the_scenario_and_both_values():
    result = compare([record("a:2", "failed", "known", bug="26")], [record("a:2", "failed", "new")])
    assert not result.same
    assert result.differences == ["a:2 scenario at a:2: kind 'known' -> 'new', bug '26' -> None"]


def test_a_scenario_a_shared_environment_must_skip_is_no_difference_but_is_listed():
    base = [record("a:1"), record("a:2")]
    other = [record("a:1", "skipped", skip_reason="@exclusive: needs the namespace ... 'rehearsal' is shared"),
             record("a:2", "skipped", skip_reason="rate limit not declared for rehearsal")]
    result = compare(base, other)
    assert result.same and len(result.skipped_as_allowed) == 2, result.describe()


def test_a_skip_for_any_other_reason_is_a_difference():
    result = compare([record("a:1")], [record("a:1", "skipped", skip_reason="cluster is unavailable")])
    assert not result.same and "status 'passed' -> 'skipped'" in result.differences[0]


def test_scenarios_only_one_run_has_are_differences():
    result = compare([record("a:1"), record("a:2")], [record("a:1"), record("a:3")])
    assert not result.same and result.only_in_base == ["a:2 scenario at a:2"]
    assert result.only_in_other == ["a:3 scenario at a:3"]


def test_the_command_exits_0_for_the_same_verdict_1_for_a_difference_2_for_an_unreadable_record(tmp_path, capsys):
    base, same, other = (tmp_path / n for n in ("base", "same", "other"))
    for folder, records in ((base, [record("a:1")]), (same, [record("a:1")]), (other, [record("a:1", "failed")])):
        folder.mkdir()
        (folder / "run-results.json").write_text(json.dumps({"schema": 1, "records": records}))
    assert main([str(base), str(same)]) == 0
    assert main([str(base), str(other)]) == 1
    assert main([str(base), str(tmp_path / "missing")]) == 2
    assert "cannot read a run record" in capsys.readouterr().err
