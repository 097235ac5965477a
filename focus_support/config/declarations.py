"""Every declared environment loads (seed section 1.3): the check behind the "Config Loading" row.

The run's self-checks (focus_support.selfcheck) load each environment of the file with placeholders
for the secrets and sandbox values it names, so the declarations themselves are judged wherever the
suite runs; a test of the suite (tests/support/test_config.py) runs the same check.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from focus_support.config import Environment, known_environments, load_environment
from focus_support.config.loader import DEFAULT_FILE, Selection, references
from focus_support.errors import MisconfiguredError

_PLACEHOLDER = "1"  # parses as text, number or port alike, so only the file's structure is judged


@dataclass
class EnvironmentLoad:
    """The outcome of loading one declared environment."""

    name: str
    environment: Environment | None = None
    error: str = ""


@dataclass
class DeclaredEnvironments:
    """Every environment the configuration file declares, each loaded or with its error."""

    file: Path
    loads: list[EnvironmentLoad] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """Declared environment names."""
        return [load.name for load in self.loads]


def _placeholder_runtime(keys: set[str]) -> dict:
    """A runtime.json stand-in holding a placeholder at every key path the YAML reads."""
    doc: dict = {}
    for dotted in keys:
        node = doc
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = _PLACEHOLDER
    return doc


def environments_file() -> Path:
    """The environments file in use (``FOCUS_ENVIRONMENTS_FILE`` overrides the repository's)."""
    return Selection().environments_file or DEFAULT_FILE


def declared_names() -> list[str]:
    """Names the environments file declares."""
    return known_environments(environments_file())


def load_declared_environments(path: Path | None = None) -> DeclaredEnvironments:
    """Load every declared environment with placeholders for the secrets and sandbox values it names.

    Placeholders (never real secrets) make the check independent of where the suite runs: it
    judges the declarations themselves, which is what failed in seed section 1.3.
    """
    file = path or environments_file()
    text = file.read_text()
    result = DeclaredEnvironments(file=file)
    with tempfile.TemporaryDirectory(prefix="focus-env-check-") as home:
        required_env, sandbox_keys = references(text)  # a secret or site value the operator must supply
        Path(home, "runtime.json").write_text(json.dumps(_placeholder_runtime(sandbox_keys)))
        environ = {name: _PLACEHOLDER for name in sorted(required_env)}
        environ["FOCUS_SANDBOX_HOME"] = home
        for name in known_environments(file):
            try:
                env = load_environment(name, path=file, environ=environ)
                result.loads.append(EnvironmentLoad(name=name, environment=env))
            except MisconfiguredError as exc:
                result.loads.append(EnvironmentLoad(name=name, error=str(exc)))
    return result


def load_declared(name: str) -> Environment:
    """Load one declared environment by name (placeholders for its secrets, as above)."""
    for load in load_declared_environments().loads:
        if load.name == name:
            if load.environment is None:
                raise MisconfiguredError(load.error)
            return load.environment
    raise MisconfiguredError(f"environment '{name}' is not declared in {environments_file().name}")


def load_problems(declared: DeclaredEnvironments) -> list[str]:
    """One line per environment that failed to load or lacks a server address or positive timings."""
    problems = []
    for load in declared.loads:
        env = load.environment
        if env is None:
            problems.append(f"{load.name}: {load.error}")
            continue
        if not env.focus_server.url:
            problems.append(f"{load.name}: no Focus Server address")
        timings = env.timings.model_dump()
        bad = {k: v for k, v in timings.items() if not v > 0}
        if bad:
            problems.append(f"{load.name}: non-positive lifecycle timings {bad}")
    return problems
