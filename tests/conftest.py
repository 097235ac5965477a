"""Our tests never write the user's reports/ (issue 14): every tiny suite, merge and triage they run
writes to a temporary folder. A test that forgets it would silently replace the last real run's
report and triage, so the session fails when anything under reports/ was added, changed or removed.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPORTS = Path(__file__).resolve().parents[1] / "reports"
_BEFORE = pytest.StashKey[dict]()


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """relative path -> (size, mtime in ns) of every file under root."""
    seen: dict[str, tuple[int, int]] = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            try:
                stat = path.stat()
            except OSError:  # removed while we walked
                continue
            seen[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return seen


def reports_changes(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    """What happened to reports/ between two snapshots, one line per file."""
    lines = [f"added {p}" for p in sorted(after.keys() - before.keys())]
    lines += [f"removed {p}" for p in sorted(before.keys() - after.keys())]
    lines += [f"changed {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]]
    return lines


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_BEFORE] = _snapshot(REPORTS)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_BEFORE, None)
    if before is None:
        return
    changes = reports_changes(before, _snapshot(REPORTS))
    if not changes:
        return
    shown = "\n  ".join(changes[:20]) + (f"\n  ... and {len(changes) - 20} more" if len(changes) > 20 else "")
    print(f"\n[tests] expected our tests to leave reports/ alone (it holds the user's last run); they "
          f"changed {len(changes)} file(s):\n  {shown}\n(a suite run of your own at the same time also "
          "shows here)")
    if session.exitstatus == pytest.ExitCode.OK:  # an interruption or a usage error keeps its own code
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

