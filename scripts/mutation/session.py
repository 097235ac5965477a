"""The private tree the mutants are applied to, and the cosmic-ray session that lists them.

Mutants are never applied to the checkout: other runs (and other engineers' stacks) import from it.
``copy_tree`` copies the working tree's files (tracked and untracked-but-not-ignored) into a private
folder; the stack, the probe and behave all run from there. ``init_session`` asks cosmic-ray for
every mutant of the targets, then marks as *skipped* - with the reason as output - the mutants out
of scope (``scope.skip_reason``) and the reviewed equivalent ones (config/mutation_equivalents.yaml).
"""
from __future__ import annotations

import contextlib
import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml
from cosmic_ray.commands.init import init as cosmic_ray_init
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import WorkerOutcome, WorkResult

from scripts.mutation.scope import TARGETS, Target, read_map, skip_reason, target_of

REPO = Path(__file__).resolve().parents[2]
EQUIVALENTS_FILE = REPO / "config" / "mutation_equivalents.yaml"
SURVIVORS_FILE = REPO / "config" / "mutation_survivors.yaml"
EQUIVALENT = "equivalent: "     # prefix of the output of a mutant skipped as a reviewed equivalent


def copy_tree(dest: Path, repo: Path = REPO) -> Path:
    """A fresh copy of the working tree's files (no .git, .venv, reports or caches) in ``dest``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=repo,
                            check=True, capture_output=True).stdout.decode().split("\0")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in filter(None, listed):
        source = repo / name
        if not source.is_file():
            continue  # deleted in the working tree
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return dest


def sources_digest(root: Path, targets: tuple[Target, ...] = TARGETS) -> str:
    """A digest of the targets' sources: a session's results stand only while they match."""
    digest = hashlib.sha256()
    for path in [t.path for t in targets]:
        digest.update(path.encode() + b"\0" + (root / path).read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class ReviewedMutant:
    """A mutant a person reviewed (an equivalent, or a survivor kept on purpose): where it is, and why."""

    module: str
    operator: str
    line: str
    why: str
    mutated: str | None = None   # the mutated line, when one line holds several mutants of the operator
    function: str | None = None  # the enclosing function, when the same line appears in several

    def matches(self, module: str, operator: str, original: str, mutated: str | None,
                function: str | None = None) -> bool:
        return (self.module == module and self.operator == operator and same_code(self.line, original)
                and (self.mutated is None or same_code(self.mutated, mutated or ""))
                and (self.function is None or self.function == function))


def same_code(a: str, b: str) -> bool:
    """Equal but for whitespace: cosmic-ray writes a replaced number with a space before it ("max( 0, n)")."""
    return "".join(a.split()) == "".join(b.split())


def load_equivalents(path: Path = EQUIVALENTS_FILE) -> list[ReviewedMutant]:
    """The reviewed equivalent mutants (an absent file means none)."""
    return _load_reviewed(path, "equivalents")


def load_explained_survivors(path: Path = SURVIVORS_FILE) -> list[ReviewedMutant]:
    """Survivors kept on purpose, each with why (they still count as survived)."""
    return _load_reviewed(path, "survivors")


def _load_reviewed(path: Path, key: str) -> list[ReviewedMutant]:
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [ReviewedMutant(**entry) for entry in data.get(key) or []]


def mutated_line(root: Path, module: str, operator: str, occurrence: int, line: int) -> str | None:
    """The source line ``line`` after applying the mutant (to tell mutants of one line apart)."""
    import cosmic_ray.plugins
    from cosmic_ray.mutating import mutate_code

    code = mutate_code((root / module).read_text(encoding="utf-8"), cosmic_ray.plugins.get_operator(operator)(),
                       occurrence)
    if code is None:
        return None
    lines = code.splitlines()
    return lines[line - 1] if line - 1 < len(lines) else None


def init_session(root: Path, db_path: Path, targets: tuple[Target, ...] = TARGETS,
                 equivalents: list[ReviewedMutant] | None = None) -> dict[str, int]:
    """(Re)create the session for ``targets`` in ``db_path`` (module paths relative to ``root``).

    Returns how many mutants are pending, skipped as out of scope, and skipped as equivalent.
    """
    equivalents = load_equivalents() if equivalents is None else equivalents
    maps = {t.path: read_map(root, t) for t in targets}
    sources = _sources(root, targets)
    counts = {"pending": 0, "out of scope": 0, "equivalent": 0}
    by_path = {t.path: t for t in targets}
    with use_db(str(db_path.resolve()), WorkDB.Mode.create) as db, contextlib.chdir(root):
        # relative paths: cosmic-ray records them as given, and the probe and the report read them so
        cosmic_ray_init([Path(t.path) for t in targets], db, {})
        for item in list(db.pending_work_items):
            mutation = item.mutations[0]
            target = by_path[str(mutation.module_path)]
            reason = skip_reason(target, maps[target.path], mutation.operator_name, mutation.definition_name,
                                 tuple(mutation.start_pos))
            if reason is None:
                reason = equivalent_reason(root, sources, equivalents, mutation)
            if reason is None:
                counts["pending"] += 1
                continue
            counts["equivalent" if reason.startswith(EQUIVALENT) else "out of scope"] += 1
            db.set_result(item.job_id, WorkResult(output=reason, worker_outcome=WorkerOutcome.SKIPPED))
    return counts


def review_equivalents(root: Path, db_path: Path, targets: tuple[Target, ...] = TARGETS,
                       equivalents: list[ReviewedMutant] | None = None) -> int:
    """Mark the session's pending and surviving mutants that are now reviewed equivalents; returns how many.

    Reviewing a survivor into config/mutation_equivalents.yaml then counts at once, without a new session.
    A killed mutant stays killed: a scenario that tells it apart proves it was not equivalent. A mutant
    skipped as equivalent whose entry has since been withdrawn becomes pending again.
    """
    equivalents = load_equivalents() if equivalents is None else equivalents
    sources = _sources(root, targets)
    marked = 0
    withdrawn = []
    with use_db(str(db_path.resolve()), WorkDB.Mode.open) as db:
        results = dict(db.results)
        for item in db.work_items:
            mutation = item.mutations[0]
            result = results.get(item.job_id)
            if str(mutation.module_path) not in sources:
                continue
            reason = equivalent_reason(root, sources, equivalents, mutation)
            if result is not None and result.worker_outcome == WorkerOutcome.SKIPPED:
                if (result.output or "").startswith(EQUIVALENT) and reason is None:
                    withdrawn.append(item.job_id)   # its entry was withdrawn: the mutant runs after all
                continue
            if result is not None and (result.output or "").startswith("MUTANT killed"):
                continue
            if reason is not None:
                db.set_result(item.job_id, WorkResult(output=reason, worker_outcome=WorkerOutcome.SKIPPED))
                marked += 1
        if withdrawn:
            forget_results(db, withdrawn)
    return marked


def forget_results(db: WorkDB, job_ids: list[str]) -> None:
    """Make these mutants pending again (cosmic-ray has no public call for it)."""
    from cosmic_ray.work_db import WorkResultStorage

    with db._session_maker.begin() as session:  # pylint: disable=protected-access
        session.query(WorkResultStorage).filter(WorkResultStorage.job_id.in_(job_ids)).delete()


def _sources(root: Path, targets: tuple[Target, ...]) -> dict[str, list[str]]:
    return {t.path: (root / t.path).read_text(encoding="utf-8").splitlines() for t in targets}


def equivalent_reason(root: Path, sources: dict[str, list[str]], equivalents: list[ReviewedMutant],
                      mutation) -> str | None:
    """``equivalent: <why>`` when the mutant is a reviewed equivalent, else None."""
    module = str(mutation.module_path)
    line = mutation.start_pos[0]
    original = sources[module][line - 1]
    candidates = [e for e in equivalents if e.module == module
                  and e.operator == mutation.operator_name and same_code(e.line, original)]
    if not candidates:
        return None
    mutated = (mutated_line(root, module, mutation.operator_name, mutation.occurrence, line)
               if any(e.mutated for e in candidates) else None)
    hit = next((e for e in candidates if e.matches(module, mutation.operator_name, original, mutated,
                                                   mutation.definition_name)), None)
    return None if hit is None else EQUIVALENT + hit.why
