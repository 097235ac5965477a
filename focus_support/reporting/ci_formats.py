"""The result formats CI tools import: Cucumber JSON, JUnit XML and a rerun list.

* **Cucumber JSON** (``reports/cucumber.json``) — what Jira Xray and CI dashboards import. behave's
  own ``json`` formatter writes a different structure, so ``CucumberJsonFormatter`` writes the
  Cucumber one from behave's model: features with ``uri``/``id``/``keyword``/``name``/``line``/
  ``tags``; ``elements`` (a ``background`` element before each scenario that has one, then the
  ``scenario``, outline rows expanded); ``steps`` with ``keyword``/``name``/``line``/``match`` and
  ``result`` ``{status, duration (nanoseconds), error_message}``; a failed hook as a ``before`` or
  ``after`` entry. Each ``@xray:KEY`` tag is also given as the bare ``@KEY`` tag Xray links by.
* **JUnit XML** (``reports/junit/TESTS-acceptance.xml``) — written from the run records, so it
  keeps the suite's statuses: a product finding (*failed*) is a ``<failure>``, anything else that
  went wrong (*broken*: infrastructure, a hook, the suite's own code) an ``<error>``, a skip a
  ``<skipped>`` with its reason. One ``<testsuite>`` per feature; ``test_key`` properties per
  Xray's JUnit extension.
* **rerun list** (``reports/rerun.txt``) — the failed and broken scenarios, one ``file:line`` a
  line, as behave's ``@file`` selection reads it (``make rerun``).

behave's ``--junit`` is not used: it writes one file per feature (parallel workers would overwrite
each other's), reports hook errors and skips its own way and knows nothing of Xray keys.
"""
from __future__ import annotations

import json
import os
import re
import socket
import time
import xml.etree.ElementTree as ET
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterable

from behave.formatter.base import Formatter
from behave.model_type import Status

from focus_support.reporting.records import ScenarioRecord, make_record
from focus_support.reporting.redaction import redact
from focus_support.reporting.statuses import scenario_outcome
from focus_support.reporting.tags import parse_tags
from focus_support.reporting.xray import xray_keys

CUCUMBER_FILE = "cucumber.json"
JUNIT_DIR = "junit"
JUNIT_FILE = "TESTS-acceptance.xml"
RERUN_FILE = "rerun.txt"
NS_PER_S = 1_000_000_000

_CUCUMBER_STATUS = {
    Status.passed: "passed", Status.failed: "failed", Status.error: "failed", Status.hook_error: "failed",
    Status.undefined: "undefined", Status.pending: "pending", Status.pending_warn: "pending",
}


# --- helpers shared by the formatters ------------------------------------------------------------
def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unnamed"


def _tags(tags: Iterable[Any], line: int | None) -> list[dict[str, Any]]:
    names = [str(t).lstrip("@") for t in tags]
    out = [{"name": f"@{n}", "line": line} for n in names]
    out += [{"name": f"@{key}", "line": line} for key in xray_keys(names) if key not in names]
    return out


def _text(lines: Any) -> str:
    if isinstance(lines, (list, tuple)):
        return "\n".join(str(x) for x in lines)
    return str(lines or "")


def location_of(scenario: Any) -> str:
    """``features/x.feature:LINE`` as behave prints it (relative path, posix)."""
    return f"{Path(scenario.filename).as_posix()}:{scenario.line}"


def own_tags(scenario: Any) -> list[str]:
    """Tags written on the scenario or its rule, not inherited from the feature."""
    return list(getattr(scenario, "tags", [])) + list(getattr(getattr(scenario, "rule", None), "tags", []) or [])


def record_of(scenario: Any) -> ScenarioRecord:
    """A run record of a finished behave scenario, built as the Allure formatter builds it."""
    info = parse_tags(sorted(str(t) for t in scenario.effective_tags), own_tags(scenario))
    return make_record(feature=scenario.feature.name, scenario=scenario.name, location=location_of(scenario),
                       outcome=scenario_outcome(scenario), info=info,
                       duration_s=float(getattr(scenario, "duration", 0.0) or 0.0))


class ScenarioFormatter(Formatter):
    """Base for formatters that act once per finished scenario (behave calls no "scenario ended")."""

    def __init__(self, stream_opener: Any, config: Any) -> None:
        super().__init__(stream_opener, config)
        self._current: Any = None

    def scenario(self, scenario: Any) -> None:
        self._finish()
        self._current = scenario

    def eof(self) -> None:
        self._finish()

    def close(self) -> None:
        self._finish()
        self.end_of_run()
        super().close()

    def _finish(self) -> None:
        if self._current is not None:
            scenario, self._current = self._current, None
            if not (scenario.status == Status.skipped and self._deselected(scenario)):
                self.scenario_finished(scenario)

    def _deselected(self, scenario: Any) -> bool:
        """Excluded by tags or name (not run here at all, as opposed to skipped with a reason)."""
        tag_expression = getattr(self.config, "tag_expression", None)
        return not (scenario.should_run_with_tags(tag_expression)
                    and scenario.should_run_with_name_select(self.config))

    def scenario_finished(self, scenario: Any) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def end_of_run(self) -> None:
        """Called once, after the last scenario."""


# --- Cucumber JSON ----------------------------------------------------------------------------------
def _step_json(step: Any, match_locations: dict[int, str]) -> dict[str, Any]:
    status = _CUCUMBER_STATUS.get(step.status, "skipped")
    result: dict[str, Any] = {"status": status, "duration": int(round((step.duration or 0) * NS_PER_S))}
    if status in ("failed", "undefined", "pending") and (step.error_message or status != "undefined"):
        result["error_message"] = redact(step.error_message or "")
    out: dict[str, Any] = {"keyword": f"{step.keyword.strip()} ", "name": redact(step.name), "line": step.line,
                           "match": {"location": match_locations.get(id(step), "")}, "result": result}
    if step.table is not None:
        rows = [step.table.headings] + [list(r.cells) for r in step.table.rows]
        out["rows"] = [{"cells": [redact(str(c)) for c in row]} for row in rows]
    if step.text is not None:
        out["doc_string"] = {"value": redact(str(step.text)), "line": step.line + 1,
                             "content_type": getattr(step.text, "content_type", "") or ""}
    return out


def _hook_entry(message: str, where: str) -> dict[str, Any]:
    return {"match": {"location": f"environment.py:{where}"},
            "result": {"status": "failed", "duration": 0, "error_message": redact(message)}}


def scenario_elements(scenario: Any, match_locations: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """The Cucumber elements of one finished scenario: its background (if any), then itself."""
    match_locations = match_locations or {}
    feature_id = _slug(scenario.feature.name)
    elements: list[dict[str, Any]] = []
    background = getattr(scenario, "background", None) or getattr(scenario.feature, "background", None)
    background_steps = list(getattr(scenario, "background_steps", []) or [])
    if background is not None and background_steps:
        elements.append({"keyword": background.keyword, "name": background.name or "", "description": "",
                         "line": background.line, "type": "background",
                         "steps": [_step_json(s, match_locations) for s in background_steps]})
    element: dict[str, Any] = {
        "id": f"{feature_id};{_slug(scenario.name)}", "keyword": scenario.keyword, "name": scenario.name,
        "description": _text(getattr(scenario, "description", "")), "line": scenario.line, "type": "scenario",
        "tags": _tags(sorted(str(t) for t in scenario.effective_tags if str(t) not in
                             {str(f) for f in scenario.feature.tags}), scenario.line - 1),
        "steps": [_step_json(s, match_locations) for s in scenario.steps],
    }
    outcome = scenario_outcome(scenario)
    failed_step = any(s.status in (Status.failed, Status.error, Status.undefined, Status.pending)
                      for s in scenario.all_steps)
    if outcome.hook and not failed_step and outcome.status != "skipped":
        where = "after_scenario" if "after" in outcome.hook else outcome.hook
        key = "after" if "after" in where else "before"
        element[key] = [_hook_entry(outcome.message or f"{where} failed", where)]
    elif outcome.status == "skipped" and outcome.message and not failed_step:
        # the reason of a skip (an environment that forbids the scenario, a missing dependency)
        element["description"] = (element["description"] + "\n" if element["description"] else "") + outcome.message
    elements.append(element)
    return elements


def feature_json(feature: Any) -> dict[str, Any]:
    """A Cucumber feature object with no elements yet."""
    return {"uri": Path(feature.filename).as_posix(), "id": _slug(feature.name), "keyword": feature.keyword,
            "name": feature.name, "description": _text(feature.description), "line": feature.line,
            "tags": _tags(sorted(str(t) for t in feature.tags), max(feature.line - 1, 1)), "elements": []}


class CucumberJsonFormatter(ScenarioFormatter):
    """Writes Cucumber JSON (``outfiles``: the JSON file); JUnit XML and the rerun list go beside it."""

    name = "focus_cucumber"
    description = "Cucumber JSON (Xray, CI dashboards), JUnit XML and a rerun list"

    def __init__(self, stream_opener: Any, config: Any) -> None:
        super().__init__(stream_opener, config)
        self.features: "OrderedDict[str, dict[str, Any]]" = OrderedDict()
        self.records: list[ScenarioRecord] = []
        self._matches: dict[int, str] = {}
        self._step_queue: list[Any] = []

    def step(self, step: Any) -> None:
        self._step_queue.append(step)

    def match(self, match: Any) -> None:
        location = getattr(match, "location", None)
        self._pending_match = str(location) if location else ""

    def result(self, step: Any) -> None:
        self._matches[id(step)] = getattr(self, "_pending_match", "")
        self._pending_match = ""

    def scenario_finished(self, scenario: Any) -> None:
        key = Path(scenario.feature.filename).as_posix()
        feature = self.features.setdefault(key, feature_json(scenario.feature))
        feature["elements"].extend(scenario_elements(scenario, self._matches))
        self.records.append(record_of(scenario))

    def end_of_run(self) -> None:
        self.open().write(json.dumps(list(self.features.values()), indent=1, ensure_ascii=False))
        target = Path(self.stream_opener.name) if self.stream_opener.name else None
        if target is not None:
            write_junit(self.records, target.parent / JUNIT_DIR)
            write_rerun(self.records, target.parent / RERUN_FILE)


def merge_cucumber(documents: Iterable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One Cucumber document from several (workers, shards): features by uri, scenarios by line."""
    features: dict[str, dict[str, Any]] = {}
    pairs: dict[str, list[tuple[int, list[dict[str, Any]]]]] = {}
    for document in documents:
        for feature in document:
            uri = feature["uri"]
            features.setdefault(uri, {**feature, "elements": []})
            pending: list[dict[str, Any]] = []
            for element in feature.get("elements", []):
                pending.append(element)
                if element.get("type") != "background":
                    pairs.setdefault(uri, []).append((int(element.get("line", 0)), pending))
                    pending = []
    for uri, items in pairs.items():
        features[uri]["elements"] = [e for _, group in sorted(items, key=lambda p: p[0]) for e in group]
    return [features[uri] for uri in sorted(features)]


# --- JUnit XML ---------------------------------------------------------------------------------------
def _classname(record: ScenarioRecord) -> str:
    path = (record.location or "").rsplit(":", 1)[0]
    if not path.endswith(".feature"):
        return "run"  # a run-level failure outside any scenario
    parts = Path(path).with_suffix("").parts
    if "features" in parts:
        parts = parts[parts.index("features") + 1:]
    return ".".join(parts) or "run"


def _props(parent: ET.Element, pairs: list[tuple[str, str]]) -> None:
    if pairs:
        props = ET.SubElement(parent, "properties")
        for name, value in pairs:
            ET.SubElement(props, "property", name=name, value=value)


def _failure_text(record: ScenarioRecord) -> str:
    lines = [f"where: {record.location}" + (f", step '{record.failing_step}'" if record.failing_step else "")]
    if record.hook:
        lines.append(f"hook: {record.hook}")
    if record.error_line:
        lines.append(f"error: {record.error_line}")
    category = getattr(record, "category", None)
    if category:
        lines.append(f"triage: {category}")
    return "\n".join(lines)


def junit_document(records: Iterable[ScenarioRecord], name: str = "acceptance") -> ET.ElementTree:
    """JUnit XML (``testsuites`` root, one ``testsuite`` per feature) of a run's records."""
    records = list(records)
    root = ET.Element("testsuites", name=name)
    suites: "OrderedDict[str, list[ScenarioRecord]]" = OrderedDict()
    for record in records:
        suites.setdefault(_classname(record), []).append(record)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    for classname, items in suites.items():
        counts = {"tests": len(items), "failures": sum(r.status == "failed" for r in items),
                  "errors": sum(r.status == "broken" for r in items), "skipped": sum(r.status == "skipped" for r in items)}
        elapsed = sum(r.duration_s for r in items)
        suite = ET.SubElement(root, "testsuite", name=f"{classname}.{items[0].feature}",
                              tests=str(counts["tests"]), failures=str(counts["failures"]),
                              errors=str(counts["errors"]), skipped=str(counts["skipped"]),
                              time=f"{elapsed:.3f}", timestamp=stamp, hostname=socket.gethostname())
        for key in counts:
            totals[key] += counts[key]
        totals["time"] += elapsed
        for record in items:
            case = ET.SubElement(suite, "testcase", classname=classname, name=record.scenario,
                                 time=f"{record.duration_s:.3f}")
            keys = xray_keys(record.tags)
            pairs = [("test_key", keys[0])] if keys else []
            pairs += [("requirements", ",".join(keys[1:]))] if len(keys) > 1 else []
            labels = [t for t in record.tags if not t.lower().startswith("xray:")]
            if labels:
                pairs.append(("tags", ",".join(labels)))
            _props(case, pairs)
            message = redact(record.error_line or record.kind or "")
            if record.status == "failed":
                node = ET.SubElement(case, "failure", message=message, type=record.error_type or "AssertionError")
                node.text = redact(_failure_text(record))
            elif record.status == "broken":
                node = ET.SubElement(case, "error", message=message, type=record.error_type or record.kind)
                node.text = redact(_failure_text(record))
            elif record.status == "skipped":
                reason = getattr(record, "skip_reason", None) or record.error_line or "skipped"
                ET.SubElement(case, "skipped", message=redact(reason))
    for key, value in totals.items():
        root.set(key, f"{value:.3f}" if key == "time" else str(value))
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(records: Iterable[ScenarioRecord], folder: Path | str) -> Path:
    """Write ``folder/TESTS-acceptance.xml`` (the folder is emptied of older XML first)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.xml"):
        old.unlink()
    path = folder / JUNIT_FILE
    junit_document(records).write(path, encoding="utf-8", xml_declaration=True)
    return path


# --- rerun list --------------------------------------------------------------------------------------
def failed_locations(records: Iterable[ScenarioRecord]) -> list[str]:
    """Locations of failed and broken scenarios (run-level failures have none), in run order."""
    out: list[str] = []
    for record in records:
        if record.status in ("failed", "broken") and re.search(r"\.feature:\d+$", record.location or ""):
            if record.location not in out:
                out.append(record.location)
    return out


def write_rerun(records: Iterable[ScenarioRecord], path: Path | str, base: Path | str | None = None) -> Path:
    """The rerun list (empty when nothing failed). As behave reads ``@file`` lists, each entry is
    relative to the list's own folder (``../features/x.feature:12`` in ``reports/rerun.txt``), so
    ``behave @reports/rerun.txt`` works from the repository root; ``base`` is the folder the
    records' locations are relative to (behave's working folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    base = Path(base) if base is not None else Path.cwd()
    lines = []
    for location in failed_locations(records):
        file, line = location.rsplit(":", 1)
        relative = os.path.relpath((base / file).resolve(), path.parent.resolve())
        lines.append(f"{Path(relative).as_posix()}:{line}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path
