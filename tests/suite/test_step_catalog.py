"""The Gherkin and the step modules agree: nothing undefined or ambiguous, no step definition unused."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.suite


def _dry_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """behave --dry-run over every feature, from a folder whose behave.ini names no report formatter
    (behave adds command-line formatters to the ini's, which would overwrite reports/)."""
    (tmp_path / "behave.ini").write_text(f"[behave]\npaths = {REPO / 'features'}\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "behave", "--dry-run", "--no-summary", *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_no_step_is_undefined_or_ambiguous(tmp_path):
    run = _dry_run(tmp_path, "-f", "null")
    output = run.stdout + run.stderr
    problems = [line for line in output.splitlines()
                if any(word in line.lower() for word in ("undefined", "ambiguous", "error"))]
    assert not problems, "behave --dry-run reports:\n" + "\n".join(problems[:20])


def test_every_step_definition_is_used(tmp_path):
    usage = tmp_path / "usage.txt"
    _dry_run(tmp_path, "-f", "steps.usage", "-o", str(usage))
    text = usage.read_text()
    assert "UNUSED STEP DEFINITIONS" not in text, text[text.find("UNUSED STEP DEFINITIONS"):][:3000]
    assert "@given(" in text or "@when(" in text, "the usage report lists no step at all:\n" + text[:500]


def test_make_dry_run_lists_every_scenario_and_leaves_the_last_runs_reports_alone(tmp_path):
    """``make dry-run`` (scripts.dry_run) keeps behave.ini's settings but reports into a temporary folder."""
    (tmp_path / "behave.ini").write_text((REPO / "behave.ini").read_text().replace(
        "paths = features", f"paths = {REPO / 'features'}"))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, "-m", "scripts.dry_run", "-D", "env=local"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "0 passed, 0 failed, 0 broken" in run.stdout, run.stdout[-1000:]
    assert not (tmp_path / "reports").exists(), sorted(p.name for p in (tmp_path / "reports").iterdir())
