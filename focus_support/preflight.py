"""Automatic environment validation (seed section 6): check every dependency before the first scenario.

The result prints as one plain-text table (dependency, route, status, detail) that reads well in CI
logs. A dependency the suite could not *reach* or that the environment does not *declare* skips the
scenarios tagged ``@requires_<dependency>``, saying so; an unreachable Focus Server stops the run;
"waiting for fibre" is a precondition of the environment. A dependency that was reached and
**answered wrongly** is marked ``ANSWERED WRONGLY`` and skips nothing: its scenarios run and fail as
product findings, so a product answer can never become a skip.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from focus_support.errors import (
    InfrastructureError, MisconfiguredError, PreconditionNotMetError, UnexpectedResponseError, UnreachableError,
)
from focus_support.exchanges import redact_text


class Status(str, Enum):
    OK = "ok"
    UNAVAILABLE = "unavailable"
    PRECONDITION = "precondition"
    NOT_CONFIGURED = "not configured"
    ANSWERED_WRONGLY = "answered wrongly"   # reached, and the answer was a product failure
    SUITE_ERROR = "suite error"             # the probe itself raised: a defect of the suite



@dataclass(frozen=True)
class CheckResult:
    """One row of the table."""

    dependency: str
    route: str
    status: Status
    detail: str = ""

    @property
    def available(self) -> bool:
        """True when the dependency was reached and answered as expected."""
        return self.status is Status.OK

    @property
    def skips(self) -> bool:
        """True when scenarios needing the dependency are skipped: it could not be reached, is not
        declared for this environment, or the environment is waiting for fibre. Never for a product
        answer (ANSWERED_WRONGLY) nor for a suite error: those scenarios run and show the failure."""
        return self.status in (Status.UNAVAILABLE, Status.NOT_CONFIGURED, Status.PRECONDITION)


DEPENDENCIES = ("focus_server", "fibre", "web_app", "cluster", "ssh", "mongodb", "rabbitmq", "rabbitmq_management")
SCENARIO_CLASSES = ("destructive", "load")
EXCLUSIVE = "exclusive"                 # judged only where nobody else uses the environment
NEEDS_RATE_LIMIT = "needs_rate_limit"   # needs the rate limit the environment declares


@dataclass
class PreflightReport:
    """Every dependency's status for the chosen environment."""

    environment: str
    results: list[CheckResult] = field(default_factory=list)

    def get(self, dependency: str) -> CheckResult | None:
        """The row of a dependency, if it was checked."""
        return next((r for r in self.results if r.dependency == dependency), None)

    def available(self, dependency: str) -> bool:
        """True when the dependency was checked and is usable."""
        row = self.get(dependency)
        return row is not None and row.available

    def table(self) -> str:
        """Plain-text table, one row per dependency."""
        header = ("DEPENDENCY", "ROUTE", "STATUS", "DETAIL")
        rows = [header] + [(r.dependency, r.route, r.status.value.upper(), r.detail) for r in self.results]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = [f"Preflight for environment '{self.environment}'"]
        for n, row in enumerate(rows):
            lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])
            if n == 0:
                lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 6)
        return "\n".join(line.rstrip() for line in lines)

    def require_focus_server(self) -> None:
        """Stop the run (UnreachableError) when Focus Server itself cannot be reached."""
        row = self.get("focus_server")
        if row is None or row.skips:
            detail = row.detail if row else "not checked"
            raise UnreachableError(f"Focus Server is unreachable in environment '{self.environment}' ({detail}); "
                                   "no scenario can run, stopping.")

    def skip_reason(self, tags: Iterable[str], allowed: Callable[[str], bool] | None = None, *,
                    shared: bool = False, rate_limit_declared: bool = True) -> str | None:
        """Why a scenario with these tags must be skipped here, or None when it can run.

        ``shared``: other clients use the environment, so ``@exclusive`` scenarios (they judge the
        whole namespace or broker, or take a shared dependency down) cannot run. An undeclared rate
        limit is an open question of the environment, so ``@needs_rate_limit`` scenarios are skipped,
        never failed.
        """
        tags = [t.lstrip("@") for t in tags]
        for scenario_class in SCENARIO_CLASSES:
            if scenario_class in tags and allowed is not None and not allowed(scenario_class):
                return f"@{scenario_class} scenarios are not allowed in environment '{self.environment}'"
        if EXCLUSIVE in tags and shared:
            return (f"@{EXCLUSIVE}: needs the namespace, database and broker to itself, and environment "
                    f"'{self.environment}' is shared")
        if NEEDS_RATE_LIMIT in tags and not rate_limit_declared:
            return f"rate limit not declared for {self.environment}"
        for tag in tags:
            if not tag.startswith("requires_"):
                continue
            dependency = tag.removeprefix("requires_")
            if dependency not in DEPENDENCIES:
                raise MisconfiguredError(f"unknown tag @{tag}; known dependencies: {', '.join(DEPENDENCIES)}")
            row = self.get(dependency)
            if row is None:
                return f"{dependency} was not checked by the preflight"
            if row.skips:
                return f"{dependency} is {row.status.value} in environment '{self.environment}': {row.detail}"
        return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return redact_text(f"{type(exc).__name__}: {text}"[:240])


def check(dependency: str, route: str, probe: Callable[[], tuple[Status, str] | str]) -> CheckResult:
    """Run one probe; its outcome's type says whose problem it is (docs/ARCHITECTURE.md):
    a returned string is OK with that detail; MisconfiguredError is NOT CONFIGURED; the rest of the
    InfrastructureError family is UNAVAILABLE (could not reach); an AssertionError is ANSWERED
    WRONGLY (a product failure); anything else is a SUITE ERROR."""
    try:
        outcome = probe()
    except MisconfiguredError as exc:
        return CheckResult(dependency, route, Status.NOT_CONFIGURED, _first_line(exc))
    except PreconditionNotMetError as exc:
        return CheckResult(dependency, route, Status.PRECONDITION, _first_line(exc))
    except (InfrastructureError, OSError) as exc:  # OSError: a socket-level failure no library wrapped
        return CheckResult(dependency, route, Status.UNAVAILABLE, _first_line(exc))
    except AssertionError as exc:
        return CheckResult(dependency, route, Status.ANSWERED_WRONGLY, _first_line(exc))
    except Exception as exc:  # the table must show every probe; a raw exception is the suite's defect
        return CheckResult(dependency, route, Status.SUITE_ERROR, _first_line(exc))
    status, detail = outcome if isinstance(outcome, tuple) else (Status.OK, outcome)
    return CheckResult(dependency, route, status, redact_text(detail))


def run_preflight(ctx: Any) -> PreflightReport:
    """Check every dependency of the context's environment (a ``SuiteContext``)."""
    env = ctx.environment
    report = PreflightReport(environment=env.name)
    report.results.append(check("focus_server", env.focus_server.url, lambda: _probe_focus(ctx)))
    if not report.results[-1].skips:
        report.results.append(check("fibre", "GET /live_metadata", lambda: _probe_fibre(ctx)))
    else:
        report.results.append(CheckResult("fibre", "GET /live_metadata", Status.UNAVAILABLE,
                                          "Focus Server unreachable"))
    report.results.append(check("web_app", env.web_app.url, lambda: _probe_web_app(ctx)))
    report.results.append(_probe_cluster(ctx))
    report.results.append(_probe_ssh(ctx))
    report.results.append(check("mongodb", f"database {env.mongodb.database}", lambda: _probe_mongo(ctx)))
    report.results.append(check("rabbitmq", "amqp", lambda: _probe_rabbit(ctx)))
    report.results.append(check("rabbitmq_management", env.rabbitmq.management_url,
                                lambda: _probe_management(ctx)))
    return report


def _probe_focus(ctx: Any) -> str:
    from focus_support.retry import RetryPolicy

    response = ctx.focus.ack(retry=RetryPolicy(max_retries=1, initial_delay=0.2, max_delay=1.0))
    if response.status_code != 200:
        raise UnexpectedResponseError(f"GET /ack answered {response.status_code}", response)
    return f"GET /ack 200 in {response.elapsed.total_seconds() * 1000:.0f} ms"


def _probe_fibre(ctx: Any) -> tuple[Status, str] | str:
    live = ctx.focus.live_metadata()
    if live.waiting_for_fibre:
        return Status.PRECONDITION, f"waiting for fibre (prr {live.prr:g}); scenarios needing live data are skipped"
    return f"prr {live.prr:g} Hz, {live.channel_count} channels"


def _probe_web_app(ctx: Any) -> str:
    client = ctx.new_web_app()
    try:
        user = ctx.environment.web_app.user
        client.login(user.username, user.password)
        return f"logged in as {user.username}"
    finally:
        client.close()


def _probe_cluster(ctx: Any) -> CheckResult:
    k8s = ctx.k8s
    if not k8s.configured_routes:
        return CheckResult("cluster", "-", Status.NOT_CONFIGURED, "neither kubeconfig nor SSH route configured")
    if k8s.is_k8s_available():
        others = "; ".join(f"{k} failed: {v}" for k, v in k8s.problems.items())
        detail = f"namespace {k8s.namespace}" + (f" ({others})" if others else "")
        return CheckResult("cluster", k8s.route_name or "?", Status.OK, redact_text(detail))
    detail = "; ".join(f"{k}: {v}" for k, v in k8s.problems.items())
    return CheckResult("cluster", "/".join(k8s.configured_routes), Status.UNAVAILABLE, redact_text(detail[:300]))


def _probe_ssh(ctx: Any) -> CheckResult:
    ssh = ctx.environment.kubernetes.ssh
    if ssh is None:
        return CheckResult("ssh", "-", Status.NOT_CONFIGURED, "no SSH route configured")
    via = f" via {ssh.jump_host}" if ssh.jump_host else ""
    route = f"{ssh.user}@{ssh.host}:{ssh.port}{via}"
    problem = ctx.k8s.check_route("ssh")
    if problem is None:
        return CheckResult("ssh", route, Status.OK, "remote kubectl lists deployments")
    return CheckResult("ssh", route, Status.UNAVAILABLE, redact_text(problem[:300]))


def _probe_mongo(ctx: Any) -> str:
    mongo = ctx.mongo
    mongo.ping()
    return f"ping ok; recordings collection {mongo.recordings_collections().recordings}"


def _probe_rabbit(ctx: Any) -> str:
    from focus_support.rabbit import ResilientConnection

    conn = ResilientConnection(ctx.environment.rabbitmq.url.get_secret_value(), reconnect_timeout_s=2.0)
    try:
        conn.ensure()
        return f"connected to {conn.params.host}:{conn.params.port}"
    finally:
        conn.close()


def _probe_management(ctx: Any) -> str:
    return f"{len(ctx.rabbit_management.queues())} queue(s) listed"
