"""The generated HTML report: history kept between runs, and the overview checked in headless Chromium."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from focus_support.reporting.allure_cli import ALLURE_BIN
from focus_support.reporting.run_report import finish_run
from focus_support.reporting.serve import serving
from reporting_tiny_suite import make_project, run_behave

pytestmark = pytest.mark.slow

FEATURE = """\
Feature: Overview
  Scenario: one
    Given it works
  Scenario: two
    Given it works
  Scenario: three
    Given it works
  Scenario: regression
    Given the product answers 3 instead of 4
  Scenario: unreachable
    Given the server cannot be reached
"""


@pytest.fixture(scope="module")
def allure_installed():
    if not ALLURE_BIN.exists():
        pytest.fail("the Allure CLI is missing: run scripts/install_allure.sh (make setup installs it)")


@pytest.fixture(scope="module")
def report(tmp_path_factory, allure_installed):
    """A tiny suite run twice into the same reports/ folder (history carried over)."""
    root = make_project(tmp_path_factory.mktemp("html"), {"overview/o.feature": FEATURE})
    for _ in range(2):
        run = run_behave(root)
        code = finish_run(run.returncode, generate_html=True, reports=run.reports, out=io.StringIO())
        assert code == 1  # one new product bug and one infrastructure failure
    return run.reports


def test_history_is_kept_between_runs(report):
    trend = json.loads((report / "allure-report" / "widgets" / "history-trend.json").read_text())
    assert len(trend) == 2, trend
    assert trend[0]["data"] == {"failed": 1, "broken": 1, "skipped": 0, "passed": 3, "unknown": 0, "total": 5}
    assert (report / "history" / "history-trend.json").exists()


def test_report_has_no_call_home(report):
    assert "googletagmanager" not in (report / "allure-report" / "index.html").read_text()


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.geteuid() != 0:
            pytest.skip("chromium is not installed and we are not root to install it "
                        "(as root, make setup installs Debian's chromium)")
        pytest.fail("chromium is missing although we are root: run make setup (scripts/install_allure.sh)")
    return path


def _run_chromium(url: str, *extra: str) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    try:
        return subprocess.run(
            [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             f"--user-data-dir={profile}", "--window-size=1400,1000", "--virtual-time-budget=20000",
             *extra, url],
            capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_overview_in_a_real_browser_shows_the_runs_counts(report):
    # the screenshot stays beside the tiny suite's report: make test never writes the user's reports/
    screenshot = report / "allure-overview.png"
    with serving(report / "allure-report") as url:
        dom = _run_chromium(url + "index.html", "--dump-dom").stdout
        shot = _run_chromium(url + "index.html", f"--screenshot={screenshot}")
    total = re.search(r'class="splash__title">(\d+)</div><div class="splash__subtitle">test cases', dom)
    assert total, f"the overview did not render its summary widget; DOM starts: {dom[:500]!r}"
    assert total.group(1) == "5"
    for status in ("passed", "failed", "broken"):
        assert f"chart__arc_status_{status}" in dom, f"no {status} slice in the overview's status chart"
    categories = re.findall(r'<div class="table__col">([^<]+)</div><div class="table__col"><div class="bar">'
                            r'<div class="bar__fill bar__fill_status_(\w+)"[^>]*>(\d+)</div>', dom)
    assert ("Product bug — new", "failed", "1") in categories, categories
    assert ("Test infrastructure", "broken", "1") in categories, categories
    assert screenshot.exists() and screenshot.stat().st_size > 10_000, shot.stderr[-1000:]
