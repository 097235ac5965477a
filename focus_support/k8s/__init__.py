"""Kubernetes access: direct API route and SSH/kubectl fallback with the same typed results."""
from .manager import KubernetesManager
from .resources import (
    DeploymentInfo, JobInfo, JobResources, KubeObject, PodInfo, ServiceInfo, belongs_to_job, job_names,
)
from .routes import DirectRoute, KubeRoute, SshRoute

__all__ = ["DeploymentInfo", "DirectRoute", "JobInfo", "JobResources", "KubeObject", "KubeRoute",
           "KubernetesManager", "PodInfo", "ServiceInfo", "SshRoute", "belongs_to_job", "job_names"]
