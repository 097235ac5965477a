"""SandboxConfig: the single JSON document every sandbox process (daemon, server, pods) reads.

The stack daemon builds it once per run and writes it to ``<run_dir>/sandbox-config.json``; the
Focus Server process receives the path through ``--config``. Keeping one typed document avoids a
scatter of environment variables that can drift between processes.
"""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field


class Timings(BaseModel):
    """Job lifecycle timings, short for local runs (staging uses tens of seconds)."""

    job_start_timeout_s: float = 5.0
    # Each of the five idle-timeout scenarios waits it out once (4 s, not 8: 20 s off every run).
    # A scenario leaves a job unwatched for a few requests, or while it starts a second job: that
    # one would idle out only if the second took over 4 s to start, four times the p95 time to
    # ready of 50 jobs at once here (and then it would be near its own 5 s start timeout anyway).
    job_idle_timeout_s: float = 4.0
    cleanup_timeout_s: float = 6.0
    # The janitor Job's own TTL: short, it is one of the job's resources that must be gone in time.
    job_ttl_after_finished_s: int = 1
    # The streaming Job's TTL: longer than the cleanup timeout, as staging's 120 s to its 30 s, so the
    # janitor - not the TTL - must notice a finished job and clean up after it in time.
    stream_job_ttl_after_finished_s: int = 24


class RateLimit(BaseModel):
    """A token bucket: POST /configure per client address, alert pushes per session."""

    # 10 configures a second sustained, 10 at once: the suite's ~420 configure requests (input
    # validation sends about 6 a second) are not paced by the bucket - at 5 a second they waited out
    # 25 one-second Retry-Afters per run - while a burst of valid requests is still throttled within a
    # few dozen (rate_limiting.feature). Not 20 at once: under make test's load the sandbox's own
    # cluster API dropped a connection among 20 job creations at once (a 503 on a valid request).
    capacity: int = 10
    refill_per_s: float = 10.0


class WebAppUser(BaseModel):
    password: str
    can_delete: bool = False


class LiveFibre(BaseModel):
    """Live fibre metadata the sandbox reports (contract section 8)."""

    prr: float = 2000.0
    dx: float = 1.02
    number_of_channels: int = 2337
    fiber_start_meters: int = 0          # whole metres, as the product's models type them (contract 15)
    fiber_length_meters: int = 2384
    sw_version: str = "sandbox-1.0"
    fiber_description: str = "sandbox fibre"
    num_samples_per_trace: int = 2048
    dtype: str = "float32"


# The recorded exchange of contract 15 fits a live prr of about 1996 Hz: the observed profile reports
# that rate, so it answers the recorded request with the recorded bins (7.797 Hz apart).
OBSERVED_PRR_HZ = 1996.0


def fibre_of(profile: str) -> LiveFibre:
    """The live fibre a profile reports."""
    return LiveFibre(prr=OBSERVED_PRR_HZ) if profile == "observed" else LiveFibre()


class SandboxConfig(BaseModel):
    """Everything a sandbox process needs to know about the current run."""

    run_dir: str
    profile: str = "spec"
    defects: list[str] = Field(default_factory=list)
    waiting_for_fibre: bool = False
    site_id: str = "prisma-210-1000"
    namespace: str = "panda"
    kube_api_url: str = ""
    mongodb_uri: str = ""
    mongodb_database: str = "prisma"
    rabbitmq_url: str = ""
    web_app_users: dict[str, WebAppUser] = Field(default_factory=dict)
    timings: Timings = Field(default_factory=Timings)
    rate_limit: RateLimit = Field(default_factory=RateLimit)
    # alert pushes per signed-in session: the deployed Web App refused pushes under about 10/s (contract 5)
    alert_push_limit: RateLimit = Field(default_factory=lambda: RateLimit(capacity=10, refill_per_s=5.0))
    capacity: int = 60
    stream_port_base: int = 12301
    fibre: LiveFibre = Field(default_factory=LiveFibre)

    def has(self, defect: str) -> bool:
        """True when the named defect switch is active in this run."""
        return defect in self.defects

    def write(self, path: Path) -> None:
        """Write the config as JSON, readable only by the owner (it holds generated passwords)."""
        path.write_text(self.model_dump_json(indent=2))
        path.chmod(0o600)

    @classmethod
    def read(cls, path: Path | str) -> "SandboxConfig":
        """Load a config written by :meth:`write`."""
        return cls.model_validate(json.loads(Path(path).read_text()))
