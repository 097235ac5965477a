"""A private OpenSSH server on loopback: the suite's "jump host" that runs kubectl against the sandbox.

Keys are generated per run (ed25519, no passphrase) and live in the run dir; only the generated
client key may log in, as the current user, and password logins are off.
"""
from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from focus_sandbox.cluster import DeploymentSpec

SSHD = Path("/usr/sbin/sshd")
NAMESPACE = "sandbox-system"


@dataclass
class SshAccess:
    """How a client reaches the sandbox's sshd."""

    host: str
    port: int
    user: str
    key_file: Path
    known_hosts_file: Path
    config_file: Path
    root: Path


def installed() -> bool:
    """True when Debian's openssh-server and ssh-keygen are available."""
    return SSHD.exists() and shutil.which("ssh-keygen") is not None


def _keygen(path: Path, comment: str) -> str:
    """Create an ed25519 key pair at ``path``; return the public key line."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                   check=True, stdin=subprocess.DEVNULL, capture_output=True)
    return path.with_suffix(".pub").read_text().strip()


def prepare(run_dir: Path, port: int, *, set_env: dict[str, str] | None = None) -> SshAccess:
    """Generate host and client keys, authorized_keys, known_hosts and sshd_config under ``run_dir/ssh``.

    ``set_env``: variables every session gets (the rehearsal's node sets KUBECONFIG, so a plain
    ``kubectl`` works there as on a staging worker).
    """
    root = Path(run_dir) / "ssh"
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o700)
    user = getpass.getuser()
    host_public = _keygen(root / "host_ed25519_key", "focus-sandbox-host")
    client_public = _keygen(root / "client_ed25519_key", "focus-sandbox-client")
    (root / "authorized_keys").write_text(client_public + "\n")
    (root / "authorized_keys").chmod(0o600)
    key_type, key_body = host_public.split()[:2]
    (root / "known_hosts").write_text(f"[127.0.0.1]:{port} {key_type} {key_body}\n")
    config = root / "sshd_config"
    extra = [f"SetEnv {' '.join(f'{k}={v}' for k, v in set_env.items())}"] if set_env else []
    config.write_text(_sshd_config(root, port, user, extra))
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)  # privilege separation dir
    return SshAccess("127.0.0.1", port, user, root / "client_ed25519_key", root / "known_hosts", config, root)


def prepare_jump(run_dir: Path, port: int, target: SshAccess) -> SshAccess:
    """A second sshd in front of ``target``: a jump host that only forwards to the target's port.

    It runs no commands (ForceCommand refuses sessions) and permits forwarding to the target alone,
    so kubectl is reachable only by hopping: client -> jump -> node. The same client key logs in on
    both; the target's known_hosts gains the jump's host key.
    """
    root = Path(run_dir) / "ssh-jump"
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o700)
    host_public = _keygen(root / "host_ed25519_key", "focus-sandbox-jump-host")
    (root / "authorized_keys").write_text((target.root / "authorized_keys").read_text())
    (root / "authorized_keys").chmod(0o600)
    key_type, key_body = host_public.split()[:2]
    with open(target.known_hosts_file, "a") as known:
        known.write(f"[127.0.0.1]:{port} {key_type} {key_body}\n")
    config = root / "sshd_config"
    jump_only = ["ForceCommand /bin/false", "PermitTTY no", f"PermitOpen {target.host}:{target.port}"]
    config.write_text(_sshd_config(root, port, target.user, jump_only, forwarding=True))
    return SshAccess("127.0.0.1", port, target.user, target.key_file, target.known_hosts_file, config, root)


def _sshd_config(root: Path, port: int, user: str, extra: list[str] | None = None, forwarding: bool = False) -> str:
    lines = [
        f"Port {port}",
        "ListenAddress 127.0.0.1",
        f"HostKey {root / 'host_ed25519_key'}",
        f"PidFile {root / 'sshd.pid'}",
        f"AuthorizedKeysFile {root / 'authorized_keys'}",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        f"AllowUsers {user}",
        "StrictModes no",  # the run dir lives under the checkout, whose modes we do not control
        "UsePAM no",
        "PrintMotd no",
        "UseDNS no",
        "X11Forwarding no",
        "LogLevel VERBOSE" if forwarding else "LogLevel INFO",  # VERBOSE logs each forwarded connection
        "Subsystem sftp internal-sftp",
    ]
    if forwarding:
        lines += ["AllowTcpForwarding yes", "AllowAgentForwarding no"]
    return "\n".join(lines + list(extra or [])) + "\n"


def ready(port: int) -> bool:
    """Ready when the port answers with an ``SSH-`` banner."""
    with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
        conn.settimeout(1)
        return conn.recv(4).startswith(b"SSH-")


def spec(access: SshAccess, name: str = "sshd") -> DeploymentSpec:
    """The sshd Deployment (namespace sandbox-system: not one of the product's components)."""
    command = [str(SSHD), "-D", "-e", "-f", str(access.config_file)]
    return DeploymentSpec(name=name, namespace=NAMESPACE, command=command, env={}, cwd=str(access.root),
                          labels={"app": name}, readiness=lambda: ready(access.port),
                          stop_signal=signal.SIGTERM, stop_timeout_s=5.0)
