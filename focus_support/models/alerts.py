"""Pydantic models of the Prisma Web App alert API (contract section 6)."""
from __future__ import annotations

from enum import IntEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr

ALERT_ROUTING_KEY = "Algorithm.AlertReport"


class AlertClass(IntEnum):
    """``classId``: 103 single channel, 104 spatial distribution."""

    SC = 103
    SD = 104


class Severity(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3


class LoginRequest(BaseModel):
    """``POST /auth/login``; the password stays a secret in reprs and logs."""

    username: str
    password: SecretStr

    def to_wire(self) -> dict[str, str]:
        """The JSON body with the password revealed (only for sending)."""
        return {"username": self.username, "password": self.password.get_secret_value()}


class AlertPush(BaseModel):
    """Body of ``POST /<site_id>/api/push-to-rabbit``."""

    classId: int
    severity: int
    dofM: int
    alertsAmount: int
    alertIds: list[str]

    @classmethod
    def build(cls, alert_ids: list[str], *, class_id: int = AlertClass.SD, severity: int = Severity.HIGH,
              dof_m: int = 100) -> "AlertPush":
        """A valid alert for the ids, with ``alertsAmount`` kept consistent."""
        return cls(classId=int(class_id), severity=int(severity), dofM=dof_m,
                   alertsAmount=len(alert_ids), alertIds=list(alert_ids))


class AlertRecord(BaseModel):
    """An alert as echoed or listed by the Web App (unknown extra fields kept)."""

    model_config = ConfigDict(extra="allow")

    classId: int | None = None
    severity: int | None = None
    dofM: int | None = None
    alertsAmount: int | None = None
    alertIds: list[str] = Field(default_factory=list)


class AlertDeleteRequest(BaseModel):
    """Body of ``DELETE /<site_id>/api/alert/delete``."""

    alertIds: list[str]
