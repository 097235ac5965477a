"""A stopped benchmark stops: an interrupted suite run is never counted as a run of the series.

Found when a flake series was stopped with SIGTERM: each signal only interrupted the run under way,
which was then saved as a run of 273 passed and 87 skipped, and the next run started.
"""
from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import pytest

import benchmarks.flakes as flakes
import benchmarks.suite_runs_common as common
from benchmarks.suite_runs_common import SuiteResult


def test_an_interrupted_run_raises_instead_of_returning_a_result(monkeypatch, tmp_path):
    import focus_support.reporting.run_report as run_report
    import scripts.parallel_run as parallel_run

    finished = []
    monkeypatch.setattr(parallel_run, "run_suite", lambda *a, **k: common.INTERRUPTED)
    monkeypatch.setattr(run_report, "finish_run", lambda **k: finished.append(k) or 0)
    with pytest.raises(KeyboardInterrupt):
        common.run_full_suite(1, tmp_path / "run")
    assert finished == [], "an interrupted run must not get a verdict"


def test_a_series_stops_at_the_interrupted_run_and_keeps_the_finished_ones(monkeypatch, tmp_path, capsys):
    calls = []

    def fake_run(jobs, reports: Path, timings=None, tags=""):
        calls.append(reports.name)
        if len(calls) == 2:
            raise KeyboardInterrupt("signal 15")
        return SuiteResult(jobs=jobs, wall_s=1.0, exit_code=0, outcomes={"a.feature:3": ("passed", None)},
                           names={"a.feature:3": "A"})

    monkeypatch.setattr(flakes, "run_full_suite", fake_run)
    monkeypatch.setattr(flakes, "private_stack", lambda: nullcontext())
    monkeypatch.setattr(flakes, "sigterm_as_interrupt", lambda: None)
    series = tmp_path / "series"
    code = flakes.main(["--runs", "5", "--fresh-stack", "--series", str(series)])
    assert code == 130
    assert calls == ["run1", "run2"], "no run may start after the interrupted one"
    assert sorted(p.name for p in series.glob("run*.json")) == ["run01.json"]
    assert "interrupted" in capsys.readouterr().out
