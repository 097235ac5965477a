"""The runtime side of a pod: its process and how to stop it (the object lives in the store)."""
from __future__ import annotations

from dataclasses import dataclass

from .processes import PodProcess


@dataclass
class PodRuntime:
    """Runtime side of a pod: its process and how to stop it."""

    namespace: str
    name: str
    owner_kind: str          # "Job" or "Deployment"
    owner_name: str
    owner_uid: str
    stop_signal: int
    stop_timeout_s: float
    process: PodProcess | None = None
    deleting: bool = False
