"""Where the stack keeps its state, and ``runtime.json``: what a ready stack tells its clients."""
from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, Field

from focus_sandbox.settings import RateLimit, Timings, WebAppUser

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNTIME_FILE = "runtime.json"
DAEMON_PID_FILE = "daemon.pid"
DAEMON_LOG_FILE = "daemon.log"


def sandbox_home(home: Path | str | None = None) -> Path:
    """The state directory: ``home``, else ``$FOCUS_SANDBOX_HOME``, else ``<repo>/.sandbox``."""
    chosen = home or os.environ.get("FOCUS_SANDBOX_HOME") or REPO_ROOT / ".sandbox"
    return Path(chosen).resolve()


def default_logs_dir() -> Path:
    """Where ``down`` keeps the logs of a finished run."""
    return REPO_ROOT / "reports" / "sandbox-logs"


class SshInfo(BaseModel):
    host: str
    port: int
    user: str
    key_file: str
    known_hosts_file: str
    kubectl: str


class RehearsalInfo(BaseModel):
    """What the staging-shaped run adds (``up --shape rehearsal``): see focus_sandbox.rehearsal."""

    ca_bundle: str                 # the run's private CA: every HTTPS endpoint is signed by it
    ssh_jump_port: int             # the jump host in front of the node that runs kubectl
    suite_rabbitmq_user: str       # the suite's own broker account (not the product's)
    suite_rabbitmq_password: str
    tenant_web_user: str           # the other tenant's accounts
    tenant_web_password: str
    tenant_rabbitmq_user: str
    tenant_rabbitmq_password: str


class Runtime(BaseModel):
    """The content of ``runtime.json`` (docs/ARCHITECTURE.md, "The sandbox stack")."""

    pid: int
    run_dir: str
    profile: str
    defects: list[str] = Field(default_factory=list)
    started_in_s: float
    focus_server_url: str
    web_app_url: str
    site_id: str
    web_app_users: dict[str, WebAppUser]
    mongodb_uri: str
    rabbitmq_url: str
    rabbitmq_management_url: str
    rabbitmq_user: str
    rabbitmq_password: str
    kube_api_url: str
    kubeconfig: str
    namespace: str
    ssh: SshInfo
    timings: Timings
    rate_limit: RateLimit
    capacity: int
    shape: str = "local"
    rehearsal: RehearsalInfo | None = None

    def write(self, home: Path) -> Path:
        """Write ``runtime.json`` atomically with mode 0600 (it holds the generated passwords)."""
        path = home / RUNTIME_FILE
        partial = home / f".{RUNTIME_FILE}.{os.getpid()}"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(self.model_dump_json(indent=2))
        os.replace(partial, path)
        return path

    @classmethod
    def read(cls, home: Path) -> "Runtime | None":
        """The runtime of the stack in ``home``, or None when none is ready."""
        path = home / RUNTIME_FILE
        try:
            return cls.model_validate(json.loads(path.read_text()))
        except FileNotFoundError:
            return None

    def public_view(self) -> dict:
        """URLs and facts without any password (what ``status --json`` prints)."""
        return {
            "pid": self.pid, "profile": self.profile, "defects": self.defects, "run_dir": self.run_dir,
            "started_in_s": self.started_in_s,
            "focus_server_url": self.focus_server_url, "web_app_url": self.web_app_url,
            "site_id": self.site_id, "mongodb_uri": strip_password(self.mongodb_uri),
            "rabbitmq_url": strip_password(self.rabbitmq_url),
            "rabbitmq_management_url": self.rabbitmq_management_url, "rabbitmq_user": self.rabbitmq_user,
            "kube_api_url": self.kube_api_url, "kubeconfig": self.kubeconfig, "namespace": self.namespace,
            "ssh": self.ssh.model_dump(),
        }


def strip_password(url: str) -> str:
    """``url`` without the password of its user-info part."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit(parts._replace(netloc=netloc))


def read_daemon_pid(home: Path) -> int | None:
    """The pid recorded for the stack's daemon (the file exists from spawn until it exits)."""
    try:
        return int((home / DAEMON_PID_FILE).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
