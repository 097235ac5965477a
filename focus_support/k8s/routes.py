"""The two routes to the cluster: the official client (kubeconfig) and ``kubectl -o json`` over SSH.

Both return plain manifests (JSON dicts) so the manager builds the same typed results from either.
"""
from __future__ import annotations

import json
import shlex
import threading
from typing import Any, Protocol

from focus_support.config import KubernetesSettings, SshRouteSettings
from focus_support.errors import InfrastructureError, InfraTimeoutError, MisconfiguredError, UnreachableError

KINDS = ("jobs", "pods", "services", "deployments")


class KubeRoute(Protocol):
    """What the manager needs from a route."""

    name: str

    def ping(self) -> None: ...
    def list(self, kind: str, label_selector: str | None = None) -> list[dict[str, Any]]: ...
    def get(self, kind: str, name: str) -> dict[str, Any] | None: ...
    def delete(self, kind: str, name: str) -> bool: ...
    def logs(self, pod: str, tail_lines: int | None = None) -> str: ...
    def scale(self, deployment: str, replicas: int) -> None: ...
    def close(self) -> None: ...


class DirectRoute:
    """The cluster API through the official ``kubernetes`` client and a kubeconfig/context."""

    name = "direct"

    def __init__(self, settings: KubernetesSettings, timeout_s: float = 10.0) -> None:
        if not settings.kubeconfig:
            raise MisconfiguredError("kubernetes: no kubeconfig configured for the direct route")
        from kubernetes import client, config  # imported lazily: slow, and only this route needs it

        self.namespace = settings.namespace
        self.timeout_s = timeout_s
        try:
            self.api_client = config.new_client_from_config(config_file=settings.kubeconfig, context=settings.context)
        except Exception as exc:  # the loader raises several unrelated types for a bad file/context
            raise MisconfiguredError(f"kubernetes: cannot load kubeconfig/context: {exc}") from exc
        self.core = client.CoreV1Api(self.api_client)
        self.batch = client.BatchV1Api(self.api_client)
        self.apps = client.AppsV1Api(self.api_client)

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError as Urllib3Error

        try:
            return fn(*args, _request_timeout=self.timeout_s, _preload_content=False, **kwargs)
        except ApiException as exc:
            if exc.status == 404:
                raise KeyError(str(args)) from exc
            if exc.status in (401, 403):
                raise MisconfiguredError(f"kubernetes API refused access ({exc.status}): {exc.reason}") from exc
            raise InfrastructureError(f"kubernetes API error {exc.status}: {exc.reason}") from exc
        except Urllib3Error as exc:
            raise UnreachableError(f"kubernetes API unreachable: {exc}") from exc

    def _json(self, fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return json.loads(self._call(fn, *args, **kwargs).data)

    def ping(self) -> None:
        """List one deployment: proves address, credentials and namespace."""
        self._json(self.apps.list_namespaced_deployment, self.namespace, limit=1)

    def list(self, kind: str, label_selector: str | None = None) -> list[dict[str, Any]]:
        """Manifests of a kind in the namespace, optionally by label selector."""
        fn = {"jobs": self.batch.list_namespaced_job, "pods": self.core.list_namespaced_pod,
              "services": self.core.list_namespaced_service, "deployments": self.apps.list_namespaced_deployment}[kind]
        kwargs = {"label_selector": label_selector} if label_selector else {}
        return self._json(fn, self.namespace, **kwargs).get("items") or []

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        """One manifest or None."""
        fn = {"jobs": self.batch.read_namespaced_job, "pods": self.core.read_namespaced_pod,
              "services": self.core.read_namespaced_service, "deployments": self.apps.read_namespaced_deployment}[kind]
        try:
            return self._json(fn, name, self.namespace)
        except KeyError:
            return None

    def delete(self, kind: str, name: str) -> bool:
        """Delete (background propagation); False when it was already gone."""
        fn = {"jobs": self.batch.delete_namespaced_job, "pods": self.core.delete_namespaced_pod,
              "services": self.core.delete_namespaced_service,
              "deployments": self.apps.delete_namespaced_deployment}[kind]
        try:
            self._call(fn, name, self.namespace, propagation_policy="Background")
            return True
        except KeyError:
            return False

    def logs(self, pod: str, tail_lines: int | None = None) -> str:
        """The pod's log text."""
        kwargs = {"tail_lines": tail_lines} if tail_lines else {}
        try:
            return self._call(self.core.read_namespaced_pod_log, pod, self.namespace, **kwargs).data.decode(
                "utf-8", "replace")
        except KeyError:
            raise InfrastructureError(f"pod {pod} not found in {self.namespace}") from None

    def scale(self, deployment: str, replicas: int) -> None:
        """Set the deployment's replica count through the scale subresource."""
        try:
            self._call(self.apps.patch_namespaced_deployment_scale, deployment, self.namespace,
                       {"spec": {"replicas": replicas}})
        except KeyError:
            raise InfrastructureError(f"deployment {deployment} not found in {self.namespace}") from None

    def close(self) -> None:
        """Release the client's connection pool."""
        self.api_client.close()


class SshRoute:
    """``kubectl ... -o json`` run on a cluster node over SSH (paramiko), optionally via a jump host."""

    name = "ssh"

    def __init__(self, ssh: SshRouteSettings, namespace: str) -> None:
        self.settings = ssh
        self.namespace = namespace
        self._lock = threading.Lock()
        self._client: Any = None
        self._jump: Any = None

    def _new_client(self) -> Any:
        import paramiko

        client = paramiko.SSHClient()
        if self.settings.known_hosts_file:
            client.load_host_keys(self.settings.known_hosts_file)
        else:
            client.load_system_host_keys()
        client.set_missing_host_key_policy(paramiko.RejectPolicy())  # never trust an unknown host
        return client

    def _connect(self) -> Any:
        import paramiko

        s = self.settings
        auth = {"key_filename": s.key_file, "look_for_keys": False, "allow_agent": False, "timeout": s.timeout_s,
                "banner_timeout": s.timeout_s, "auth_timeout": s.timeout_s}
        try:
            sock = None
            if s.jump_host:
                self._jump = self._new_client()
                self._jump.connect(s.jump_host, s.jump_port, s.jump_user or s.user, **auth)
                sock = self._jump.get_transport().open_channel("direct-tcpip", (s.host, s.port), ("127.0.0.1", 0))
            client = self._new_client()
            client.connect(s.host, s.port, s.user, sock=sock, **auth)
            return client
        except paramiko.AuthenticationException as exc:
            raise MisconfiguredError(f"ssh {s.user}@{s.host}:{s.port}: key authentication failed: {exc}") from exc
        except paramiko.SSHException as exc:
            raise UnreachableError(f"ssh {s.user}@{s.host}:{s.port}: {exc}") from exc
        except OSError as exc:
            raise UnreachableError(f"ssh {s.host}:{s.port} unreachable: {exc}") from exc

    def run(self, args: list[str]) -> tuple[int, str, str]:
        """Run ``kubectl <args>`` remotely; returns (exit code, stdout, stderr)."""
        command = f"{self.settings.kubectl} {shlex.join(args)}"
        with self._lock:
            transport = self._client.get_transport() if self._client else None
            if transport is None or not transport.is_active():
                self.close_unlocked()
                self._client = self._connect()
            try:
                _, stdout, stderr = self._client.exec_command(command, timeout=self.settings.timeout_s)
                out = stdout.read().decode("utf-8", "replace")
                err = stderr.read().decode("utf-8", "replace")
                code = stdout.channel.recv_exit_status()
            except TimeoutError as exc:
                raise InfraTimeoutError(f"ssh: '{command}' took longer than {self.settings.timeout_s} s") from exc
            except OSError as exc:
                self.close_unlocked()
                raise UnreachableError(f"ssh: '{command}' lost the connection: {exc}") from exc
        return code, out, err

    def _kubectl(self, *args: str) -> str:
        code, out, err = self.run(["-n", self.namespace, *args])
        if code != 0:
            raise InfrastructureError(f"remote kubectl {' '.join(args)} failed ({code}): {err.strip()[:500]}")
        return out

    def ping(self) -> None:
        """List the deployments through remote kubectl."""
        self._kubectl("get", "deployments", "-o", "json", "--request-timeout=10s")

    def list(self, kind: str, label_selector: str | None = None) -> list[dict[str, Any]]:
        """Manifests of a kind in the namespace, optionally by label selector."""
        args = ["get", kind, "-o", "json"] + (["-l", label_selector] if label_selector else [])
        return json.loads(self._kubectl(*args)).get("items") or []

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        """One manifest or None."""
        out = self._kubectl("get", kind, name, "-o", "json", "--ignore-not-found")
        return json.loads(out) if out.strip() else None

    def delete(self, kind: str, name: str) -> bool:
        """Delete (background cascade, no wait); False when it was already gone."""
        out = self._kubectl("delete", kind, name, "--ignore-not-found", "--wait=false", "--cascade=background")
        return bool(out.strip())

    def logs(self, pod: str, tail_lines: int | None = None) -> str:
        """The pod's log text."""
        return self._kubectl("logs", pod, *([f"--tail={tail_lines}"] if tail_lines else []))

    def scale(self, deployment: str, replicas: int) -> None:
        """Set the deployment's replica count."""
        self._kubectl("scale", f"deployment/{deployment}", f"--replicas={replicas}")

    def close_unlocked(self) -> None:
        for c in (self._client, self._jump):
            if c is not None:
                c.close()
        self._client = self._jump = None

    def close(self) -> None:
        """Close the SSH connection(s)."""
        with self._lock:
            self.close_unlocked()
