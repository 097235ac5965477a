"""``KubernetesManager``: one façade over the direct and the SSH route (seed section 1.1).

The direct route is preferred; when it is not configured or does not answer, the SSH fallback is
used. ``is_k8s_available()`` is true when either works, which is the check the seed's tests lacked.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from focus_support.config import KubernetesSettings
from focus_support.errors import InfrastructureError, MisconfiguredError, UnreachableError
from focus_support.waiting import ProductTimeoutError, wait_for_infra, wait_for_product

from .resources import (
    PARSERS, DeploymentInfo, JobInfo, JobResources, PodInfo, ServiceInfo, belongs_to_job, deployment_from,
    job_names,
)
from .routes import DirectRoute, KubeRoute, SshRoute

log = logging.getLogger(__name__)
RouteName = Literal["direct", "ssh"]


class KubernetesManager:
    """Jobs, pods, services and deployments of the product's namespace, through whichever route works."""

    def __init__(self, settings: KubernetesSettings, *, routes: list[RouteName] | None = None,
                 route_factories: dict[str, Callable[[], KubeRoute]] | None = None) -> None:
        self.settings = settings
        self.namespace = settings.namespace
        factories: dict[str, Callable[[], KubeRoute]] = {}
        if settings.kubeconfig:
            factories["direct"] = lambda: DirectRoute(settings)
        if settings.ssh is not None:
            factories["ssh"] = lambda: SshRoute(settings.ssh, settings.namespace)  # type: ignore[arg-type]
        factories.update(route_factories or {})
        order = routes or ["direct", "ssh"]
        self._factories = {name: factories[name] for name in order if name in factories}
        self._routes: dict[str, KubeRoute] = {}
        self._active: KubeRoute | None = None
        self.problems: dict[str, str] = {}

    def only(self, route: RouteName) -> "KubernetesManager":
        """A manager restricted to one route (to compare both routes' views)."""
        return KubernetesManager(self.settings, routes=[route],
                                 route_factories={route: self._factories[route]} if route in self._factories else None)

    @property
    def configured_routes(self) -> list[str]:
        """Routes the environment configures, in preference order."""
        return list(self._factories)

    def _route(self, name: str) -> KubeRoute:
        if name not in self._routes:
            self._routes[name] = self._factories[name]()
        return self._routes[name]

    def check_route(self, name: str) -> str | None:
        """None when the route answers, else why not (also kept in ``problems``)."""
        try:
            self._route(name).ping()
            self.problems.pop(name, None)
            return None
        except (InfrastructureError, OSError) as exc:
            self.problems[name] = f"{type(exc).__name__}: {exc}"
            return self.problems[name]

    def is_k8s_available(self) -> bool:
        """True when either route works (the first that does becomes the active one)."""
        try:
            self.active_route()
            return True
        except InfrastructureError:
            return False

    def active_route(self) -> KubeRoute:
        """The route in use; picks the first working one, raising when none does."""
        if self._active is not None:
            return self._active
        if not self._factories:
            raise MisconfiguredError("kubernetes: neither a kubeconfig nor an SSH route is configured")
        for name in self._factories:
            if self.check_route(name) is None:
                self._active = self._routes[name]
                log.info("kubernetes: using the %s route", name)
                return self._active
        raise UnreachableError("kubernetes: no route works: " + "; ".join(f"{k}: {v}" for k, v in self.problems.items()))

    @property
    def route_name(self) -> str | None:
        """Name of the active route, or None before one was chosen."""
        return self._active.name if self._active else None

    def _call(self, action: Callable[[KubeRoute], Any]) -> Any:
        route = self.active_route()
        try:
            return action(route)
        except UnreachableError:
            # The route died mid-run (e.g. API restart): choose again once, then give up.
            self._active = None
            self._routes.pop(route.name, None)
            return action(self.active_route())

    # --- listing ---------------------------------------------------------------------------
    def _list(self, kind: str, label_selector: str | None) -> list[Any]:
        return [PARSERS[kind](doc) for doc in self._call(lambda r: r.list(kind, label_selector))]

    def list_jobs(self, label_selector: str | None = None) -> list[JobInfo]:
        """Jobs, optionally by label selector."""
        return self._list("jobs", label_selector)

    def list_pods(self, label_selector: str | None = None) -> list[PodInfo]:
        """Pods, optionally by label selector."""
        return self._list("pods", label_selector)

    def list_services(self, label_selector: str | None = None) -> list[ServiceInfo]:
        """Services, optionally by label selector."""
        return self._list("services", label_selector)

    def list_deployments(self, label_selector: str | None = None) -> list[DeploymentInfo]:
        """Deployments, optionally by label selector."""
        return self._list("deployments", label_selector)

    def get_deployment(self, name: str) -> DeploymentInfo | None:
        """One deployment or None."""
        doc = self._call(lambda r: r.get("deployments", name))
        return deployment_from(doc) if doc else None

    def job_resources(self, job_id: str) -> JobResources:
        """Every job, pod and service the cluster still holds for a Focus job id."""
        found = JobResources(job_id=job_id)
        found.jobs = [j for j in self.list_jobs() if belongs_to_job(j, job_id)]
        found.pods = [p for p in self.list_pods() if belongs_to_job(p, job_id)]
        found.services = [s for s in self.list_services() if belongs_to_job(s, job_id)]
        return found

    # --- acting ----------------------------------------------------------------------------
    def delete(self, kind: str, name: str) -> bool:
        """Delete one object; False when it was already gone."""
        return bool(self._call(lambda r: r.delete(kind, name)))

    def delete_job(self, name: str) -> bool:
        """Delete a Job (its pods go with it)."""
        return self.delete("jobs", name)

    def delete_pod(self, name: str) -> bool:
        """Delete a pod (a Deployment replaces it)."""
        return self.delete("pods", name)

    def delete_job_resources(self, job_id: str) -> list[str]:
        """Force-delete a Focus job's jobs, service and pods; returns what was deleted."""
        grpc, cleanup, service = job_names(job_id)
        deleted = [f"job/{n}" for n in (grpc, cleanup) if self.delete("jobs", n)]
        if self.delete("services", service):
            deleted.append(f"service/{service}")
        deleted += [f"pod/{p.name}" for p in self.job_resources(job_id).pods if self.delete("pods", p.name)]
        return deleted

    def pod_logs(self, pod: str, tail_lines: int | None = None) -> str:
        """A pod's log text."""
        return str(self._call(lambda r: r.logs(pod, tail_lines)))

    def scale_deployment(self, name: str, replicas: int) -> None:
        """Set a deployment's replica count (0 stops a component, 1 starts it again)."""
        self._call(lambda r: r.scale(name, replicas))

    # --- waiting ---------------------------------------------------------------------------
    def wait_until_gone(self, job_id: str, timeout_s: float, interval_s: float = 0.3) -> None:
        """Wait until the job has no resources left; a timeout is a product failure naming them."""
        last = JobResources(job_id=job_id)

        def nothing_left() -> bool:
            nonlocal last
            last = self.job_resources(job_id)
            return last.empty

        try:
            wait_for_product(nothing_left, timeout_s, interval_s, describe=f"every resource of job {job_id} to be removed")
        except ProductTimeoutError as exc:
            raise ProductTimeoutError(f"{exc}; still present: {', '.join(last.names())}", last) from None

    def wait_deployment_ready(self, name: str, timeout_s: float, interval_s: float = 0.3) -> DeploymentInfo:
        """Wait until a deployment reports all replicas ready (infrastructure wait)."""
        def ready() -> DeploymentInfo | None:
            dep = self.get_deployment(name)
            return dep if dep is not None and dep.ready else None

        return wait_for_infra(ready, timeout_s, interval_s, describe=f"deployment {name} to be ready",
                              ignore=(UnreachableError,))

    def close(self) -> None:
        """Close every opened route."""
        for route in self._routes.values():
            try:
                route.close()
            except Exception:  # closing is best effort; nothing to report to the scenario
                log.debug("closing %s route failed", route.name, exc_info=True)
        self._routes.clear()
        self._active = None
