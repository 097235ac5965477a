"""`make acceptance ENV=rehearsal`: the sandbox in staging's shape, another tenant at work, the suite as on staging.

``Rehearsal`` (a context manager around the behave run, used by scripts/run_acceptance.py):

1. starts the sandbox with ``shape="rehearsal"`` (HTTPS with a private CA, the cluster only over SSH
   through a jump host, accounts of its own for the suite and the tenant; focus_sandbox.rehearsal);
2. exports the ``FOCUS_REHEARSAL_*`` variables for the behave child, and points FOCUS_SANDBOX_HOME
   at an empty directory, so the suite can read its secrets from nowhere but those variables;
3. starts the other tenant (focus_sandbox.tenants) and waits until it has a job and an alert;
4. ``finish()`` after behave: stops the tenant and reads its verdict, then lists what is left of the
   jobs the suite created (by the audit log's "create" records from the suite's address), while the
   stack is still up. Leaving the ``with`` stops the tenant (if still running) and the stack.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import requests

REPO = Path(__file__).resolve().parent.parent
TENANT_READY_TIMEOUT_S = 60.0
TENANT_STOP_TIMEOUT_S = 60.0
JOB_PREFIXES = ("grpc-job-", "cleanup-job-", "grpc-service-")


@dataclass
class RehearsalOutcome:
    """What the rehearsal adds to the suite's own verdict."""

    tenant_line: str
    tenant_ok: bool
    suite_jobs: int = 0
    suite_leftovers: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.tenant_ok and not self.suite_leftovers

    def lines(self) -> list[str]:
        left = "0" if not self.suite_leftovers else f"{len(self.suite_leftovers)}: " + ", ".join(self.suite_leftovers)
        return [self.tenant_line, f"Suite's own resources left: {left} (of {self.suite_jobs} jobs it created)"]

    def exit_code(self, suite_code: int) -> int:
        """The run fails when the suite touched a tenant's resource or left its own behind."""
        return suite_code or (0 if self.ok else 1)


class Rehearsal:
    """Stack, exported variables and the tenant for one rehearsal run."""

    def __init__(self, profile: str = "spec", defects: list[str] | None = None) -> None:
        self.profile = profile
        self.defects = list(defects or [])
        self._exit = ExitStack()
        self._saved_environ: dict[str, str | None] = {}
        self.tenant: subprocess.Popen | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix="focus-rehearsal-"))
        self.runtime = None
        self.home: Path | None = None

    def __enter__(self) -> "Rehearsal":
        from focus_sandbox.rehearsal import suite_variables
        from focus_sandbox.stack import running_stack, sandbox_home

        self.home = sandbox_home()  # resolved once: the suite's FOCUS_SANDBOX_HOME is changed below
        try:
            self.runtime = self._exit.enter_context(
                running_stack(profile=self.profile, defects=self.defects, home=self.home, shape="rehearsal"))
            suite_home = self.workdir / "no-sandbox-runtime"
            suite_home.mkdir()
            self._export({**suite_variables(self.runtime), "FOCUS_SANDBOX_HOME": str(suite_home)})
            self._start_tenant()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        print(f"[rehearsal] sandbox in staging's shape ({self.profile}): HTTPS with a private CA, the cluster "
              f"only over SSH via a jump host, secrets from FOCUS_REHEARSAL_* variables; another tenant at work",
              flush=True)
        return self

    def _export(self, variables: dict[str, str]) -> None:
        """Set variables in this process, which behave inherits; restored on exit."""
        for name, value in variables.items():
            self._saved_environ.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def _start_tenant(self) -> None:
        ready = self.workdir / "tenant.ready"
        log = open(self.workdir / "tenant.log", "wb")
        self._exit.callback(log.close)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.tenant = subprocess.Popen(
            [sys.executable, "-m", "focus_sandbox.tenants", "--home", str(self.home),
             "--report", str(self.workdir / "tenant.json"), "--ready-file", str(ready)],
            cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)  # Ctrl-C reaches it through __exit__, after behave's own sweep
        deadline = time.monotonic() + TENANT_READY_TIMEOUT_S
        while not ready.exists():
            if self.tenant.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the rehearsal's other tenant did not get to work:\n" + self._tenant_log())
            time.sleep(0.2)

    def _tenant_log(self) -> str:
        try:
            return (self.workdir / "tenant.log").read_text(errors="replace")[-3000:]
        except OSError:
            return "(no tenant output)"

    def _stop_tenant(self) -> None:
        if self.tenant is not None and self.tenant.poll() is None:
            self.tenant.send_signal(signal.SIGTERM)
            try:
                self.tenant.wait(TENANT_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.tenant.kill()
                self.tenant.wait()

    def finish(self) -> RehearsalOutcome:
        """Stop the tenant, read its verdict and what is left of the suite's jobs (stack still up)."""
        self._stop_tenant()
        try:
            report = json.loads((self.workdir / "tenant.json").read_text())
            outcome = RehearsalOutcome(report["line"], bool(report["ok"]))
        except (OSError, ValueError, KeyError):
            outcome = RehearsalOutcome("Other tenants: no verdict (the tenant wrote no report):\n" + self._tenant_log(),
                                       False)
        suite_jobs, outcome.suite_leftovers = suite_leftovers(self.runtime)
        outcome.suite_jobs = len(suite_jobs)
        return outcome

    def __exit__(self, *exc_info) -> None:
        try:
            self._stop_tenant()
        finally:
            for name, value in self._saved_environ.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            self._exit.close()


def suite_leftovers(runtime) -> tuple[set[str], list[str]]:
    """Job ids the suite created (audit "create" records from addresses other than the tenant's) and
    every cluster object or queue of them still present."""
    from focus_sandbox import audit
    from focus_sandbox.tenants import SOURCE_ADDRESS

    created = {r["resource"].removeprefix("job/") for r in audit.read(runtime.run_dir)
               if r.get("log") == "focus-server" and r.get("action") == "create" and r.get("origin") != SOURCE_ADDRESS}
    names: list[str] = []
    ns = runtime.namespace
    for path in (f"/apis/batch/v1/namespaces/{ns}/jobs", f"/api/v1/namespaces/{ns}/pods",
                 f"/api/v1/namespaces/{ns}/services"):
        items = requests.get(runtime.kube_api_url + path, timeout=10).json().get("items") or []
        names += [f"{path.rsplit('/', 1)[1]}/{i['metadata']['name']}" for i in items]
    queues = requests.get(f"{runtime.rabbitmq_management_url}/api/queues/{quote('/', safe='')}",
                          auth=(runtime.rabbitmq_user, runtime.rabbitmq_password),
                          verify=runtime.rehearsal.ca_bundle if runtime.rehearsal else True, timeout=10).json()
    names += [f"queue/{q['name']}" for q in queues]
    left = [n for n in names for job_id in created if _of_job(n.split("/", 1)[1], job_id)]
    return created, sorted(set(left))


def _of_job(name: str, job_id: str) -> bool:
    return any(name == p + job_id or name.startswith(p + job_id + "-") for p in JOB_PREFIXES)
