"""The run's verdict: structured findings, the known-bug registry, the evidence map, classification.

``findings`` is what checks raise; ``registry`` loads ``config/known_bugs.yaml`` and
``config/evidence.yaml``; ``classify`` decides each failure's class and the run's exit code.
"""
from focus_support.verdict.findings import Finding, ProductFailure, expect, fail, finding_of, status_kind

__all__ = ["Finding", "ProductFailure", "expect", "fail", "finding_of", "status_kind"]
