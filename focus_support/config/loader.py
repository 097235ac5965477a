"""Load one environment from ``config/environments.yaml`` into a typed :class:`Environment`.

String values may reference ``${env:NAME}`` / ``${env:NAME:-default}`` (environment variables the
YAML names: where secrets come from) and ``${sandbox:key.path}`` (the local sandbox's
``runtime.json``). Nothing is cached at module level: every call reads afresh, so tests cannot leak
configuration into one another.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from focus_support.errors import MisconfiguredError

from .models import Environment

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FILE = REPO_ROOT / "config" / "environments.yaml"
_REF = re.compile(r"\$\{(env|sandbox):([A-Za-z0-9_.]+)(?::-([^}]*))?\}")


def selected_environment(requested: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The one rule for which environment a run uses: the name asked for (``-D env=``) wins over
    ``FOCUS_ENV``; ``local`` (the sandbox) is the default."""
    environ = os.environ if environ is None else environ
    return requested or environ.get("FOCUS_ENV") or "local"


class Selection(BaseSettings):
    """The environments file and sandbox home (``FOCUS_*``); which environment: ``selected_environment``."""

    model_config = SettingsConfigDict(env_prefix="FOCUS_", extra="ignore")

    environments_file: Path | None = None
    sandbox_home: Path | None = None


def references(text: str) -> tuple[set[str], set[str]]:
    """What a text's ``${...}`` references need, read by the same grammar the loader resolves: the
    environment variables it requires (``${env:NAME}`` without a default) and the sandbox keys it reads."""
    required_env: set[str] = set()
    sandbox_keys: set[str] = set()
    for match in _REF.finditer(text):
        source, name, default = match.groups()
        if source == "sandbox":
            sandbox_keys.add(name)
        elif default is None:
            required_env.add(name)
    return required_env, sandbox_keys


def sandbox_runtime_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the local sandbox writes ``runtime.json`` (``FOCUS_SANDBOX_HOME`` overrides ``.sandbox``)."""
    environ = os.environ if environ is None else environ
    home = environ.get("FOCUS_SANDBOX_HOME")
    return (Path(home) if home else REPO_ROOT / ".sandbox") / "runtime.json"


class _Resolver:
    """Replaces ``${...}`` references, naming the environment and key when one cannot be resolved."""

    def __init__(self, env_name: str, environ: Mapping[str, str], runtime_path: Path) -> None:
        self.env_name = env_name
        self.environ = environ
        self.runtime_path = runtime_path
        self._runtime: dict[str, Any] | None = None
        # Unset variables are collected, not raised one by one: a new user learns every missing
        # variable from the first run instead of one per attempt.
        self.missing: dict[str, list[str]] = {}  # variable -> keys that need it

    def resolve(self, node: Any, key: str = "") -> Any:
        if isinstance(node, dict):
            return {k: self.resolve(v, f"{key}.{k}" if key else str(k)) for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve(v, f"{key}[{i}]") for i, v in enumerate(node)]
        if not isinstance(node, str):
            return node
        whole = _REF.fullmatch(node)
        if whole:  # keep the referenced value's own type (ints, bools)
            return self._lookup(whole, key)
        return _REF.sub(lambda m: str(self._lookup(m, key)), node)

    def _lookup(self, match: re.Match[str], key: str) -> Any:
        source, name, default = match.groups()
        if source == "env":
            if name in self.environ:
                return self.environ[name]
            if default is not None:
                return default
            self.missing.setdefault(name, []).append(key)
            return ""
        value: Any = self._runtime_doc(key)
        for part in name.split("."):
            if not isinstance(value, dict) or part not in value:
                if default is not None:
                    return default
                raise MisconfiguredError(
                    f"environment '{self.env_name}': key '{key}' needs '{name}' from {self.runtime_path}, "
                    "which does not have it"
                )
            value = value[part]
        return value

    def _runtime_doc(self, key: str) -> dict[str, Any]:
        if self._runtime is None:
            if not self.runtime_path.is_file():
                raise MisconfiguredError(
                    f"environment '{self.env_name}': key '{key}' reads the sandbox's {self.runtime_path}, "
                    "which does not exist (start it: python -m focus_sandbox up)"
                )
            self._runtime = json.loads(self.runtime_path.read_text())
        return self._runtime


def _describe(env_name: str, exc: ValidationError, errors: list[Any] | None = None) -> str:
    problems = []
    for err in exc.errors() if errors is None else errors:
        key = ".".join(str(p) for p in err["loc"]) or "<root>"
        if err["type"] == "missing":
            problems.append(f"key '{key}' is missing")
        elif err["type"] == "extra_forbidden":
            problems.append(f"key '{key}' is not a known setting")
        else:
            problems.append(f"key '{key}': {err['msg']}")
    return f"environment '{env_name}': " + "; ".join(problems)


def known_environments(path: Path | str | None = None) -> list[str]:
    """Names of the environments the YAML defines."""
    return sorted(_read_file(Path(path) if path else DEFAULT_FILE).keys())


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise MisconfiguredError(f"environments file {path} does not exist")
    doc = yaml.safe_load(path.read_text()) or {}
    envs = doc.get("environments")
    if not isinstance(envs, dict):
        raise MisconfiguredError(f"{path}: key 'environments' is missing or not a mapping")
    return envs


def load_environment(
    name: str | None = None,
    *,
    path: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Environment:
    """Load and validate one environment: the one ``selected_environment`` names for ``name``."""
    if environ is None:
        environ, selection = os.environ, Selection()
    else:  # an explicit mapping (tests) is the only source: the process environment must not leak in
        selection = Selection(environments_file=environ.get("FOCUS_ENVIRONMENTS_FILE"))
    env_name = selected_environment(name, environ)
    file = Path(path) if path else (selection.environments_file or DEFAULT_FILE)
    envs = _read_file(file)
    if env_name not in envs:
        raise MisconfiguredError(
            f"unknown environment '{env_name}' in {file.name}; known: {', '.join(sorted(envs))}"
        )
    raw = envs[env_name]
    if not isinstance(raw, dict):
        raise MisconfiguredError(f"environment '{env_name}' in {file.name} is not a mapping")
    resolver = _Resolver(env_name, environ, sandbox_runtime_path(environ))
    data = resolver.resolve({k: v for k, v in raw.items() if not str(k).startswith("x-")})
    try:
        environment = Environment.model_validate({**data, "name": env_name})
    except ValidationError as exc:
        if resolver.missing:  # the unset variables explain the invalid values; name them all
            raise MisconfiguredError(_describe_missing(env_name, resolver.missing, exc)) from exc
        raise MisconfiguredError(_describe(env_name, exc)) from exc
    if resolver.missing:
        raise MisconfiguredError(_describe_missing(env_name, resolver.missing))
    return environment


def _describe_missing(env_name: str, missing: dict[str, list[str]], exc: ValidationError | None = None) -> str:
    """One message naming every unset variable (and the keys needing it), plus any other problem."""
    names = ", ".join(sorted(missing))
    needs = "; ".join(f"{name} (key '{', '.join(keys)}')" for name, keys in sorted(missing.items()))
    text = (f"environment '{env_name}': {len(missing)} environment variable(s) not set: {names}. "
            f"Set each of them: {needs}")
    if exc is not None:
        needed = {key for keys in missing.values() for key in keys}
        other = [e for e in exc.errors() if ".".join(str(p) for p in e["loc"]) not in needed]
        if other:
            text += ". Other problems: " + _describe(env_name, exc, other).split(": ", 1)[1]
    return text
