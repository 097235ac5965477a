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


def prepare(run_dir: Path, port: int) -> SshAccess:
    """Generate host and client keys, authorized_keys, known_hosts and sshd_config under ``run_dir/ssh``."""
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
    config.write_text(_sshd_config(root, port, user))
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)  # privilege separation dir
    return SshAccess("127.0.0.1", port, user, root / "client_ed25519_key", root / "known_hosts", config, root)


def _sshd_config(root: Path, port: int, user: str) -> str:
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
        "LogLevel INFO",
        "Subsystem sftp internal-sftp",
    ]
    return "\n".join(lines) + "\n"


def ready(port: int) -> bool:
    """Ready when the port answers with an ``SSH-`` banner."""
    with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
        conn.settimeout(1)
        return conn.recv(4).startswith(b"SSH-")


def spec(access: SshAccess) -> DeploymentSpec:
    """The sshd Deployment (namespace sandbox-system: not one of the product's components)."""
    command = [str(SSHD), "-D", "-e", "-f", str(access.config_file)]
    return DeploymentSpec(name="sshd", namespace=NAMESPACE, command=command, env={}, cwd=str(access.root),
                          labels={"app": "sshd"}, readiness=lambda: ready(access.port),
                          stop_signal=signal.SIGTERM, stop_timeout_s=5.0)
