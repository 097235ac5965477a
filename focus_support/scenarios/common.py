"""Preconditions and outcomes that scenarios of every area share."""
from __future__ import annotations

import re
from typing import Any

from focus_support.clients import describe_response
from focus_support.context import SuiteContext
from focus_support.errors import MisconfiguredError, UnexpectedResponseError
from focus_support.models import LiveMetadata
from focus_support.scenario_state import ScenarioState
from focus_support.scenarios.metadata import require_fibre


def fibre_precondition(suite: SuiteContext) -> str | None:
    """Why scenarios needing live fibre cannot run here (the preflight saw "waiting for fibre"), or None."""
    row = suite.preflight().get("fibre")
    if row is not None and row.status.value == "precondition":
        return f"the environment is waiting for fibre: {row.detail}"
    return None


def require_live_fibre(suite: SuiteContext, state: ScenarioState) -> LiveMetadata:
    """Live metadata of a system that is receiving fibre; waiting for fibre is a precondition error.

    Focus Server answering anything but 200 here is the product's failure (it was reached), never a
    reason to skip: the scenario fails with the exchange.
    """
    response = suite.focus.get_live_metadata_response()
    if response.status_code != 200:
        raise UnexpectedResponseError(f"expected GET /live_metadata to answer 200 so the fibre state is known:\n"
                                      f"{describe_response(response)}", response)
    state.live_metadata = require_fibre(response.json())
    return state.live_metadata


_JOB_ID_IN_NAME = re.compile(r"(?:grpc-job|cleanup-job|grpc-service)-(\d+-\d+)")


def job_id_in(response: Any) -> str | None:
    """The job id an answer hands the client, if any: the only proof that a job is the suite's."""
    try:
        body = response.json()
    except ValueError:
        return None
    job_id = body.get("job_id") if isinstance(body, dict) else None
    return job_id if isinstance(job_id, str) and job_id else None


def has_namespace_to_itself(suite: SuiteContext) -> bool:
    """True where nobody else uses the environment, so whatever appears in the namespace is the run's."""
    return not suite.environment.shared


def require_namespace_to_itself(suite: SuiteContext, what: str) -> None:
    """A step that compares the whole namespace must not run on a shared environment (suite bug)."""
    if suite.environment.shared:
        raise MisconfiguredError(f"{what} compares the whole namespace, which environment "
                                 f"'{suite.environment.name}' shares with other clients; the scenario "
                                 "must be tagged @exclusive")


def register_job(suite: SuiteContext, state: ScenarioState, job_id: str) -> str:
    """The one place a job the suite started is registered: the run's tracker cleans it up (even after
    a failure) and the scenario lists it as its own. Returns the id."""
    suite.jobs.register(job_id)
    if job_id not in state.created_job_ids:
        state.created_job_ids.append(job_id)
    return job_id


def register_job_from(suite: SuiteContext, state: ScenarioState, response: Any) -> str | None:
    """If an answer hands the client a job id, register that job the moment it is known; returns the id."""
    job_id = job_id_in(response)
    return register_job(suite, state, job_id) if job_id else None


def adopt_stray_jobs(suite: SuiteContext, state: ScenarioState, resource_names: list[str]) -> list[str]:
    """Register jobs a request should not have started, so the run still cleans them up.

    Only on an environment the run has to itself: there every job in the namespace is the run's.
    On a shared one a job is the suite's only by the id it received.
    """
    require_namespace_to_itself(suite, "adopting stray jobs")
    job_ids = sorted({m.group(1) for name in resource_names if (m := _JOB_ID_IN_NAME.search(name))})
    for job_id in job_ids:
        register_job(suite, state, job_id)
    return job_ids
