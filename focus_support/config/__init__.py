"""Configuration: typed environments loaded from ``config/environments.yaml``."""
from .loader import Selection, known_environments, load_environment, sandbox_runtime_path
from .models import (
    Allowed,
    Environment,
    FocusServerSettings,
    KubernetesSettings,
    MongoSettings,
    RabbitSettings,
    RateLimitExpectation,
    SshRouteSettings,
    Timings,
    WebAppSettings,
    WebAppUserSettings,
)

__all__ = [
    "Allowed", "Environment", "FocusServerSettings", "KubernetesSettings", "MongoSettings",
    "RabbitSettings", "RateLimitExpectation", "Selection", "SshRouteSettings", "Timings",
    "WebAppSettings", "WebAppUserSettings", "known_environments", "load_environment",
    "sandbox_runtime_path",
]
