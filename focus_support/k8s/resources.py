"""Typed views of cluster objects, built from the JSON both routes return (API and ``kubectl -o json``)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class KubeObject(BaseModel):
    """Name, namespace and labels: what every listed object has."""

    kind: str
    name: str
    namespace: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    created: str | None = None

    @property
    def ref(self) -> str:
        """``kind/name`` as kubectl prints it."""
        return f"{self.kind.lower()}/{self.name}"


class JobInfo(KubeObject):
    active: int = 0
    succeeded: int = 0
    failed: int = 0
    conditions: list[str] = Field(default_factory=list)

    @property
    def finished(self) -> bool:
        """True once the Job is Complete or Failed."""
        return bool({"Complete", "Failed"} & set(self.conditions))


class PodInfo(KubeObject):
    phase: str = ""
    node_selector: dict[str, str] = Field(default_factory=dict)

    @property
    def job_name(self) -> str | None:
        """The owning Job (label ``job-name``), if any."""
        return self.labels.get("job-name")


class ServiceInfo(KubeObject):
    type: str = ""
    node_ports: list[int] = Field(default_factory=list)


class DeploymentInfo(KubeObject):
    replicas: int = 0
    ready_replicas: int = 0

    @property
    def ready(self) -> bool:
        """True when every desired replica is ready (and at least one is desired)."""
        return self.replicas > 0 and self.ready_replicas >= self.replicas


def _meta(kind: str, doc: dict[str, Any]) -> dict[str, Any]:
    meta = doc.get("metadata") or {}
    return {"kind": kind, "name": meta.get("name", ""), "namespace": meta.get("namespace") or "",
            "labels": meta.get("labels") or {}, "created": meta.get("creationTimestamp")}


def job_from(doc: dict[str, Any]) -> JobInfo:
    """A Job from its manifest."""
    status = doc.get("status") or {}
    conditions = [c.get("type", "") for c in status.get("conditions") or [] if c.get("status", "True") == "True"]
    return JobInfo(**_meta("Job", doc), active=status.get("active") or 0, succeeded=status.get("succeeded") or 0,
                   failed=status.get("failed") or 0, conditions=conditions)


def pod_from(doc: dict[str, Any]) -> PodInfo:
    """A Pod from its manifest."""
    spec = doc.get("spec") or {}
    return PodInfo(**_meta("Pod", doc), phase=(doc.get("status") or {}).get("phase") or "",
                   node_selector=spec.get("nodeSelector") or {})


def service_from(doc: dict[str, Any]) -> ServiceInfo:
    """A Service from its manifest."""
    spec = doc.get("spec") or {}
    ports = [p["nodePort"] for p in spec.get("ports") or [] if p.get("nodePort")]
    return ServiceInfo(**_meta("Service", doc), type=spec.get("type") or "", node_ports=ports)


def deployment_from(doc: dict[str, Any]) -> DeploymentInfo:
    """A Deployment from its manifest."""
    return DeploymentInfo(**_meta("Deployment", doc), replicas=(doc.get("spec") or {}).get("replicas") or 0,
                          ready_replicas=(doc.get("status") or {}).get("readyReplicas") or 0)


PARSERS = {"jobs": job_from, "pods": pod_from, "services": service_from, "deployments": deployment_from}


def job_names(job_id: str) -> tuple[str, str, str]:
    """(streaming job, janitor job, service) names of a Focus job (contract section 4)."""
    return f"grpc-job-{job_id}", f"cleanup-job-{job_id}", f"grpc-service-{job_id}"


class JobResources(BaseModel):
    """Everything the cluster still holds for one Focus job id."""

    job_id: str
    jobs: list[JobInfo] = Field(default_factory=list)
    pods: list[PodInfo] = Field(default_factory=list)
    services: list[ServiceInfo] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when nothing of the job is left."""
        return not (self.jobs or self.pods or self.services)

    def names(self) -> list[str]:
        """``kind/name`` of every remaining object."""
        return [o.ref for o in [*self.jobs, *self.pods, *self.services]]

    def __str__(self) -> str:
        return f"job {self.job_id}: " + (", ".join(self.names()) or "no resources")


def belongs_to_job(obj: KubeObject, job_id: str) -> bool:
    """True when a job, pod or service is one of the Focus job's resources."""
    grpc, cleanup, service = job_names(job_id)
    if obj.kind == "Job":
        return obj.name in (grpc, cleanup)
    if obj.kind == "Service":
        return obj.name == service
    if obj.kind == "Pod":
        return (obj.labels.get("app") == grpc or obj.labels.get("job-name") in (grpc, cleanup)
                or obj.name.startswith((grpc + "-", cleanup + "-")))
    return False
