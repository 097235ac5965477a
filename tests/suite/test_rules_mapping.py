"""The evidence map, the registry and the feature files agree, and docs/RULES.md is current."""
from __future__ import annotations

from pathlib import Path

from focus_support.verdict.coverage import RULES_DOC, problems, render, walk
from focus_support.verdict.registry import default_evidence, default_registry


def test_every_scenario_names_a_known_rule_and_every_registry_scenario_exists():
    found = problems(walk(), default_evidence(), default_registry())
    assert not found, "\n".join(found)


def test_every_contested_or_derived_rule_names_an_open_question():
    evidence = default_evidence()
    assert all(rule.question for rule in evidence.rules.values() if rule.open)


def test_the_features_carry_no_bug_state():
    """Bug state lives in config/known_bugs.yaml; the Gherkin is the specification of required behaviour."""
    features = Path(__file__).resolve().parents[2] / "features"
    stale = [str(p) for p in features.rglob("*.feature")
             if any(t in p.read_text(encoding="utf-8") for t in ("@known_bug", "@needs_verification"))]
    assert not stale, f"bug state in the spec: {stale}"


def test_the_rules_table_is_current():
    expected = render(walk(), default_evidence())
    assert RULES_DOC.read_text(encoding="utf-8") == expected, (
        "docs/RULES.md is out of date: run `make rules` (python -m focus_support.verdict.coverage)")
