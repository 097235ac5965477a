"""Which scenarios a run executes, and how they are split between workers and shards.

The plan comes from behave's own parser and selection rules (paths, ``file:line`` locations,
``@list`` files, ``--tags``, ``--name``, ``--exclude`` and behave.ini), so a plan lists exactly
what ``behave`` with the same arguments would run. One entry per executable scenario: a plain
scenario, or one row of a Scenario Outline, named by its location ``features/x.feature:LINE``.

Splitting is deterministic and duration-balanced: scenarios are placed longest first, each on the
part with the least estimated time so far (ties: lowest part number). Durations come from a run
record (``run-results.json``, ``duration_s`` per scenario); scenarios it does not know are
estimated at the median of the known ones, so with no record at all the split is by count.
"""
from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

REPO = Path(__file__).resolve().parent.parent
# Tags of scenarios that must not run while any other scenario of the run is running.
ALONE_TAGS = frozenset({"serial", "exclusive"})
DEFAULT_DURATION_S = 1.0


@dataclass(frozen=True)
class PlannedScenario:
    """One executable scenario (or outline row) of the plan."""

    location: str          # features/area/x.feature:LINE, relative to the repository, posix
    feature: str
    name: str
    tags: tuple[str, ...]

    @property
    def file(self) -> str:
        return self.location.rsplit(":", 1)[0]

    @property
    def line(self) -> int:
        return int(self.location.rsplit(":", 1)[1])

    @property
    def alone(self) -> bool:
        """True for ``@serial`` / ``@exclusive`` scenarios: they run with nothing else."""
        return bool(ALONE_TAGS & set(self.tags))


def _relative(filename: str, root: Path) -> str:
    path = Path(filename)
    if path.is_absolute():
        try:
            path = path.relative_to(root)
        except ValueError:
            pass
    return path.as_posix()


def collect(behave_args: Sequence[str] = (), root: Path = REPO) -> list[PlannedScenario]:
    """The scenarios ``behave <behave_args>`` would run from ``root``, in run order.

    Uses behave's configuration (behave.ini in ``root`` included), location collection and parser;
    nothing is executed and no hook is loaded.
    """
    import os

    from behave.configuration import Configuration
    from behave.runner_util import collect_feature_locations, parse_features

    here = os.getcwd()
    os.chdir(root)  # behave.ini and relative paths are read from the current folder
    try:
        config = Configuration(list(behave_args))
        paths = config.paths or ["features"]
        locations = [loc for loc in collect_feature_locations(paths) if not config.exclude(loc.filename)]
        features = parse_features(locations, language=config.lang)
    finally:
        os.chdir(here)
    planned: list[PlannedScenario] = []
    seen: set[str] = set()
    for feature in features:
        for scenario in feature.walk_scenarios():
            if scenario.should_skip:  # deselected by a file:line location
                continue
            if not scenario.should_run_with_tags(config.tag_expression):
                continue
            if not scenario.should_run_with_name_select(config):
                continue
            location = f"{_relative(scenario.filename, root)}:{scenario.line}"
            if location in seen:
                continue
            seen.add(location)
            planned.append(PlannedScenario(location=location, feature=feature.name, name=scenario.name,
                                           tags=tuple(sorted(str(t) for t in scenario.effective_tags))))
    return planned


def load_durations(record_file: Path | str | None) -> dict[str, float]:
    """Seconds per scenario from a run record; keyed by location and by ``file::name`` (lines move)."""
    if record_file is None:
        return {}
    path = Path(record_file)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    durations: dict[str, float] = {}
    for record in doc.get("records", []):
        location, duration = record.get("location") or "", record.get("duration_s")
        if ":" not in location or not isinstance(duration, (int, float)) or record.get("status") == "skipped":
            continue
        durations[location] = float(duration)
        durations[f"{location.rsplit(':', 1)[0]}::{record.get('scenario', '')}"] = float(duration)
    return durations


def estimates(scenarios: Iterable[PlannedScenario], durations: dict[str, float]) -> dict[str, float]:
    """Estimated seconds per planned location (unknown ones: the median of the known ones)."""
    scenarios = list(scenarios)
    known = {s.location: durations.get(s.location, durations.get(f"{s.file}::{s.name}")) for s in scenarios}
    seen = [d for d in known.values() if d is not None]
    default = statistics.median(seen) if seen else DEFAULT_DURATION_S
    # rounded so that the split does not hinge on float noise of the timings file
    return {loc: round(d if d is not None else default, 2) for loc, d in known.items()}


def balanced_parts(scenarios: Sequence[PlannedScenario], parts: int,
                   durations: dict[str, float] | None = None) -> list[list[PlannedScenario]]:
    """Split into ``parts`` lists of about equal estimated time, each in run (plan) order."""
    if parts < 1:
        raise ValueError("the number of parts must be at least 1")
    cost = estimates(scenarios, durations or {})
    order = {s.location: i for i, s in enumerate(scenarios)}
    loads = [0.0] * parts
    assigned: list[list[PlannedScenario]] = [[] for _ in range(parts)]
    for scenario in sorted(scenarios, key=lambda s: (-cost[s.location], order[s.location])):
        target = min(range(parts), key=lambda i: (loads[i], i))
        loads[target] += cost[scenario.location]
        assigned[target].append(scenario)
    return [sorted(part, key=lambda s: order[s.location]) for part in assigned]


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4); shards are numbered from 1."""
    try:
        index, total = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"SHARD must look like i/n (e.g. 2/4), got {text!r}") from None
    if total < 1 or not 1 <= index <= total:
        raise ValueError(f"SHARD {text!r}: i must be between 1 and n")
    return index, total


def shard(scenarios: Sequence[PlannedScenario], spec: str | None,
          durations: dict[str, float] | None = None) -> list[PlannedScenario]:
    """The part of the plan that shard ``spec`` (``i/n``) runs; the whole plan when ``spec`` is empty."""
    if not spec:
        return list(scenarios)
    index, total = parse_shard(spec)
    return balanced_parts(scenarios, total, durations)[index - 1]


def write_locations(path: Path | str, scenarios: Iterable[PlannedScenario]) -> Path:
    """A behave location list (``behave @file``), one ``file:line`` a line."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{s.location}\n" for s in scenarios), encoding="utf-8")
    return path


def read_locations(path: Path | str) -> list[str]:
    """The locations of a list written by ``write_locations`` or behave's rerun formatter."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
