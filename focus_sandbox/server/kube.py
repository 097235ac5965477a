"""Minimal JSON client for the sandbox cluster's Kubernetes API (jobs, pods, services)."""
from __future__ import annotations

import threading

import requests

from focus_sandbox.audit import ACTOR_HEADER


class KubeError(Exception):
    """The cluster API could not be reached or refused a request."""


class Kube:
    """The few Kubernetes calls the Focus Server makes, in one namespace."""

    def __init__(self, base_url: str, namespace: str, timeout_s: float = 5.0):
        self.base = base_url.rstrip("/")
        self.ns = namespace
        self.timeout = timeout_s
        self._local = threading.local()  # one requests.Session per thread: sessions are not thread-safe

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            self._local.session.headers[ACTOR_HEADER] = "focus-server"  # the product itself, in the audit log
        return self._local.session

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            return self._session().request(method, self.base + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise KubeError(f"cluster API unreachable ({method} {path}): {type(exc).__name__}") from exc

    def _expect(self, resp: requests.Response, *ok: int) -> dict:
        if resp.status_code not in ok:
            raise KubeError(f"cluster API {resp.request.method} {resp.request.path_url} -> "
                            f"{resp.status_code} {resp.text[:200]}")
        return resp.json() if resp.content else {}

    def _jobs(self) -> str:
        return f"/apis/batch/v1/namespaces/{self.ns}/jobs"

    def _services(self) -> str:
        return f"/api/v1/namespaces/{self.ns}/services"

    def create_job(self, manifest: dict) -> dict:
        """POST a batch/v1 Job."""
        return self._expect(self._call("POST", self._jobs(), json=manifest), 200, 201)

    def create_service(self, manifest: dict) -> dict:
        """POST a v1 Service."""
        return self._expect(self._call("POST", self._services(), json=manifest), 200, 201)

    def get_job(self, name: str) -> dict | None:
        """The Job object, or None when it does not exist."""
        resp = self._call("GET", f"{self._jobs()}/{name}")
        return None if resp.status_code == 404 else self._expect(resp, 200)

    def list_jobs(self) -> list[dict]:
        """Every Job of the namespace."""
        return self._expect(self._call("GET", self._jobs()), 200).get("items", [])

    def list_services(self) -> list[dict]:
        """Every Service of the namespace."""
        return self._expect(self._call("GET", self._services()), 200).get("items", [])

    def list_pods(self, label_selector: str) -> list[dict]:
        """Pods matching a label selector."""
        path = f"/api/v1/namespaces/{self.ns}/pods"
        resp = self._call("GET", path, params={"labelSelector": label_selector})
        return self._expect(resp, 200).get("items", [])

    def delete_job(self, name: str) -> bool:
        """Delete a Job and its pods; False when it was already gone."""
        resp = self._call("DELETE", f"{self._jobs()}/{name}", params={"propagationPolicy": "Background"})
        if resp.status_code == 404:
            return False
        self._expect(resp, 200, 202)
        return True

    def delete_pod(self, name: str) -> bool:
        """Delete a pod (its process is stopped); False when it was already gone."""
        resp = self._call("DELETE", f"/api/v1/namespaces/{self.ns}/pods/{name}")
        if resp.status_code == 404:
            return False
        self._expect(resp, 200, 202)
        return True

    def delete_service(self, name: str) -> bool:
        """Delete a Service; False when it was already gone."""
        resp = self._call("DELETE", f"{self._services()}/{name}")
        if resp.status_code == 404:
            return False
        self._expect(resp, 200, 202)
        return True


def job_finished(job: dict) -> bool:
    """True when a Job has a Complete or Failed condition set to True."""
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return True
    return False
