"""``make dry-run``: every scenario listed and every step matched, without running or reporting anything.

``python -m scripts.dry_run [behave args]`` (e.g. ``-D env=staging features/jobs``)

A plain ``behave --dry-run`` writes behave.ini's report files too - an Allure result per scenario,
``reports/run-results.json``, Cucumber, JUnit and the rerun file, all saying "skipped" - over the last
real run's. Here the reports go to a temporary folder that is removed afterwards.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from scripts.private_behave import main as private_behave

CONSOLE = "focus_support.reporting.console:ScenarioLinesFormatter"


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="focus-dry-run-") as scratch:
        return private_behave(["--results", str(Path(scratch) / "allure-results"), "--console", CONSOLE,
                               "--dry-run", "--no-summary", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
