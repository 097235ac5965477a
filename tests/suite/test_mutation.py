"""The mutation machinery (scripts/mutation, issue 12): its scope rules on made-up code, its verdict rule
on made-up records, and a small random sample of real mutants against a sandbox so it cannot rot."""
from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from focus_support.reporting.records import ScenarioRecord
from focus_support.verdict.classify import INFRASTRUCTURE, NEEDS_VERIFICATION, PRODUCT_KNOWN, PRODUCT_NEW
from scripts.mutation.batch import probe_outcome
from scripts.mutation.behave_run import kills
from scripts.mutation.probe import scenario_order
from scripts.mutation.report import read_session
from scripts.mutation.scope import OPERATORS, TARGETS, module_map, skip_reason, target_of
from scripts.mutation.session import ReviewedMutant, load_equivalents

REPO = Path(__file__).resolve().parents[2]

SOURCE = '''
LIMIT = 10
ONLY_FOR_SWITCH = 3

def other(config, x: int | None) -> int | None:
    if not config.has("on"):
        return None
    return x - 1

def rule(config, x):
    if x > LIMIT:
        return "too big"
    if config.has("lax"):
        return x * ONLY_FOR_SWITCH
    y = 0 if config.has("zero") else x + 1
    if x == 2 and config.has("two"):
        y = 5
    if x == 4 or (x == 3 and config.has("three")):
        y = 6
    if x > 7 and x < 9:
        y = 8
    try:
        send(y)
    except BrokerError:
        return y - 1
    return y
'''


def _pos(needle: str, occurrence: int = 0) -> tuple[int, int]:
    lines = SOURCE.splitlines()
    hits = [(n + 1, line.index(needle)) for n, line in enumerate(lines) if needle in line]
    return hits[occurrence]


def test_switch_only_and_outage_only_code_is_found_and_rule_code_is_not():
    mmap = module_map(SOURCE)
    assert "annotation" in mmap.reason(_pos("int | None"))
    assert "switch-only" in mmap.reason(_pos("x - 1"))                     # after "if not switch: return"
    assert mmap.reason(_pos('"too big"')) is None
    assert "switch-only" in mmap.reason(_pos("x * ONLY_FOR_SWITCH"))
    line, col = _pos("= 3")
    assert "switch-only" in mmap.reason((line, col + 2))                   # a constant only a switch reads
    line, col = _pos("= 10")
    assert mmap.reason((line, col + 2)) is None
    assert "switch-only" in mmap.reason(_pos("0 if config"))               # the true branch of a switch
    assert mmap.reason(_pos("x + 1")) is None                              # the spec branch
    assert "switch-only" in mmap.reason(_pos("x == 2"))                    # an operand next to a switch
    assert "switch-only" in mmap.reason(_pos("y = 5"))
    assert "switch-only" in mmap.reason(_pos("x == 3"))                    # beside a switch inside an or
    assert mmap.reason(_pos("x == 4")) is None                             # the or's other operand
    assert mmap.reason(_pos("x > 7")) is None                              # an and without a switch
    assert "outage-only" in mmap.reason(_pos("y - 1"))
    assert mmap.reason(_pos("send(y)")) is None


def test_operators_outside_the_selective_set_and_plumbing_are_skipped_with_their_reason():
    target = target_of("focus_sandbox/server/jobs.py")
    mmap = module_map("def port_free():\n    return 1 + 1\n")
    assert "selective set" in skip_reason(target, mmap, "core/ReplaceBinaryOperator_Add_BitXor", None, (2, 11))
    assert "out of scope: port_free" in skip_reason(target, mmap, "core/ReplaceBinaryOperator_Add_Sub", "port_free",
                                                    (2, 11))
    assert skip_reason(target, mmap, "core/ReplaceBinaryOperator_Add_Sub", "create", (2, 11)) is None
    assert "core/ReplaceComparisonOperator_Lt_LtE" in OPERATORS and "core/ExceptionReplacer" not in OPERATORS


def _record(category, status="failed", kind="assertion", rules=("configure.height",), step="x"):
    return ScenarioRecord(feature="F", scenario="S", location="features/x.feature:1", status=status, kind=kind,
                          rules=list(rules), step_text=step, category=category)


@pytest.mark.parametrize("record, killed", [
    (_record(PRODUCT_NEW), True),
    (_record(PRODUCT_KNOWN), True),
    (_record(NEEDS_VERIFICATION, rules=["response.waterfall-shape"]), True),      # derived
    (_record(NEEDS_VERIFICATION, rules=["frequency.textbook-spacing"]), True),    # derived, contested too
    (_record(NEEDS_VERIFICATION, rules=["configure.nfft-edges"]), False),         # documented, contested
    (_record(INFRASTRUCTURE, kind="infrastructure"), False),
    (_record(None, status="passed", kind="passed"), False),
    (_record(PRODUCT_NEW, status="broken", kind="error"), False),
])
def test_only_a_product_bug_or_a_derived_rules_question_kills_a_mutant(record, killed):
    assert kills(record) is killed


def test_the_probe_line_is_read_back_and_a_missing_one_is_an_error():
    assert probe_outcome("noise\nMUTANT killed: S [f:1] — product bug — new\n") == (
        "killed", "S [f:1] — product bug — new")
    assert probe_outcome("timeout")[0] == "error"


def test_scenarios_of_the_mutated_functions_rules_run_first():
    target = target_of("focus_sandbox/server/validation.py")
    order = scenario_order(target, "_height", REPO)
    assert order, "the configuration features hold scenarios"
    first = order[0]
    path, line = first.rsplit(":", 1)
    assert "canvas height" in (REPO / path).read_text().splitlines()[int(line) - 1] or "height" in first


def test_every_target_module_and_feature_exists_and_every_equivalent_names_a_real_line():
    for target in TARGETS:
        assert (REPO / target.path).is_file(), target.path
        assert any((REPO / f).exists() for f in target.features), target.path
    for entry in load_equivalents():
        assert isinstance(entry, ReviewedMutant) and entry.why.strip()
        lines = [l.strip() for l in (REPO / entry.module).read_text().splitlines()]
        assert entry.line in lines, f"{entry.module}: no line {entry.line!r} (update config/mutation_equivalents.yaml)"


@pytest.mark.suite
@pytest.mark.stack
@pytest.mark.slow
def test_a_random_sample_of_three_mutants_is_applied_run_and_judged(tmp_path):
    """Three mutants of the cheaper modules, chosen at random (the seed is printed), each judged by a
    run of the suite against a sandbox serving it: the whole chain works end to end."""
    seed = int(os.environ.get("FOCUS_MUTATION_SEED") or random.randrange(1_000_000))
    print(f"mutation sample seed {seed} (FOCUS_MUTATION_SEED={seed} repeats it)")
    report = tmp_path / "mutation.md"
    result = subprocess.run(
        [sys.executable, "-m", "scripts.mutation", "--sample", "3", "--seed", str(seed), "--lock", "",
         "--module", "derive.py", "--module", "webapp.py", "--module", "ratelimit.py",
         "--workdir", str(tmp_path / "session"), "--report", str(report), "--timeout", "240"],
        cwd=REPO, capture_output=True, text=True, timeout=1500)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    score = read_session(tmp_path / "session" / "session.sqlite")
    judged = [m for m in score.mutants if m.outcome not in ("pending", "out of scope", "equivalent")]
    assert len(judged) == 3, [(m.module, m.line, m.outcome, m.why) for m in judged]
    assert all(m.outcome in ("killed", "survived", "timeout", "stillborn") for m in judged), judged
    assert all(m.diff for m in judged), "each judged mutant keeps its diff"
    assert "Mutation score:" in report.read_text()


def test_a_survivor_reviewed_later_becomes_an_equivalent_and_a_killed_mutant_stays_killed(tmp_path):
    """Reviewing a survivor into config/mutation_equivalents.yaml counts at once (make mutation --resume)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

    from scripts.mutation.scope import Target
    from scripts.mutation.session import init_session, review_equivalents

    (tmp_path / "rule.py").write_text("def limit(x):\n    return x + 1\n\n\ndef other(y):\n    return y - 1\n")
    target = Target("rule.py", "made-up rule", ("features/x",))
    db_path = tmp_path / "session.sqlite"
    counts = init_session(tmp_path, db_path, (target,), equivalents=[])
    assert counts["equivalent"] == 0 and counts["pending"] >= 2
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        items = {i.mutations[0].operator_name + str(i.mutations[0].start_pos[0]): i.job_id for i in db.work_items}
        db.set_result(items["core/ReplaceBinaryOperator_Add_Sub2"], WorkResult(
            worker_outcome=WorkerOutcome.NORMAL, output="MUTANT survived: 3 scenario(s) ran",
            test_outcome=TestOutcome.SURVIVED))
        db.set_result(items["core/ReplaceBinaryOperator_Sub_Add6"], WorkResult(
            worker_outcome=WorkerOutcome.NORMAL, output="MUTANT killed: S [f:1]", test_outcome=TestOutcome.KILLED))
    reviewed = [ReviewedMutant("rule.py", "core/ReplaceBinaryOperator_Add_Sub", "return x + 1", "made-up reason"),
                ReviewedMutant("rule.py", "core/ReplaceBinaryOperator_Sub_Add", "return y - 1", "wrongly reviewed")]
    assert review_equivalents(tmp_path, db_path, (target,), reviewed) == 1
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        results = dict(db.results)
    assert results[items["core/ReplaceBinaryOperator_Add_Sub2"]].output == "equivalent: made-up reason"
    assert results[items["core/ReplaceBinaryOperator_Sub_Add6"]].output.startswith("MUTANT killed")
    assert review_equivalents(tmp_path, db_path, (target,), reviewed) == 0, "marking twice changes nothing"
    review_equivalents(tmp_path, db_path, (target,), [])   # the entry is withdrawn: the mutant runs after all
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        assert items["core/ReplaceBinaryOperator_Add_Sub2"] not in dict(db.results)
        assert items["core/ReplaceBinaryOperator_Sub_Add6"] in dict(db.results), "a killed mutant keeps its result"


def test_a_mutant_reviewed_while_its_batch_runs_is_recorded_as_equivalent_and_not_run(tmp_path, monkeypatch):
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    from scripts.mutation import batch
    from scripts.mutation.scope import Target
    from scripts.mutation.session import init_session

    (tmp_path / "rule.py").write_text("def limit(x):\n    return x + 1\n")
    db_path = tmp_path / "session.sqlite"
    init_session(tmp_path, db_path, (Target("rule.py", "made-up rule", ("features/x",)),), equivalents=[])
    reviewed = tmp_path / "equivalents.yaml"
    reviewed.write_text("equivalents:\n  - module: rule.py\n    operator: core/ReplaceBinaryOperator_Add_Sub\n"
                        "    line: \"return x + 1\"\n    why: made-up reason\n")
    ran = []
    monkeypatch.setattr(batch, "mutate_and_test", lambda mutations, command, timeout: ran.append(
        mutations[0].operator_name) or WorkResult(worker_outcome=WorkerOutcome.NORMAL, output="MUTANT survived: x"))
    monkeypatch.chdir(tmp_path)
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        todo = list(db.pending_work_items)
        batch._judge_each(db, todo, tmp_path, tmp_path, 1.0, reviewed)
        results = {i.mutations[0].operator_name: dict(db.results)[i.job_id] for i in todo}
    assert "core/ReplaceBinaryOperator_Add_Sub" not in ran and ran, ran
    assert results["core/ReplaceBinaryOperator_Add_Sub"].output == "equivalent: made-up reason"


def _judged_session(tmp_path: Path, source: str, survives) -> Path:
    """A session of a made-up rule module whose every mutant was run: ``survives(line)`` says which survived."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

    from scripts.mutation.scope import Target
    from scripts.mutation.session import init_session

    (tmp_path / "rule.py").write_text(source)
    db_path = tmp_path / "session.sqlite"
    init_session(tmp_path, db_path, (Target("rule.py", "made-up rule", ("features/x",)),), equivalents=[])
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        for item in db.work_items:
            survived = survives(item.mutations[0].start_pos[0])
            db.set_result(item.job_id, WorkResult(
                worker_outcome=WorkerOutcome.NORMAL, diff="-a\n+b",
                test_outcome=TestOutcome.SURVIVED if survived else TestOutcome.KILLED,
                output="MUTANT survived: 3 scenario(s) ran" if survived else "MUTANT killed: S [f:1] — product bug — new"))
    return db_path


def test_a_killed_mutant_the_equivalents_file_covers_stays_killed_and_the_report_asks_to_correct_the_entry(
        tmp_path, monkeypatch):
    from scripts.mutation import report

    db_path = _judged_session(tmp_path, "def limit(x):\n    return x + 1\n", lambda line: False)
    monkeypatch.setattr(report, "_rescoped", lambda mutation, diff, _entries: ("equivalent", "wrongly reviewed"))
    score = report.read_session(db_path)
    assert score.mutants and all(m.outcome == "killed" and m.contradicts == "wrongly reviewed" for m in score.mutants)
    text = report.markdown(score)
    assert "Reviewed as equivalent, yet killed" in text and "wrongly reviewed" in text


def test_an_explained_survivor_still_counts_as_survived_and_a_killed_one_asks_for_its_entry_to_go(
        tmp_path, monkeypatch):
    """config/mutation_survivors.yaml explains a survivor without taking it out of the score."""
    from scripts.mutation import report

    db_path = _judged_session(tmp_path, "def limit(x):\n    return x + 1\n\n\ndef other(y):\n    return y - 1\n",
                              lambda line: line == 2)
    monkeypatch.setattr(report, "_rescoped", lambda mutation, diff, _entries: None)
    monkeypatch.setattr(report, "_explanation", lambda mutation, diff, _entries: "an open question")
    score = report.read_session(db_path)
    survivors = score.of("survived")
    assert survivors and all(m.explained == "an open question" for m in survivors)
    assert score.percent() < 100.0, "an explained survivor stays in the score"
    text = report.markdown(score)
    assert "Surviving mutants, not yet explained (0)" in text
    assert f"Explained survivors ({len(survivors)}" in text and "an open question" in text
    assert "Explained as survivors, yet killed" in text   # the killed mutants matched an entry too
    assert f"of them {len(survivors)} explained" in "\n".join(report.summary_lines(score))


def test_every_explained_survivor_names_a_real_line_and_says_why():
    from scripts.mutation.session import load_explained_survivors

    entries = load_explained_survivors()
    assert entries, "config/mutation_survivors.yaml lists the survivors kept on purpose"
    for entry in entries:
        assert entry.why.strip() and entry.operator.startswith("core/")
        lines = [l.strip() for l in (REPO / entry.module).read_text().splitlines()]
        assert entry.line in lines, f"{entry.module}: no line {entry.line!r} (update config/mutation_survivors.yaml)"


def test_an_equivalent_matches_the_mutated_line_whatever_its_spacing():
    entry = ReviewedMutant("m.py", "core/NumberReplacer", "return max(1, n)", "why", mutated="return max(0, n)")
    assert entry.matches("m.py", "core/NumberReplacer", "    return max(1, n)", "    return max( 0, n)")
    assert not entry.matches("m.py", "core/NumberReplacer", "    return max(1, n)", "    return max( 2, n)")
    in_one = ReviewedMutant("m.py", "core/AddNot", "if ready:", "why", function="f")
    assert in_one.matches("m.py", "core/AddNot", "if ready:", None, "f")
    assert not in_one.matches("m.py", "core/AddNot", "if ready:", None, "g")


def test_a_batch_keeps_the_last_readable_equivalents_while_the_file_is_being_edited(tmp_path, capsys):
    from scripts.mutation.batch import _reviewed

    path = tmp_path / "equivalents.yaml"
    path.write_text("equivalents:\n  - module: m.py\n    operator: core/AddNot\n    line: x\n    why: y\n")
    good = _reviewed(path, [])
    assert len(good) == 1
    path.write_text("equivalents:\n  - module: m.py\n    unknown_key: 1\n")
    assert _reviewed(path, good) == good
    assert "cannot be read now" in capsys.readouterr().out


def test_a_session_is_continued_module_by_module_and_never_discarded_on_a_flag(tmp_path):
    """`--rerun-survivors --module jobs.py` on a session of every module continues that session; a
    session whose sources changed is refused with the reason, and a new session keeps the old one."""
    from scripts.mutation.__main__ import keep_previous, session_mismatch
    from scripts.mutation.session import sources_digest

    everything = TARGETS
    db_path = tmp_path / "session.sqlite"
    db_path.write_bytes(b"judged mutants")
    meta = {"digest": sources_digest(REPO, everything), "modules": [t.path for t in everything],
            "digests": {t.path: sources_digest(REPO, (t,)) for t in everything}}
    one = (target_of("focus_sandbox/server/jobs.py"),)
    assert session_mismatch(REPO, db_path, meta, one) == ""
    assert session_mismatch(REPO, db_path, meta, everything) == ""

    changed = {**meta, "digest": "0" * 16, "digests": {**meta["digests"], one[0].path: "0" * 16}}
    assert "focus_sandbox/server/jobs.py" in session_mismatch(REPO, db_path, changed, one)
    subset = {**meta, "modules": [one[0].path]}
    assert "not for" in session_mismatch(REPO, db_path, subset, everything)
    assert session_mismatch(REPO, tmp_path / "none.sqlite", meta, one) == "there is no session yet"

    (tmp_path / "session.json").write_text("{}")
    keep_previous(db_path)
    assert (tmp_path / "session.previous.sqlite").read_bytes() == b"judged mutants"
    assert (tmp_path / "session.previous.json").exists() and not db_path.exists()


def test_resuming_a_changed_session_refuses_and_leaves_it_untouched(tmp_path):
    import json

    workdir = tmp_path / "session"
    workdir.mkdir()
    (workdir / "session.sqlite").write_bytes(b"judged mutants")
    (workdir / "session.json").write_text(json.dumps({"digest": "0" * 16, "modules": [TARGETS[0].path]}))
    result = subprocess.run([sys.executable, "-m", "scripts.mutation", "--resume", "--lock", "",
                             "--workdir", str(workdir), "--report", str(tmp_path / "m.md")],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot continue the session" in result.stderr and "changed" in result.stderr
    assert (workdir / "session.sqlite").read_bytes() == b"judged mutants"
