"""Run behave with the repository's behave.ini, but with the run's reports in a private folder.

``python -m scripts.private_behave --results DIR/allure-results [--console FORMAT]
[--also FORMAT=PATH ...] [--select LOCATIONS_FILE] [behave args]``

Why not plain ``python -m behave -f ... -o DIR``: behave *appends* command-line formatters and
outfiles to the ones behave.ini lists, so the Allure formatter would still write the shared
``reports/allure-results`` (and ``reports/run-results.json``) as well. Parallel runs must not share
those files, so this entry point keeps every other behave.ini setting and replaces only the format
list: one console formatter on stdout, the ``FocusAllureFormatter`` writing to ``--results`` (the
run record lands next to it, ``DIR/run-results.json``) and any ``--also`` formatter with its file.

``--select`` runs exactly the scenarios (and outline rows) listed, one ``file:line`` a line. Unlike
behave's own ``@file`` selection, the others are removed from the run before it starts, so no
report lists them as skipped and no hook runs for a feature with nothing selected: a worker's
reports hold its own scenarios only, and the parts of a split run merge without duplicates.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Iterable

from behave.__main__ import run_behave
from behave.configuration import Configuration
from behave.formatter.base import StreamOpener
from behave.model import Rule, ScenarioOutline
from behave.runner import Runner

ALLURE_FORMATTER = "focus_support.reporting.formatter:FocusAllureFormatter"


def private_configuration(behave_args: list[str], results_dir: str, console: str = "progress",
                          also: Iterable[tuple[str, str]] = ()) -> Configuration:
    """behave's configuration from behave.ini and ``behave_args``, reporting only into ``results_dir``."""
    config = Configuration(behave_args)
    also = list(also)
    config.format = [console, ALLURE_FORMATTER, *(fmt for fmt, _ in also)]
    config.outputs = [StreamOpener(stream=sys.stdout), StreamOpener(results_dir),
                      *(StreamOpener(path) for _, path in also)]
    # behave adds its default console formatter when the format list is as long as the config
    # file's; the list is ours now, so drop the config file's copy that triggers that rule.
    config.defaults.pop("format", None)
    return config


def _location(scenario: Any) -> str:
    return f"{Path(scenario.filename).as_posix()}:{scenario.line}"


def _kept(items: list[Any], selected: set[str]) -> list[Any]:
    """The run items (scenarios, outlines, rules) that still hold a selected scenario."""
    kept = []
    for item in items:
        if isinstance(item, Rule):
            item.run_items = _kept(item.run_items, selected)
            keep = bool(item.run_items)
        elif isinstance(item, ScenarioOutline):
            rows = [s for s in item.scenarios if _location(s) in selected]
            item._scenarios = rows  # pylint: disable=protected-access  # built once; examples are not modified later
            keep = bool(rows)
        else:
            keep = _location(item) in selected
        if keep:
            kept.append(item)
    return kept


def select_scenarios(features: list[Any], locations: Iterable[str]) -> list[Any]:
    """Keep only the listed scenarios (``file:line``, outline rows by their example line)."""
    selected = {loc.strip() for loc in locations if loc.strip()}
    out = []
    for feature in features:
        feature.run_items = _kept(feature.run_items, selected)
        if feature.run_items:
            out.append(feature)
    return out


class SelectingRunner(Runner):
    """behave's runner, running only the scenarios of a location list."""

    selection: list[str] | None = None

    def run_model(self, features=None):
        if self.selection is not None and features is None:
            self.features[:] = select_scenarios(list(self.features), self.selection)
        return super().run_model(features)


def _also(value: str) -> tuple[str, str]:
    fmt, sep, path = value.partition("=")
    if not sep or not fmt or not path:
        raise argparse.ArgumentTypeError(f"--also wants FORMAT=PATH, got {value!r}")
    return fmt, path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.private_behave", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", required=True, help="Allure results folder of this run")
    parser.add_argument("--console", default="progress", help="behave formatter for stdout")
    parser.add_argument("--also", action="append", type=_also, default=[], metavar="FORMAT=PATH",
                        help="another formatter and the file it writes")
    parser.add_argument("--select", help="file listing the scenario locations to run (file:line)")
    ours, behave_args = parser.parse_known_args(argv)
    runner_class = Runner
    if ours.select:
        from scripts.scenario_plan import read_locations

        selection = read_locations(ours.select)
        # behave parses only the files named; the lines are applied by the runner
        files = sorted({loc.rsplit(":", 1)[0] for loc in selection})
        behave_args = [*behave_args, *files]
        runner_class = type("SelectingRunner", (SelectingRunner,), {"selection": selection})
    return run_behave(private_configuration(behave_args, ours.results, ours.console, ours.also),
                      runner_class=runner_class)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
