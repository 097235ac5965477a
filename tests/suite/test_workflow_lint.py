"""The CI workflow lints clean with actionlint (the binary comes with a pinned wheel in .venv)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def _actionlint() -> str:
    here = Path(sys.executable).parent / "actionlint"
    found = str(here) if here.exists() else shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is missing: it comes with requirements.txt (make setup installs it)")
    return found


def _lint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_actionlint(), "-no-color", *map(str, paths)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_there_is_an_acceptance_workflow():
    assert REPO / ".github" / "workflows" / "acceptance.yml" in WORKFLOWS


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_lints_clean(workflow):
    done = _lint(workflow)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_linter_does_catch_a_broken_workflow(tmp_path):
    """Guard against a lint that passes everything: a typo'd expression and an unknown runner input."""
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
                      "      - run: echo ${{ matrix.nope }}\n      - uses: actions/checkout@v4\n"
                      "        with:\n          no-such-input: 1\n")
    done = _lint(broken)
    assert done.returncode != 0 and "matrix" in done.stdout, done.stdout + done.stderr
