"""behave over a chosen list of scenarios, most telling first, stopping once the verdict kills the mutant.

``python -m scripts.mutation.behave_run --results DIR/allure-results --select LOCATIONS [behave args]``

The locations file lists ``file:line`` in the order to run them (the probe puts the scenarios of the
mutated function's rules first). After each scenario the run's own verdict (the formatter judges every
scenario as it ends) is read; the first scenario that kills the mutant (``kills``) aborts the run, so
a killed mutant costs a few scenarios, a surviving one the whole list.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from behave.__main__ import run_behave
from behave.model import Rule, ScenarioOutline

from focus_support.reporting import records as run_records
from focus_support.verdict.classify import NEEDS_VERIFICATION, PRODUCT_KNOWN, PRODUCT_NEW
from focus_support.verdict.registry import default_evidence
from scripts.private_behave import SelectingRunner, _location, private_configuration

KILLING = (PRODUCT_NEW, PRODUCT_KNOWN)


def kills(record: Any) -> bool:
    """Does this scenario's verdict flag the mutant?

    A product bug (new, or a known bug's signature) does; so does *needs verification* of a rule that
    is **derived** (our own inference: the mutant breaks the rule as we read it). A question of a
    documented rule that another source *contests* does not: the product's own documents allow the
    mutant's behaviour. Infrastructure, errors and skips never do.
    """
    if record.status != "failed" or record.kind != "assertion":
        return False
    if record.category in KILLING:
        return True
    if record.category == NEEDS_VERIFICATION:
        evidence = default_evidence()
        rules = evidence.rules_of_failure(record.rules, record.step_text)
        return any(evidence.rules[r].evidence == "derived" for r in rules if r in evidence.rules)
    return False


class OrderedKillingRunner(SelectingRunner):
    """Runs the selection in its listed order and stops at the first scenario that kills the mutant."""

    def run_model(self, features=None):
        if self.selection is not None and features is None:
            order = {loc: i for i, loc in enumerate(self.selection)}
            for feature in self.features:
                _reorder(feature, order)
            self.features.sort(key=lambda f: _rank(f.run_items, order))
        _watch(self)
        return super().run_model(features)


def _rank(items: list[Any], order: dict[str, int]) -> int:
    ranks = [_item_rank(i, order) for i in items]
    return min(ranks, default=len(order))


def _item_rank(item: Any, order: dict[str, int]) -> int:
    if isinstance(item, Rule):
        return _rank(item.run_items, order)
    if isinstance(item, ScenarioOutline):
        return min((order.get(_location(s), len(order)) for s in item.scenarios), default=len(order))
    return order.get(_location(item), len(order))


def _reorder(feature: Any, order: dict[str, int]) -> None:
    for item in feature.run_items:
        if isinstance(item, ScenarioOutline):
            item._scenarios = sorted(item.scenarios, key=lambda s: order.get(_location(s), len(order)))  # pylint: disable=protected-access
        elif isinstance(item, Rule):
            _reorder(item, order)
    feature.run_items.sort(key=lambda i: _item_rank(i, order))


def _watch(runner: Any) -> None:
    """Abort the run once a recorded scenario kills the mutant (the record is judged before it is added)."""
    add = run_records.RunRecordWriter.add

    def add_and_judge(writer, record):
        add(writer, record)
        if kills(record):
            print(f"\n[mutation] killed by: {record.scenario} ({record.category})", flush=True)
            runner.aborted = True

    run_records.RunRecordWriter.add = add_and_judge


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.mutation.behave_run", description=__doc__)
    parser.add_argument("--results", required=True)
    parser.add_argument("--select", required=True)
    ours, behave_args = parser.parse_known_args(argv)
    selection = [line.strip() for line in open(ours.select, encoding="utf-8") if line.strip()]
    files = sorted({loc.rsplit(":", 1)[0] for loc in selection})
    runner = type("Runner", (OrderedKillingRunner,), {"selection": selection})
    return run_behave(private_configuration([*behave_args, *files], ours.results), runner_class=runner)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
