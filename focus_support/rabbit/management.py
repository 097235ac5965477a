"""RabbitMQ management HTTP API: availability and queues (used for per-job queue leak checks)."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, SecretStr

from focus_support.clients.base import ServiceClient
from focus_support.errors import InfrastructureError, MisconfiguredError
from focus_support.exchanges import Recorder
from focus_support.retry import RetryPolicy


class QueueInfo(BaseModel):
    """A queue as the management API lists it."""

    model_config = ConfigDict(extra="ignore")

    name: str
    vhost: str = "/"
    messages: int = 0
    consumers: int = 0
    durable: bool = False


class RabbitManagement:
    """Client of ``/api/...`` with basic auth (recorded with the credentials redacted)."""

    def __init__(self, url: str, user: str, password: str | SecretStr, *, verify: bool = True,
                 timeout_s: float = 5.0, recorder: Recorder | None = None) -> None:
        self.http = ServiceClient("rabbitmq-management", url.rstrip("/") + "/api", timeout_s=timeout_s, verify=verify,
                                  recorder=recorder, retry=RetryPolicy(max_retries=2, initial_delay=0.2, max_delay=1.0))
        secret = password.get_secret_value() if isinstance(password, SecretStr) else password
        self.http.session.auth = (user, secret)

    def _get(self, path: str) -> Any:
        response = self.http.request("GET", path)
        if response.status_code in (401, 403):
            raise MisconfiguredError(f"rabbitmq management refused the credentials ({response.status_code})")
        if response.status_code != 200:
            raise InfrastructureError(f"rabbitmq management GET {path} -> {response.status_code}: {response.text[:200]}")
        return response.json()

    def is_available(self) -> bool:
        """True when ``/api/overview`` answers 200."""
        try:
            self._get("overview")
            return True
        except InfrastructureError:
            return False

    def queues(self, vhost: str = "/") -> list[QueueInfo]:
        """Every queue of the vhost."""
        return [QueueInfo.model_validate(q) for q in self._get(f"queues/{quote(vhost, safe='')}")]

    def queue_names(self, prefix: str = "", vhost: str = "/") -> list[str]:
        """Names of the queues starting with ``prefix``."""
        return sorted(q.name for q in self.queues(vhost) if q.name.startswith(prefix))

    def queue_exists(self, name: str, vhost: str = "/") -> bool:
        """True when the queue exists."""
        response = self.http.request("GET", f"queues/{quote(vhost, safe='')}/{quote(name, safe='')}")
        return response.status_code == 200

    def job_queues(self, job_id: str, vhost: str = "/") -> list[str]:
        """The Focus job's queues ``grpc-job-<id>-*``."""
        return self.queue_names(f"grpc-job-{job_id}-", vhost)

    def delete_queue(self, name: str, vhost: str = "/") -> bool:
        """Delete a queue; False when it did not exist."""
        response = self.http.request("DELETE", f"queues/{quote(vhost, safe='')}/{quote(name, safe='')}")
        if response.status_code not in (204, 404):
            raise InfrastructureError(f"rabbitmq management could not delete queue {name}: {response.status_code}")
        return response.status_code == 204

    def connections(self) -> list[dict[str, Any]]:
        """Open AMQP connections (name, user, client properties...)."""
        return list(self._get("connections"))

    def close_connection(self, name: str, reason: str = "closed by the test suite") -> bool:
        """Force-close one connection (the client sees a reset); False when it was already gone."""
        response = self.http.request("DELETE", f"connections/{quote(name, safe='')}",
                                     headers={"X-Reason": reason})
        return response.status_code in (200, 204)

    def close(self) -> None:
        """Close the HTTP session."""
        self.http.close()
