"""Preconditions and outcomes that scenarios of every area share."""
from __future__ import annotations

import re
from typing import Any

from focus_support.clients import describe_response
from focus_support.errors import UnreachableError
from focus_support.models import LiveMetadata
from focus_support.scenarios.metadata import require_fibre


def require_live_fibre(suite: Any, state: Any) -> LiveMetadata:
    """Live metadata of a system that is receiving fibre; waiting for fibre is a precondition error."""
    response = suite.focus.get_live_metadata_response()
    if response.status_code != 200:
        raise UnreachableError(f"live metadata is not readable, so the fibre state is unknown:\n"
                               f"{describe_response(response)}")
    state.live_metadata = require_fibre(response.json())
    return state.live_metadata


_JOB_ID_IN_NAME = re.compile(r"(?:grpc-job|cleanup-job|grpc-service)-(\d+-\d+)")


def adopt_stray_jobs(suite: Any, state: Any, resource_names: list[str]) -> list[str]:
    """Register jobs a request should not have started, so the run still cleans them up."""
    job_ids = sorted({m.group(1) for name in resource_names if (m := _JOB_ID_IN_NAME.search(name))})
    for job_id in job_ids:
        suite.jobs.register(job_id)
        if job_id not in state.created_job_ids:
            state.created_job_ids.append(job_id)
    return job_ids
