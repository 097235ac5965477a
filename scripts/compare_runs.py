"""Do two runs give the same verdict? ``python -m scripts.compare_runs BASE OTHER [--allow-skip-reason TEXT]``

BASE and OTHER are what two runs wrote (a ``reports/`` folder, or its ``run-results.json``), for
example a local run and the staging rehearsal of the same profile. Scenario by scenario (by
location, then by name) it compares what a reader of the triage sees: the status, the verdict class,
the known bug and the open question. Scenarios that OTHER skipped with an allowed reason (by default
the ones a shared environment must leave out: ``@exclusive``, no declared rate limit, a class of
scenarios the environment forbids) are
listed apart and are not differences. Exit 0 when the verdicts are the same, 1 otherwise, 2 when a
run record cannot be read.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from focus_support.reporting.records import RECORD_FILE

# the reasons a shared environment (staging, the rehearsal) skips what the local run executes
# (focus_support.preflight.Preflight.skip_reason words them)
SHARED_SKIP_REASONS = ("@exclusive:", "rate limit not declared for", "scenarios are not allowed in environment")
COMPARED = ("status", "kind", "bug", "question")


@dataclass
class Comparison:
    """Scenario by scenario, what differs between two runs."""

    compared: int = 0
    differences: list[str] = field(default_factory=list)
    skipped_as_allowed: list[str] = field(default_factory=list)
    only_in_base: list[str] = field(default_factory=list)
    only_in_other: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not (self.differences or self.only_in_base or self.only_in_other)

    def describe(self) -> str:
        lines = [f"compared {self.compared} scenario(s): "
                 + ("the same verdict" if self.same else f"{len(self.differences)} difference(s)")]
        if self.skipped_as_allowed:
            lines.append(f"skipped by the other run with an allowed reason: {len(self.skipped_as_allowed)}")
            lines += [f"  {s}" for s in self.skipped_as_allowed]
        for title, items in (("differences", self.differences), ("only in the base run", self.only_in_base),
                             ("only in the other run", self.only_in_other)):
            if items:
                lines.append(f"{title}:")
                lines += [f"  {s}" for s in items]
        return "\n".join(lines)


def read_records(path: Path) -> list[dict[str, Any]]:
    """The scenario records of a run (its folder or its record file)."""
    record_file = path / RECORD_FILE if path.is_dir() else path
    return list(json.loads(record_file.read_text())["records"])


def _key(record: dict[str, Any]) -> str:
    return f"{record.get('location') or ''} {record.get('scenario') or ''}".strip()


def _view(record: dict[str, Any]) -> dict[str, Any]:
    return {name: record.get(name) for name in COMPARED}


def compare(base: Iterable[dict[str, Any]], other: Iterable[dict[str, Any]],
            allowed_skip_reasons: Iterable[str] = SHARED_SKIP_REASONS) -> Comparison:
    """Compare two runs' records; a scenario the other run skipped for an allowed reason is no difference."""
    reasons = tuple(r.lower() for r in allowed_skip_reasons)
    by_key = {_key(r): r for r in base}
    other_by_key = {_key(r): r for r in other}
    result = Comparison()
    for key, mine in by_key.items():
        theirs = other_by_key.get(key)
        if theirs is None:
            result.only_in_base.append(key)
            continue
        result.compared += 1
        if _view(mine) == _view(theirs):
            continue
        reason = str(theirs.get("skip_reason") or "")
        if theirs.get("status") == "skipped" and any(r in reason.lower() for r in reasons):
            result.skipped_as_allowed.append(f"{key}: {reason}")
            continue
        changed = ", ".join(f"{n} {mine.get(n)!r} -> {theirs.get(n)!r}" for n in COMPARED
                            if mine.get(n) != theirs.get(n))
        result.differences.append(f"{key}: {changed}")
    result.only_in_other = [k for k in other_by_key if k not in by_key]
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.compare_runs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", type=Path)
    parser.add_argument("other", type=Path)
    parser.add_argument("--allow-skip-reason", action="append", default=None, metavar="TEXT",
                        help="a skip reason (substring) of the other run that is no difference "
                             f"(default: {', '.join(SHARED_SKIP_REASONS)})")
    args = parser.parse_args(argv)
    try:
        base, other = read_records(args.base), read_records(args.other)
    except (OSError, ValueError, KeyError) as unreadable:
        print(f"cannot read a run record: {unreadable}", file=sys.stderr)
        return 2
    result = compare(base, other, args.allow_skip_reason or SHARED_SKIP_REASONS)
    print(result.describe())
    return 0 if result.same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
