"""Run behave with the repository's behave.ini, but with the run's reports in a private folder.

``python -m scripts.private_behave --results DIR/allure-results [--console FORMAT] [behave args]``

Why not plain ``python -m behave -f ... -o DIR``: behave *appends* command-line formatters and
outfiles to the ones behave.ini lists, so the Allure formatter would still write the shared
``reports/allure-results`` (and ``reports/run-results.json``) as well. Parallel runs must not share
those files, so this entry point keeps every other behave.ini setting and replaces only the format
list: one console formatter on stdout plus the ``FocusAllureFormatter`` writing to ``--results``
(the run record lands next to it, ``DIR/run-results.json``).
"""
from __future__ import annotations

import argparse
import sys

from behave.__main__ import run_behave
from behave.configuration import Configuration
from behave.formatter.base import StreamOpener

ALLURE_FORMATTER = "focus_support.reporting.formatter:FocusAllureFormatter"


def private_configuration(behave_args: list[str], results_dir: str, console: str = "progress") -> Configuration:
    """behave's configuration from behave.ini and ``behave_args``, reporting only into ``results_dir``."""
    config = Configuration(behave_args)
    config.format = [console, ALLURE_FORMATTER]
    config.outputs = [StreamOpener(stream=sys.stdout), StreamOpener(results_dir)]
    # behave adds its default console formatter when the format list is as long as the config
    # file's; the list is ours now, so drop the config file's copy that triggers that rule.
    config.defaults.pop("format", None)
    return config


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.private_behave", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", required=True, help="Allure results folder of this run")
    parser.add_argument("--console", default="progress", help="behave formatter for stdout")
    ours, behave_args = parser.parse_known_args(argv)
    return run_behave(private_configuration(behave_args, ours.results, ours.console))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
