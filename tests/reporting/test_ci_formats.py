"""The formats CI tools import, checked against what their consumers expect.

* JUnit XML: the structure of the JUnit schema CI servers validate against (Jenkins' junit-10.xsd
  family: ``testsuites`` > ``testsuite`` > ``testcase`` with at most one of ``failure``/``error``/
  ``skipped``, counts that add up, numeric times), Xray's ``test_key`` property, and the suite's
  statuses: a product finding is a failure, anything else that broke is an error.
* Cucumber JSON: the shape Xray's Cucumber import reads (features with uri/id/keyword/name/line,
  elements of type scenario/background, steps with keyword/name/line/result, result.status from
  Cucumber's set, result.duration in nanoseconds as an integer, tags as objects with a name), and
  the bare ``@KEY`` tag Xray links a result to its Test by.
* The rerun list: behave's ``@file`` selection runs exactly the failed and broken scenarios.
* Merging: the parts of a split run merge into what one run writes.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from focus_support.reporting.ci_formats import junit_document, merge_cucumber
from focus_support.reporting.records import ScenarioRecord
from reporting_tiny_suite import REPO, make_project, run_behave

FEATURE = """\
@issue:7
Feature: Formats
  Background:
    Given it works

  @xray:PZ-13873 @critical
  Scenario: passes
    Given it works

  @xray:PZ-13874
  Scenario: the product is wrong
    Given the product answers 3 instead of 4

  Scenario: the server is unreachable
    Given the server cannot be reached

  @broken_setup
  Scenario: the set-up breaks
    Given it works

  @destructive
  Scenario: not allowed here
    Given it works

  Scenario: not written yet
    Given it is not written yet

  Scenario Outline: row <n>
    Given it works
    Examples:
      | n |
      | 1 |
      | 2 |
"""
CUCUMBER_STATUSES = {"passed", "failed", "skipped", "pending", "undefined", "ambiguous"}
INI = ("format = focus_support.reporting.formatter:FocusAllureFormatter\n"
       "    focus_support.reporting.ci_formats:CucumberJsonFormatter\n"
       "outfiles = reports/allure-results\n    reports/cucumber.json\n")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("formats"), {"formats/f.feature": FEATURE})
    (root / "behave.ini").write_text((root / "behave.ini").read_text().replace(
        "format = focus_support.reporting.formatter:FocusAllureFormatter\noutfiles = reports/allure-results\n", INI))
    return run_behave(root)


@pytest.fixture(scope="module")
def junit(run) -> ET.Element:
    files = list((run.reports / "junit").glob("*.xml"))
    assert len(files) == 1, (files, run.output[-2000:])
    return ET.parse(files[0]).getroot()


@pytest.fixture(scope="module")
def cucumber(run) -> list[dict]:
    return json.loads((run.reports / "cucumber.json").read_text())


# --- JUnit -------------------------------------------------------------------------------------------
def _check_junit_schema(root: ET.Element) -> None:
    """The rules of the JUnit XSD CI servers use, as assertions."""
    assert root.tag == "testsuites"
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in root:
        assert suite.tag == "testsuite", suite.tag
        assert suite.get("name"), "testsuite@name is required"
        for attr in ("tests", "failures", "errors", "skipped"):
            assert suite.get(attr, "").isdigit(), (attr, suite.attrib)
        float(suite.get("time"))
        cases = [c for c in suite if c.tag == "testcase"]
        assert all(c.tag in ("testcase", "properties", "system-out", "system-err") for c in suite)
        outcome = {"failures": 0, "errors": 0, "skipped": 0}
        for case in cases:
            assert case.get("name") and case.get("classname"), case.attrib
            float(case.get("time"))
            kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
            assert len(kinds) <= 1, f"{case.get('name')}: at most one outcome element, got {kinds}"
            for child in case:
                assert child.tag in ("properties", "failure", "error", "skipped", "system-out", "system-err")
                if child.tag in ("failure", "error"):
                    assert child.get("message") is not None and child.get("type"), child.attrib
                if child.tag == "properties":
                    assert all(p.tag == "property" and p.get("name") and p.get("value") is not None for p in child)
            for kind, key in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
                outcome[key] += kinds.count(kind)
        assert int(suite.get("tests")) == len(cases)
        for key, count in outcome.items():
            assert int(suite.get(key)) == count, (key, suite.attrib, count)
        for key in totals:
            totals[key] += int(suite.get(key))
    for key, count in totals.items():
        assert int(root.get(key)) == count, (key, root.attrib)


def _case(root: ET.Element, name: str) -> ET.Element:
    found = [c for c in root.iter("testcase") if c.get("name").strip() == name]
    assert len(found) == 1, [c.get("name") for c in root.iter("testcase")]
    return found[0]


def test_junit_follows_the_schema_ci_servers_read(junit):
    _check_junit_schema(junit)
    assert junit.get("tests") == "8"


@pytest.mark.parametrize("name, outcome", [
    ("passes", None),
    ("the product is wrong", "failure"),          # a product finding
    ("the server is unreachable", "error"),       # infrastructure
    ("the set-up breaks", "error"),               # a hook
    ("not written yet", "error"),                 # pending step: the suite's gap
    ("not allowed here", "skipped"),
])
def test_junit_outcomes_keep_the_suites_statuses(junit, name, outcome):
    case = _case(junit, name)
    kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
    assert kinds == ([outcome] if outcome else []), ET.tostring(case, encoding="unicode")


def test_junit_failure_says_where_and_what(junit):
    failure = _case(junit, "the product is wrong").find("failure")
    assert "expected 4, got 3" in failure.get("message")
    assert "features/formats/f.feature:11" in failure.text and "the product answers 3 instead of 4" in failure.text
    assert "destructive" in _case(junit, "not allowed here").find("skipped").get("message")


def test_junit_carries_xray_keys_as_test_key_properties(junit):
    props = {p.get("name"): p.get("value") for p in _case(junit, "passes").iter("property")}
    assert props["test_key"] == "PZ-13873"
    assert "critical" in props["tags"].split(",") and "xray:PZ-13873" not in props["tags"]
    assert "test_key" not in {p.get("name") for p in _case(junit, "the server is unreachable").iter("property")}


def test_junit_is_not_printed_to_the_console(run):
    assert "<testcase" not in run.output and "<?xml" not in run.output


# --- Cucumber JSON -------------------------------------------------------------------------------
def _check_cucumber_shape(document: list[dict]) -> None:
    assert isinstance(document, list) and document
    for feature in document:
        for key, kind in (("uri", str), ("id", str), ("keyword", str), ("name", str), ("line", int),
                          ("elements", list), ("tags", list)):
            assert isinstance(feature.get(key), kind), (key, feature.get(key))
        for tag in feature["tags"]:
            assert tag["name"].startswith("@") and isinstance(tag["line"], int)
        for element in feature["elements"]:
            assert element["type"] in ("scenario", "background"), element["type"]
            for key, kind in (("keyword", str), ("name", str), ("line", int), ("steps", list)):
                assert isinstance(element.get(key), kind), (key, element)
            if element["type"] == "scenario":
                assert isinstance(element["id"], str) and isinstance(element["tags"], list)
                assert all(t["name"].startswith("@") for t in element["tags"])
            for step in element["steps"] + element.get("before", []) + element.get("after", []):
                result = step["result"]
                assert result["status"] in CUCUMBER_STATUSES, result
                assert isinstance(result["duration"], int) and result["duration"] >= 0, result
                assert "location" in step["match"]
            for step in element["steps"]:
                assert step["keyword"].endswith(" ") and isinstance(step["line"], int) and step["name"]


def _scenario(document: list[dict], name: str) -> dict:
    found = [e for f in document for e in f["elements"] if e["type"] == "scenario" and e["name"].strip() == name]
    assert len(found) == 1, name
    return found[0]


def test_cucumber_json_has_the_shape_xray_imports(cucumber):
    _check_cucumber_shape(cucumber)
    scenarios = [e for f in cucumber for e in f["elements"] if e["type"] == "scenario"]
    assert len(scenarios) == 8
    backgrounds = [e for f in cucumber for e in f["elements"] if e["type"] == "background"]
    assert len(backgrounds) == 8, "the background is repeated before each scenario, as Cucumber does"


def test_cucumber_durations_are_nanoseconds(cucumber):
    steps = [s for s in _scenario(cucumber, "passes")["steps"]]
    assert steps[0]["result"]["status"] == "passed" and steps[0]["result"]["duration"] < 1_000_000_000


def test_cucumber_tags_carry_the_bare_xray_key(cucumber):
    names = [t["name"] for t in _scenario(cucumber, "passes")["tags"]]
    assert "@PZ-13873" in names and "@xray:PZ-13873" in names and "@critical" in names
    assert [t["name"] for t in cucumber[0]["tags"]] == ["@issue:7"], "feature tags stay on the feature"


@pytest.mark.parametrize("name, status", [("the product is wrong", "failed"), ("the server is unreachable", "failed"),
                                          ("not allowed here", "skipped"), ("not written yet", "pending")])
def test_cucumber_step_statuses(cucumber, name, status):
    statuses = [s["result"]["status"] for s in _scenario(cucumber, name)["steps"]]
    assert statuses == [status], statuses


def test_a_failed_hook_is_a_failed_before_entry(cucumber):
    element = _scenario(cucumber, "the set-up breaks")
    assert element["before"][0]["result"]["status"] == "failed"
    assert "unreachable" in element["before"][0]["result"]["error_message"]


# --- rerun ---------------------------------------------------------------------------------------
def test_the_rerun_list_names_failed_and_broken_scenarios(run):
    rerun = (run.reports / "rerun.txt").read_text().split()
    # relative to the list's folder, as behave reads @lists: `behave @reports/rerun.txt` from the root
    assert rerun == ["../features/formats/f.feature:11", "../features/formats/f.feature:14",
                     "../features/formats/f.feature:18", "../features/formats/f.feature:25"]


def test_behave_reruns_exactly_the_rerun_list(run):
    done = subprocess.run([sys.executable, "-m", "behave", "@reports/rerun.txt"], cwd=run.root, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO), "CI": ""})
    records = json.loads((run.reports / "run-results.json").read_text())["records"]
    ran = {r["scenario"].strip() for r in records if r["status"] != "skipped"}
    assert done.returncode == 1, done.stdout + done.stderr
    assert ran == {"the product is wrong", "the server is unreachable", "the set-up breaks", "not written yet"}


# --- merging -------------------------------------------------------------------------------------
def _element(name: str, line: int, kind: str = "scenario") -> dict:
    return {"type": kind, "name": name, "line": line, "keyword": "Scenario", "steps": []}


def test_parts_of_a_split_run_merge_into_one_document_in_file_order():
    bg = _element("", 3, "background")
    part1 = [{"uri": "features/b.feature", "elements": [bg, _element("b2", 20)]},
             {"uri": "features/a.feature", "elements": [bg, _element("a1", 5)]}]
    part2 = [{"uri": "features/b.feature", "elements": [bg, _element("b1", 10)]}]
    merged = merge_cucumber([part1, part2])
    assert [f["uri"] for f in merged] == ["features/a.feature", "features/b.feature"]
    assert [(e["type"], e["line"]) for e in merged[1]["elements"]] == [
        ("background", 3), ("scenario", 10), ("background", 3), ("scenario", 20)]


def test_junit_of_run_level_records_names_the_run():
    record = ScenarioRecord(feature="(run)", scenario="behave run", location="", status="broken",
                            kind="infrastructure", error_type="RunError", error_line="worker w2 exited 1")
    root = junit_document([record]).getroot()
    _check_junit_schema(root)
    assert root.find("testsuite/testcase/error").get("message") == "worker w2 exited 1"
