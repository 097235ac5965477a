"""Typed models of one environment from ``config/environments.yaml`` (contract section 12)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


def _blank_is_none(value: object) -> object:
    """``${env:X:-}`` yields ""; an empty optional setting means "not configured"."""
    return None if value == "" else value


class _Strict(BaseModel):
    """Unknown keys are typos: reject them so they surface as one clear error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _Tls(_Strict):
    """TLS of an HTTPS endpoint: verify against the system's trust store, or a private CA bundle."""

    tls_verify: bool = True
    ca_bundle: str | None = None  # PEM file of the CA that signed the server (a private CA, e.g. staging's)

    _blank_ca = field_validator("ca_bundle", mode="before")(_blank_is_none)

    @property
    def verify(self) -> bool | str:
        """What ``requests`` takes as ``verify``: the CA bundle when one is named, else the flag."""
        return self.ca_bundle if self.tls_verify and self.ca_bundle else self.tls_verify


class FocusServerSettings(_Tls):
    url: str
    timeout_s: float = 10.0


class WebAppUserSettings(_Strict):
    username: str
    password: SecretStr


class WebAppSettings(_Tls):
    url: str
    timeout_s: float = 10.0
    site_id: str
    user: WebAppUserSettings
    viewer: WebAppUserSettings | None = None

    @field_validator("viewer", mode="before")
    @classmethod
    def _unnamed_viewer_is_none(cls, value: object) -> object:
        """``viewer: {username: ${env:X:-}, ...}`` with X unset: the environment declares no viewer."""
        if isinstance(value, dict) and not value.get("username"):
            return None
        return value


class MongoSettings(_Strict):
    uri: SecretStr
    database: str = "prisma"
    deployment: str = "mongodb"
    timeout_s: float = 5.0


class RabbitSettings(_Tls):
    url: SecretStr
    management_url: str
    user: str
    password: SecretStr
    exchange: str = "prisma"
    deployment: str = "rabbitmq"
    heartbeat_s: int = 30


class SshRouteSettings(_Strict):
    host: str
    port: int = 22
    user: str
    key_file: str
    known_hosts_file: str | None = None
    jump_host: str | None = None
    jump_port: int = 22
    jump_user: str | None = None
    kubectl: str = "kubectl"
    timeout_s: float = 15.0

    _blanks = field_validator("known_hosts_file", "jump_host", "jump_user", mode="before")(_blank_is_none)


class KubernetesSettings(_Strict):
    namespace: str = "panda"
    kubeconfig: str | None = None
    context: str | None = None
    ssh: SshRouteSettings | None = None
    focus_server_deployment: str = "focus-server"

    _blanks = field_validator("kubeconfig", "context", mode="before")(_blank_is_none)


class Timings(_Strict):
    job_start_timeout_s: float
    job_idle_timeout_s: float
    cleanup_timeout_s: float


class RateLimitExpectation(_Strict):
    """What the environment is expected to enforce on POST /configure; None = unknown."""

    capacity: int | None = None
    refill_per_s: float | None = None

    @property
    def declared(self) -> bool:
        """True when the environment names the limit (staging's is unknown: an open question)."""
        return bool(self.capacity) and bool(self.refill_per_s)


class Allowed(_Strict):
    """Scenario classes the environment permits (kefar_saba is read-only: neither)."""

    destructive: bool
    load: bool


class Environment(_Strict):
    """Everything the suite needs to know about one place it can run against."""

    name: str
    description: str = ""
    focus_server: FocusServerSettings
    web_app: WebAppSettings
    mongodb: MongoSettings
    rabbitmq: RabbitSettings
    kubernetes: KubernetesSettings
    timings: Timings
    rate_limit: RateLimitExpectation = Field(default_factory=RateLimitExpectation)
    capacity: int
    allowed: Allowed
    # Other clients use the same namespace, database and broker (staging). Unsure means shared: that
    # only skips the @exclusive scenarios, while the opposite would judge other people's jobs.
    shared: bool = True
    tracker_url: str = Field(description="pattern with {id} for @issue:N links")

    def allows(self, scenario_class: Literal["destructive", "load"]) -> bool:
        """True when scenarios of the class may run here."""
        return bool(getattr(self.allowed, scenario_class))

    def issue_url(self, issue_id: str | int) -> str:
        """The tracker link for an ``@issue:N`` tag."""
        return self.tracker_url.format(id=issue_id)
