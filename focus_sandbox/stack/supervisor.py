"""Bring the stack's processes up in order and down again; used by the daemon's main thread."""
from __future__ import annotations

import fcntl
import json
import os
import tempfile
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import uvicorn

from focus_sandbox.cluster import Cluster
from focus_sandbox.cluster.kubeconfig import write_kubeconfig
from focus_sandbox import rehearsal as rehearsal_shape, tls as server_tls
from focus_sandbox.components import epmd, focus_server, mongodb, rabbitmq, sshd
from focus_sandbox.ports import PortAllocator
from focus_sandbox.settings import SandboxConfig, Timings, WebAppUser, fibre_of

from .runtime import DAEMON_LOG_FILE, RehearsalInfo, Runtime, SshInfo

NAMESPACE = "panda"
READY_TIMEOUT_S = {"rabbitmq": 40.0, "mongodb": 20.0, "sshd": 10.0, "sshd-jump": 10.0, "focus-server": 30.0}
LOG_TAIL_LINES = 40

STREAM_PORT_BASE = 12301   # the first job stream port, as on staging
STREAM_PORT_BLOCK = 1000   # ports per concurrently running stack


class StopRequested(Exception):
    """SIGTERM/SIGINT arrived while the stack was starting."""


class ComponentFailed(Exception):
    """A component did not become ready; the message holds its state and log tail."""

    def __init__(self, name: str, reason: str, log_tail: str):
        super().__init__(f"component {name!r} failed to start: {reason}\n"
                         f"--- last {LOG_TAIL_LINES} log lines of {name} ---\n{log_tail.rstrip()}")
        self.name = name


@dataclass
class StackOptions:
    """What ``up`` asked for."""

    profile: str = "spec"
    defects: list[str] = field(default_factory=list)
    mongodb_uri: str | None = None
    waiting_for_fibre: bool = False
    port_base: int | None = None
    spawned_at: float | None = None  # time.time() when the daemon was spawned
    shape: str = "local"             # or "rehearsal": staging's shape (focus_sandbox.rehearsal)


class _ApiServer:
    """The cluster's FastAPI app served by uvicorn in a thread of the daemon."""

    def __init__(self, app, port: int):
        self.port = port
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                    access_log=False, lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, name="kube-api", daemon=True)

    def start(self, timeout_s: float = 10.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError(f"the Kubernetes API server could not serve on 127.0.0.1:{self.port}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Kubernetes API server did not start within {timeout_s} s")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


class Stack:
    """One run of the sandbox: its directory, ports, cluster and components."""

    def __init__(self, home: Path, options: StackOptions, stop_requested: threading.Event):
        self.home = home
        self.options = options
        self.stop_requested = stop_requested
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        self.run_dir = home / f"run-{stamp}-{os.getpid()}"
        self.ports = PortAllocator(options.port_base)
        self.cluster: Cluster | None = None
        self.api: _ApiServer | None = None
        self.epmd_process = None
        self.epmd_port: int | None = None
        self.timings: dict[str, float] = {}
        # Timings count from the moment `up` spawned the daemon (interpreter start-up included).
        since_spawn = max(0.0, time.time() - options.spawned_at) if options.spawned_at else 0.0
        self._t0 = time.monotonic() - since_spawn

    # ----------------------------------------------------------------- start
    def _claim_stream_ports(self) -> int:
        """A stream-port range of our own (12301 upwards, as staging): stacks running side by side would
        otherwise both find a port free and race for it when their job pods bind. The lock is held
        for the daemon's lifetime and released by the kernel when it exits, however it exits."""
        for base in range(STREAM_PORT_BASE, STREAM_PORT_BASE + 20 * STREAM_PORT_BLOCK, STREAM_PORT_BLOCK):
            handle = open(Path(tempfile.gettempdir()) / f"focus-sandbox-stream-ports-{base}.lock", "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            self._stream_port_lock = handle
            return base
        raise ComponentFailed("stream ports", "twenty sandbox stacks already hold every stream-port range", "")

    def start(self) -> Runtime:
        """Start every component and return the runtime description once all are ready."""
        opts = self.options
        self.run_dir.mkdir(parents=True, exist_ok=False)
        self.run_dir.chmod(0o700)
        config_path = self.run_dir / "sandbox-config.json"
        kubeconfig = self.run_dir / "kubeconfig"

        self.cluster = Cluster(run_dir=self.run_dir)
        kube_port = self.ports.take("kube-api")
        kube_url = f"http://127.0.0.1:{kube_port}"
        write_kubeconfig(kubeconfig, kube_url, namespace=NAMESPACE)

        rehearsal = opts.shape == "rehearsal"
        tls = server_tls.create(self.run_dir / "tls") if rehearsal else None
        rabbit_password = secrets.token_urlsafe(18)
        self.epmd_port = self.ports.take("epmd")
        node = rabbitmq.prepare(self.run_dir, node_port=self.ports.take("amqp"),
                                management_port=self.ports.take("rabbitmq-management"),
                                dist_port=self.ports.take("erlang-dist"), epmd_port=self.epmd_port,
                                password=rabbit_password, tls=tls,
                                extra_plugins=rehearsal_shape.EXTRA_BROKER_PLUGINS if rehearsal else ())
        mongo_port = None if opts.mongodb_uri else self.ports.take("mongodb")
        mongodb_uri = opts.mongodb_uri or mongodb.uri(mongo_port)
        focus_port = self.ports.take("focus-server")
        ssh = sshd.prepare(self.run_dir, self.ports.take("ssh"),
                           set_env={"KUBECONFIG": str(kubeconfig)} if rehearsal else None)
        jump = sshd.prepare_jump(self.run_dir, self.ports.take("ssh-jump"), ssh) if rehearsal else None
        users = {"qa": WebAppUser(password=secrets.token_urlsafe(12), can_delete=True),
                 "viewer": WebAppUser(password=secrets.token_urlsafe(12), can_delete=False)}
        if rehearsal:
            users[rehearsal_shape.TENANT_WEB_USER] = WebAppUser(password=secrets.token_urlsafe(12), can_delete=True)
        self._web_users = users
        config = SandboxConfig(run_dir=str(self.run_dir), profile=opts.profile, defects=list(opts.defects),
                               fibre=fibre_of(opts.profile),
                               waiting_for_fibre=opts.waiting_for_fibre, namespace=NAMESPACE,
                               kube_api_url=kube_url, mongodb_uri=mongodb_uri, rabbitmq_url=node.amqp_url,
                               web_app_users=users, stream_port_base=self._claim_stream_ports(),
                               **({"timings": Timings(**rehearsal_shape.TIMINGS)} if rehearsal else {}))
        config.write(config_path)

        # The broker is the slowest to boot: start it first. Independent components start together;
        # the Focus Server seeds MongoDB at start-up, so it waits for MongoDB and for the API it
        # creates jobs through (the broker it only uses per request).
        self.epmd_process = epmd.start(self.epmd_port, self.run_dir / "epmd.log")
        self.cluster.add_deployment(rabbitmq.spec(node))
        if mongo_port is not None:
            self.cluster.add_deployment(mongodb.spec(self.run_dir, mongo_port))
        self.cluster.add_deployment(sshd.spec(ssh))
        if jump is not None:
            self.cluster.add_deployment(sshd.spec(jump, "sshd-jump"))
        self.api = self._serve_api(kube_port)
        self._mark("kube-api")
        if mongo_port is not None:
            self._wait_all({"mongodb": NAMESPACE})
        self.cluster.add_deployment(focus_server.spec(config_path, focus_port, tls))
        self._wait_all({"rabbitmq": NAMESPACE, "sshd": sshd.NAMESPACE, "focus-server": NAMESPACE,
                        **({"sshd-jump": sshd.NAMESPACE} if jump is not None else {})})
        rehearsal_info = self._rehearsal_accounts(node, tls, jump) if rehearsal else None

        started = self._elapsed()
        (self.run_dir / "startup-timings.json").write_text(json.dumps(self.timings, indent=2))
        base = f"{'https' if tls else 'http'}://127.0.0.1:{focus_port}"
        return Runtime(
            pid=os.getpid(), run_dir=str(self.run_dir), profile=opts.profile,
            defects=list(opts.defects), started_in_s=round(started, 2),
            focus_server_url=f"{base}/focus-server", web_app_url=f"{base}/prisma/api", site_id=config.site_id,
            web_app_users=users, mongodb_uri=mongodb_uri, rabbitmq_url=node.amqp_url,
            rabbitmq_management_url=node.management_url, rabbitmq_user=rabbitmq.USER,
            rabbitmq_password=rabbit_password, kube_api_url=kube_url, kubeconfig=str(kubeconfig),
            namespace=NAMESPACE,
            ssh=SshInfo(host=ssh.host, port=ssh.port, user=ssh.user, key_file=str(ssh.key_file),
                        known_hosts_file=str(ssh.known_hosts_file), kubectl=f"kubectl --kubeconfig {kubeconfig}"),
            timings=config.timings, rate_limit=config.rate_limit, capacity=config.capacity,
            shape=opts.shape, rehearsal=rehearsal_info)

    def _rehearsal_accounts(self, node, tls, jump) -> RehearsalInfo:
        """Broker accounts of the suite and the tenant (the product keeps its own), and the rest of
        what the rehearsal adds to the runtime."""
        suite_password, tenant_password = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
        # the suite's account may read every connection and queue (a QA login); the tenant's only uses AMQP
        rehearsal_shape.add_broker_users(
            node.management_url, node.verify, (rabbitmq.USER, node.password),
            {rehearsal_shape.SUITE_BROKER_USER: (suite_password, "monitoring"),
             rehearsal_shape.TENANT_BROKER_USER: (tenant_password, "")})
        self._mark("broker accounts")
        return RehearsalInfo(
            ca_bundle=str(tls.ca_bundle), ssh_jump_port=jump.port,
            suite_rabbitmq_user=rehearsal_shape.SUITE_BROKER_USER, suite_rabbitmq_password=suite_password,
            tenant_web_user=rehearsal_shape.TENANT_WEB_USER,
            tenant_web_password=self._web_users[rehearsal_shape.TENANT_WEB_USER].password,
            tenant_rabbitmq_user=rehearsal_shape.TENANT_BROKER_USER, tenant_rabbitmq_password=tenant_password)

    def _serve_api(self, port: int) -> _ApiServer:
        """Serve the cluster API on ``port``. Taken since we chose it? Then the run cannot go on: the
        kubeconfig and the server's config already name it."""
        assert self.cluster is not None
        api = _ApiServer(self.cluster.app, port)
        api.start()
        return api

    def _wait_all(self, pending: dict[str, str]) -> None:
        """Wait until each named deployment (name -> namespace) has a Ready pod.

        Fails fast when a deployment's first pod exits before it was ready (the cluster would only
        restart it), and at the deployment's deadline; either way with the pod's log tail.
        """
        assert self.cluster is not None
        deadlines = {name: time.monotonic() + READY_TIMEOUT_S[name] for name in pending}
        first_pods: dict[str, str] = {}
        pending = dict(pending)
        while pending:
            if self.stop_requested.is_set():
                raise StopRequested()
            for name, namespace in list(pending.items()):
                try:
                    self.cluster.wait_ready(name, timeout_s=0, namespace=namespace)
                    self._mark(name)
                    del pending[name]
                    continue
                except TimeoutError as not_ready:
                    state = str(not_ready).split("\n", 1)[0]
                if name not in first_pods:
                    pods = self.cluster.pod_names(namespace, f"app={name}")
                    if pods:
                        first_pods[name] = pods[0]
                pod = first_pods.get(name)
                if pod and self.cluster.pod_pid(pod, namespace) is None:
                    raise ComponentFailed(name, f"its process exited before it was ready ({state})",
                                          self.cluster.pod_log_tail(pod, LOG_TAIL_LINES))
                if time.monotonic() >= deadlines[name]:
                    tail = self.cluster.pod_log_tail(pod, LOG_TAIL_LINES) if pod else "(no pod was started)"
                    raise ComponentFailed(name, f"not ready after {READY_TIMEOUT_S[name]:.0f} s ({state})", tail)
            if pending:
                time.sleep(0.05)

    def _elapsed(self) -> float:
        return time.monotonic() - self._t0

    def _mark(self, name: str) -> None:
        self.timings[name] = round(self._elapsed(), 2)
        print(f"[daemon] {name} ready at {self.timings[name]:.2f} s", flush=True)

    # ----------------------------------------------------------------- stop
    def stop(self, logs_dir: Path | None) -> None:
        """Stop everything this run started, keep its logs, remove its directory."""
        if self.cluster is not None:
            self.cluster.shutdown()
        if self.api is not None:
            self.api.stop()
        if self.epmd_port is not None:
            epmd.stop(self.epmd_process, self.epmd_port)
        if logs_dir is not None and self.run_dir.exists():
            kept = copy_logs(self.run_dir, logs_dir / self.run_dir.name)
            daemon_log = self.home / DAEMON_LOG_FILE
            if daemon_log.exists():  # its output so far: start-up timings, any failure report
                shutil.copy2(daemon_log, kept / DAEMON_LOG_FILE)
            prune_old_logs(logs_dir)
            print(f"[daemon] logs kept in {kept}", flush=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)


KEPT_LOG_RUNS = 10


def prune_old_logs(logs_dir: Path, keep: int = KEPT_LOG_RUNS) -> None:
    """Keep the logs of the newest ``keep`` runs only, so reports/ does not grow without bound."""
    runs = sorted((p for p in logs_dir.glob("run-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in runs[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def copy_logs(run_dir: Path, target: Path) -> Path:
    """Copy every ``*.log`` file of the run (pod logs, broker and server logs) under ``target``."""
    for path in run_dir.rglob("*.log"):
        if path.is_file():
            destination = target / path.relative_to(run_dir)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
    return target
