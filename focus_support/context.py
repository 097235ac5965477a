"""``SuiteContext``: one per run, built from an ``Environment``, with lazily created clients.

The behave hooks hold one; steps reach clients through it and keep per-scenario data in a
``ScenarioState``. Per-scenario work (sending, registering the jobs a request started) lives in
``focus_support.scenarios``. Nothing here is global, so two contexts (e.g. two tests) never share state.
"""
from __future__ import annotations

import logging
from typing import Any

from focus_support.cleanup import CleanupReport, JobTracker
from focus_support.clients import FocusClient, WebAppClient
from focus_support.config import Environment, load_environment
from focus_support.errors import CleanupError
from focus_support.exchanges import Recorder
from focus_support.k8s import KubernetesManager
from focus_support.mongo import MongoDBManager
from focus_support.preflight import PreflightReport, run_preflight
from focus_support.rabbit import Consumer, Publisher, RabbitManagement, listen_to_prisma
from focus_support.rate_limiter import RateLimiter
from focus_support.scenario_state import ScenarioState

log = logging.getLogger(__name__)


class SuiteContext:
    """Clients and trackers of one run against one environment."""

    def __init__(self, environment: Environment, *, recorder: Recorder | None = None) -> None:
        self.environment = environment
        self.recorder = recorder or Recorder()      # the scenario's exchanges (attached to the report)
        self.infra_recorder = Recorder()            # polling of the broker's management API: kept apart
        self._cache: dict[str, Any] = {}
        self._closers: list[Any] = []
        self._preflight: PreflightReport | None = None

    @classmethod
    def load(cls, env_name: str | None = None) -> "SuiteContext":
        """Build from ``-D env=``/``FOCUS_ENV`` (default ``local``)."""
        return cls(load_environment(env_name))

    def _lazy(self, key: str, factory: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = factory()
            self._closers.append(self._cache[key])
        return self._cache[key]

    # --- clients ---------------------------------------------------------------------------
    @property
    def focus(self) -> FocusClient:
        """The Focus Server client (recorded on the scenario recorder)."""
        s = self.environment.focus_server
        return self._lazy("focus", lambda: FocusClient(s.url, timeout_s=s.timeout_s, verify=s.verify,
                                                       recorder=self.recorder))

    def new_focus_client(self, limiter: RateLimiter | None = None, **kwargs: Any) -> FocusClient:
        """A separate Focus client (own session), e.g. rate limited for load scenarios; caller closes it."""
        s = self.environment.focus_server
        return FocusClient(s.url, timeout_s=s.timeout_s, verify=s.verify, recorder=self.recorder,
                           limiter=limiter, **kwargs)

    def new_web_app(self) -> WebAppClient:
        """A fresh, anonymous Web App client (own cookie jar); caller closes it."""
        s = self.environment.web_app
        return WebAppClient(s.url, s.site_id, timeout_s=s.timeout_s, verify=s.verify, recorder=self.recorder)

    @property
    def web_app(self) -> WebAppClient:
        """A Web App client logged in as the environment's user."""
        def make() -> WebAppClient:
            client = self.new_web_app()
            user = self.environment.web_app.user
            client.login(user.username, user.password)
            return client
        return self._lazy("web_app", make)

    @property
    def k8s(self) -> KubernetesManager:
        """The cluster through whichever route works."""
        return self._lazy("k8s", lambda: KubernetesManager(self.environment.kubernetes))

    @property
    def mongo(self) -> MongoDBManager:
        """The recordings index (outages act through ``k8s``)."""
        return self._lazy("mongo", lambda: MongoDBManager.from_settings(self.environment.mongodb, k8s=self.k8s))

    @property
    def rabbit_management(self) -> RabbitManagement:
        """The broker's management API."""
        r = self.environment.rabbitmq
        return self._lazy("rabbit_management", lambda: RabbitManagement(
            r.management_url, r.user, r.password, verify=r.verify, recorder=self.infra_recorder))

    @property
    def rabbit_url(self) -> str:
        """The AMQP URL (holds the password: never log it)."""
        return self.environment.rabbitmq.url.get_secret_value()

    def publisher(self) -> Publisher:
        """A confirmed publisher on the ``prisma`` exchange; caller closes it."""
        r = self.environment.rabbitmq
        return Publisher(self.rabbit_url, r.exchange, heartbeat_s=r.heartbeat_s)

    def listen_to_prisma(self, binding_keys: list[str] | None = None, **options: Any) -> Consumer:
        """A started temporary queue bound to ``prisma``; caller closes it."""
        return listen_to_prisma(self.rabbit_url, binding_keys, heartbeat_s=self.environment.rabbitmq.heartbeat_s,
                                **options)

    @property
    def jobs(self) -> JobTracker:
        """The run's job tracker."""
        def make() -> JobTracker:
            k8s = self.k8s if self.k8s.configured_routes else None
            return JobTracker(self.focus, k8s, self.rabbit_management, self.environment.timings.cleanup_timeout_s)
        return self._lazy("jobs", make)

    # --- run and scenario lifecycle --------------------------------------------------------
    def preflight(self, refresh: bool = False) -> PreflightReport:
        """Check every dependency once per run (``refresh`` re-checks)."""
        if self._preflight is None or refresh:
            self._preflight = run_preflight(self)
        return self._preflight

    def skip_reason(self, tags: list[str]) -> str | None:
        """Why a scenario with these tags cannot run here (class not allowed, shared environment,
        undeclared rate limit, dependency missing)."""
        env = self.environment
        return self.preflight().skip_reason(tags, allowed=env.allows, shared=env.shared,
                                            rate_limit_declared=env.rate_limit.declared)

    def new_scenario(self, name: str = "", tags: list[str] | None = None) -> ScenarioState:
        """Fresh state for a scenario; starts a new exchange list."""
        self.recorder.reset()
        return ScenarioState(name=name, tags=list(tags or []))

    def finish_scenario(self, state: ScenarioState, confirm_jobs_gone: bool = True) -> CleanupReport:
        """Undo the scenario (its cleanup stack, then its jobs) even after a failure; collect exchanges.

        ``confirm_jobs_gone=False`` cancels the jobs without waiting; ``sweep`` confirms them later.
        """
        errors: list[str] = []
        try:
            state.cleanup.run_all()
        except CleanupError as exc:
            errors.append(str(exc))
        report = (self.jobs.cleanup_scenario(confirm=confirm_jobs_gone)
                  if "jobs" in self._cache or state.created_job_ids else CleanupReport())
        report.errors = errors + report.errors
        state.cleanup_report = report
        state.exchanges = self.recorder.reset()
        return report

    def sweep(self) -> CleanupReport:
        """End of run: clean every job of the run that is still around."""
        return self.jobs.sweep() if "jobs" in self._cache else CleanupReport()

    def close(self) -> None:
        """Close every client that was created."""
        for resource in reversed(self._closers):
            try:
                resource.close()
            except Exception:  # closing is best effort at the end of a run
                log.debug("closing %r failed", resource, exc_info=True)
        self._closers.clear()
        self._cache.clear()
