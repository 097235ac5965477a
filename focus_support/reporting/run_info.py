"""What the report says about the run itself: environment widget, executor, categories, tracker.

The behave hooks fill this once the environment is loaded (``configure_from_environment``); the
formatter writes it into the Allure results when the run ends.
"""
from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import unquote, urlsplit

from focus_support.reporting.redaction import redact, redact_url, register_secret
from focus_support.verdict.classify import (
    INFRASTRUCTURE, INTERRUPTED, NEEDS_VERIFICATION, PRODUCT_KNOWN, PRODUCT_NEW, TARGET_MISSED,
)


@dataclass
class RunInfo:
    """Process-wide report settings of the current run."""

    tracker_url: str | None = None            # pattern with {id} (or {}) for @issue:N links
    environment: dict[str, str] = field(default_factory=dict)

    def issue_url(self, issue: str) -> str | None:
        """The tracker URL of an issue id, when a pattern is configured."""
        if not self.tracker_url:
            return None
        return self.tracker_url.replace("{id}", issue).replace("{}", issue)


RUN = RunInfo()


def set_environment_info(**values: Any) -> None:
    """Add entries to the Allure environment widget (URLs and secrets are redacted)."""
    for key, value in values.items():
        if value is None:
            continue
        text = ", ".join(map(str, value)) if isinstance(value, (list, tuple, set)) else str(value)
        RUN.environment[key] = redact_url(text)


def set_tracker_url(pattern: str | None) -> None:
    """Set the URL pattern (``{id}``) that ``@issue:N`` tags link to."""
    RUN.tracker_url = pattern or None


def _get(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = obj.get(part) if isinstance(obj, Mapping) else getattr(obj, part, None)
        if obj is None:
            return None
    return obj


_SECRET_FIELDS = ("web_app.user.password", "web_app.viewer.password", "mongodb.uri", "rabbitmq.url",
                  "rabbitmq.password")


def environment_secrets(env: Any) -> list[str]:
    """The secret values (pydantic ``SecretStr`` fields) of a loaded config ``Environment``."""
    values = []
    for path in _SECRET_FIELDS:
        secret = _get(env, path)
        if secret is not None and hasattr(secret, "get_secret_value"):
            values.append(secret.get_secret_value())
            # a URI's password is a secret on its own too (it shows up without the URI around it)
            password = urlsplit(values[-1]).password if "://" in values[-1] else None
            if password:
                values.append(unquote(password))
    return values


def configure_from_environment(env: Any, profile: str | None = None, defects: list[str] | None = None) -> None:
    """Take tracker link, widget entries and secrets from a loaded config ``Environment``."""
    set_tracker_url(_get(env, "tracker_url"))
    for secret in environment_secrets(env):
        register_secret(secret)
    set_environment_info(**{
        "Environment": _get(env, "name"),
        "Focus.Server.URL": _get(env, "focus_server.url"),
        "Web.App.URL": _get(env, "web_app.url"),
        "RabbitMQ.Management.URL": _get(env, "rabbitmq.management_url"),
        "Kubernetes.Namespace": _get(env, "kubernetes.namespace"),
        "Sandbox.Profile": profile,
        "Sandbox.Defects": defects if defects else None,
    })


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment_properties(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The widget entries: configured ones plus tool versions."""
    props = {
        "Python": platform.python_version(),
        "behave": _version("behave"),
        "allure-behave": _version("allure-behave"),
    }
    props.update(RUN.environment)
    props.update(extra or {})
    return {k: redact(str(v)) for k, v in props.items()}


def _int(value: str | None) -> int | str | None:
    return int(value) if value and value.isdigit() else value


def executor_from_ci(environ: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """Allure executor info from the CI's variables, or None outside CI."""
    e = os.environ if environ is None else environ
    if e.get("GITHUB_ACTIONS") == "true":
        server, repo, run_id = e.get("GITHUB_SERVER_URL", ""), e.get("GITHUB_REPOSITORY", ""), e.get("GITHUB_RUN_ID", "")
        return {"name": "GitHub Actions", "type": "github", "buildName": f"{e.get('GITHUB_WORKFLOW', '')} #{e.get('GITHUB_RUN_NUMBER', '')}",
                "buildOrder": _int(e.get("GITHUB_RUN_NUMBER")), "buildUrl": f"{server}/{repo}/actions/runs/{run_id}"}
    if e.get("GITLAB_CI"):
        return {"name": "GitLab CI", "type": "gitlab", "buildName": f"{e.get('CI_JOB_NAME', '')} #{e.get('CI_PIPELINE_IID', '')}",
                "buildOrder": _int(e.get("CI_PIPELINE_IID")), "buildUrl": e.get("CI_JOB_URL") or e.get("CI_PIPELINE_URL")}
    if e.get("JENKINS_URL") or e.get("BUILD_URL"):
        return {"name": "Jenkins", "type": "jenkins", "buildName": e.get("BUILD_TAG") or e.get("JOB_NAME"),
                "buildOrder": e.get("BUILD_NUMBER"), "buildUrl": e.get("BUILD_URL")}
    if e.get("CI", "").lower() in ("true", "1", "yes"):
        return {"name": e.get("CI_NAME", "CI"), "type": "ci",
                "buildName": e.get("CI_BUILD_NAME") or e.get("BUILD_NAME") or "CI run",
                "buildOrder": _int(e.get("CI_BUILD_NUMBER") or e.get("BUILD_NUMBER"))}
    return None


def categories() -> list[dict[str, Any]]:
    """Allure categories mirroring triage; they match the ``[class]`` prefix the formatter writes."""
    def cat(name: str, statuses: list[str]) -> dict[str, Any]:
        return {"name": name[0].upper() + name[1:], "matchedStatuses": statuses,
                "messageRegex": rf"(?s)\[{name}\].*"}
    return [
        cat(PRODUCT_NEW, ["failed"]),
        cat(PRODUCT_KNOWN, ["failed"]),
        cat(NEEDS_VERIFICATION, ["failed"]),
        cat(INFRASTRUCTURE, ["broken", "failed"]),
        cat(INTERRUPTED, ["skipped", "broken"]),
        cat(TARGET_MISSED, ["failed"]),
    ]


def write_results_metadata(results_dir: Path | str, environ: Mapping[str, str] | None = None) -> None:
    """Write environment.properties, categories.json and (in CI) executor.json into the results."""
    results = Path(results_dir)
    results.mkdir(parents=True, exist_ok=True)
    props = environment_properties()
    with open(results / "environment.properties", "w", encoding="utf-8") as out:
        for key, value in props.items():
            # .properties syntax: escape separators in keys, keep values on one line
            safe_key = key.replace(" ", "\\ ").replace(":", "\\:").replace("=", "\\=")
            out.write(f"{safe_key}={' '.join(value.split())}\n")
    (results / "categories.json").write_text(json.dumps(categories(), indent=1, ensure_ascii=False), encoding="utf-8")
    executor = executor_from_ci(environ)
    if executor:
        executor = {k: redact(str(v)) for k, v in executor.items() if v}
        order = str(executor.get("buildOrder", ""))
        if order.isdigit():
            executor["buildOrder"] = int(order)  # Allure orders the trend by this number
        (results / "executor.json").write_text(json.dumps(executor, indent=1), encoding="utf-8")
