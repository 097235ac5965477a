"""The run's record file: rewritten whole after each scenario, read back by the parallel console."""
from __future__ import annotations

import json

from focus_support.reporting.records import RunRecordWriter, ScenarioRecord, load_records
from scripts.parallel_run import Worker


def _record(n: int) -> ScenarioRecord:
    return ScenarioRecord(feature="Jobs", scenario=f"Scenario {n} — ünïcode", location=f"features/a.feature:{n}",
                          status="passed", kind="passed", duration_s=0.1 * n)


def test_a_new_file_holds_no_records_and_each_addition_is_on_disk_at_once(tmp_path):
    path = tmp_path / "run-results.json"
    writer = RunRecordWriter(path)
    assert json.loads(path.read_text()) == {"schema": 1, "records": []}
    writer.add(_record(1))
    writer.add(_record(2))
    assert load_records(path) == [_record(1), _record(2)]


def test_the_console_sees_every_new_version_of_a_workers_records(tmp_path):
    worker = Worker(name="w1", scenarios=[], folder=tmp_path)
    assert worker.records() == []
    writer = RunRecordWriter(worker.record_file)
    writer.add(_record(1))
    assert [r["location"] for r in worker.records()] == ["features/a.feature:1"]
    writer.add(_record(2))
    assert [r["location"] for r in worker.records()] == ["features/a.feature:1", "features/a.feature:2"]
