"""Merge the reports of several runs (parallel workers, or the shards of a CI run) into one.

``python -m scripts.merge_runs [--out reports] [--strict] [--no-report] [--plan-tags EXPR] DIR...``
(``make merge DIRS="..."``)

Each DIR holds what one run wrote: ``allure-results/``, ``run-results.json`` and ``cucumber.json``
(a worker folder, or a shard's ``reports/`` downloaded as an artifact). The merge writes, into
``--out``: the Allure results of all of them, one run record (``run-results.json``), one Cucumber
JSON, JUnit XML and a rerun list built from the merged record, then the triage and the HTML report
(``run_report.finish_run``) and returns the run's exit code.

Nothing is lost silently: a planned scenario no input recorded becomes a broken record (or an
interrupted one after Ctrl-C), a worker that failed outside any scenario becomes a run-level record,
and with ``--plan-tags`` (or ``--plan``) the union of the inputs is checked against the whole plan:
missing scenarios and scenarios recorded twice are reported.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from focus_support.reporting.ci_formats import (CUCUMBER_FILE, JUNIT_DIR, RERUN_FILE, merge_cucumber,
                                                write_junit, write_rerun)
from focus_support.reporting.records import RECORD_FILE, SCHEMA_VERSION, ScenarioRecord
from focus_support.scenarios.capacity_figures import SUMMARY_FILE as CAPACITY_FILE, merge_summaries

REPO = Path(__file__).resolve().parent.parent
RESULTS = "allure-results"
# written once per run by every worker; the first copy is kept
RUN_FILES = ("environment.properties", "categories.json", "executor.json")


@dataclass
class MergeSummary:
    """What the merge found."""

    inputs: list[Path] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)      # planned, recorded by nobody
    duplicated: list[str] = field(default_factory=list)   # recorded more than once
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"[merge] {len(self.inputs)} input(s), {len(self.records)} record(s)"]
        if self.missing:
            lines.append(f"[merge] {len(self.missing)} planned scenario(s) recorded by no input: "
                         + ", ".join(self.missing[:5]) + (" …" if len(self.missing) > 5 else ""))
        if self.duplicated:
            lines.append(f"[merge] {len(self.duplicated)} scenario(s) recorded twice (overlapping inputs): "
                         + ", ".join(self.duplicated[:5]) + (" …" if len(self.duplicated) > 5 else ""))
        lines += [f"[merge] {n}" for n in self.notes]
        return "\n".join(lines)


def run_level(message: str, location: str = "", scenario: str = "behave run", feature: str = "(run)",
              kind: str = "infrastructure", status: str = "broken") -> dict[str, Any]:
    """A record for something that went wrong outside any recorded scenario."""
    record = ScenarioRecord(feature=feature, scenario=scenario, location=location, status=status, kind=kind,
                            infrastructure=kind == "infrastructure", error_type="RunError", error_line=message)
    return asdict(record)


def _load(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def merge_allure(inputs: Iterable[Path], out: Path) -> int:
    """Copy every input's Allure results into ``out`` (emptied first); returns the files copied."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    copied = 0
    for folder in inputs:
        results = folder / RESULTS
        if not results.is_dir():
            continue
        for item in results.iterdir():
            target = out / item.name
            if item.name in RUN_FILES and target.exists():
                continue
            if item.is_file() and not target.exists():  # result files are named by unique ids
                shutil.copy2(item, target)
                copied += 1
    return copied


def merge_records(inputs: Sequence[Path], plan: Sequence[Any] | None = None,
                  interrupted: bool = False) -> MergeSummary:
    """All inputs' records, in plan order when a plan is given, with gaps and duplicates accounted for."""
    summary = MergeSummary(inputs=list(inputs))
    records: list[dict[str, Any]] = []
    for folder in inputs:
        records += _load(folder / RECORD_FILE).get("records", [])
    counts: dict[str, int] = {}
    for record in records:
        counts[record.get("location", "")] = counts.get(record.get("location", ""), 0) + 1
    summary.duplicated = sorted(loc for loc, n in counts.items() if n > 1 and loc)
    if plan is not None:
        order = {s.location: i for i, s in enumerate(plan)}
        records.sort(key=lambda r: order.get(r.get("location", ""), len(order)))
        for scenario in plan:
            if scenario.location not in counts:
                summary.missing.append(scenario.location)
                if interrupted:
                    records.append(run_level("not run: the run was interrupted before it", scenario.location,
                                             scenario.name, scenario.feature, kind="interrupted", status="skipped"))
                else:
                    records.append(run_level("not run: no worker or shard recorded this planned scenario "
                                             "(see the workers' logs)", scenario.location, scenario.name,
                                             scenario.feature))
    summary.records = records
    return summary


def write_outputs(summary: MergeSummary, out: Path, template: dict[str, Any] | None = None,
                  base: Path | None = None) -> None:
    """The merged run record, Cucumber JSON, JUnit XML and rerun list under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    doc = {k: v for k, v in (template or {}).items() if k != "records"}
    doc.setdefault("schema", SCHEMA_VERSION)
    doc["records"] = summary.records
    (out / RECORD_FILE).write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
    documents = [_cucumber(folder / CUCUMBER_FILE) for folder in summary.inputs]
    (out / CUCUMBER_FILE).write_text(json.dumps(merge_cucumber(d for d in documents if d), indent=1,
                                                ensure_ascii=False), encoding="utf-8")
    facts = [d for d in (_load(folder / FACTS_FILE) for folder in summary.inputs) if d]
    if facts:
        (out / FACTS_FILE).write_text(json.dumps(merge_facts(facts), indent=1, ensure_ascii=False), encoding="utf-8")
    capacity = merge_summaries([_load(folder / CAPACITY_FILE) for folder in summary.inputs])
    if capacity:
        (out / CAPACITY_FILE).write_text(json.dumps(capacity, indent=2) + "\n", encoding="utf-8")
    records = [ScenarioRecord.from_dict(r) for r in summary.records]
    write_junit(records, out / JUNIT_DIR)
    write_rerun(records, out / RERUN_FILE, base=base)


FACTS_FILE = "run-facts.json"  # focus_support.reporting.run_facts: what a run saw outside its scenarios


def merge_facts(documents: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One run's facts from its workers': counters added up, ``finished`` only if every worker
    finished, lists (the preflight, self-checks) and everything else from the first worker."""
    merged: dict[str, Any] = {}
    for doc in documents:
        for key, value in doc.items():
            if key not in merged:
                merged[key] = value
            elif isinstance(value, bool) or isinstance(merged[key], bool):
                merged[key] = bool(merged[key]) and bool(value)
            elif isinstance(value, dict) and isinstance(merged[key], dict) and all(
                    isinstance(v, (int, float)) for v in (*value.values(), *merged[key].values())):
                merged[key] = {k: merged[key].get(k, 0) + value.get(k, 0) for k in {*merged[key], *value}}
            elif isinstance(value, list) and not merged[key]:
                merged[key] = value
    return merged


def _cucumber(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return data if isinstance(data, list) else []


def merge(inputs: Sequence[Path], out: Path, plan: Sequence[Any] | None = None,
          interrupted: bool = False, extra_records: Sequence[dict[str, Any]] = (),
          base: Path = REPO) -> MergeSummary:
    """Merge ``inputs`` into ``out`` (Allure results, record, Cucumber, JUnit, rerun list); ``base``
    is the folder the scenarios' locations are relative to (where behave ran)."""
    inputs = [Path(p) for p in inputs]
    resolved_out = out.resolve()
    if any(p.resolve() == resolved_out for p in inputs):
        raise ValueError(f"the output folder {out} is also an input")
    summary = merge_records(inputs, plan, interrupted)
    summary.records += list(extra_records)
    merge_allure(inputs, out / RESULTS)
    template = next((d for d in (_load(p / RECORD_FILE) for p in inputs) if d), None)
    write_outputs(summary, out, template, base)
    return summary


def _plan(tags: str | None, paths: Sequence[str]) -> list[Any]:
    from scripts.scenario_plan import collect

    return collect([*(["--tags", tags] if tags else []), *paths])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.merge_runs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", type=Path, help="folders holding one run's reports each")
    parser.add_argument("--out", type=Path, default=REPO / "reports", help="where the merged reports go")
    parser.add_argument("--strict", action="store_true", help="known bugs and open questions fail too")
    parser.add_argument("--no-report", action="store_true", help="skip the Allure HTML generation")
    parser.add_argument("--plan", action="store_true", help="check the inputs cover the whole suite")
    parser.add_argument("--plan-tags", default=None, help="tag expression of the planned run (implies --plan)")
    parser.add_argument("--plan-path", action="append", default=[], help="feature paths of the planned run")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.inputs if not p.is_dir()]
    if missing:
        print(f"[merge] not a folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    plan = _plan(args.plan_tags, args.plan_path) if (args.plan or args.plan_tags or args.plan_path) else None
    summary = merge(args.inputs, args.out, plan)
    print(summary.describe())
    from focus_support.reporting.console import count_line, failure_block
    from focus_support.reporting.run_report import finish_run

    records = [ScenarioRecord.from_dict(r) for r in summary.records]
    block = failure_block(records)
    if block:
        print(block + "\n")
    print(count_line(records))
    code = finish_run(behave_exit_code=0, strict=args.strict, generate_html=not args.no_report, reports=args.out)
    if plan is not None and not summary.missing and not summary.duplicated:
        from scripts.parallel_run import update_timings

        update_timings(args.out, summary.records)  # a complete run: its timings balance the next shards
    return code if not summary.duplicated else max(code, 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
