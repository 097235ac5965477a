"""Steps of features/capacity: graduated concurrent jobs and sustained alert pushes (issue 17)."""
from __future__ import annotations

from collections import Counter
from typing import Any

from behave import given, then, when

from focus_support.matchers import resource_kinds, response_kind
from focus_support.reporting import evidence
from focus_support.scenarios import alert_load, alerts, capacity, capacity_figures as figures, notes_of
from focus_support.verdict import fail

SHOWN = 8  # failing jobs or pushes quoted in a failure message


def _notes(context) -> capacity.CapacityNotes:
    return notes_of(context.state, capacity.CapacityNotes)


def _ramp(context) -> capacity.Ramp:
    ramp = _notes(context).ramp
    if ramp is None:
        raise RuntimeError("no capacity step was run in this scenario")
    return ramp


def _record(context, step: figures.StepFigures) -> None:
    """Write the run's capacity summary and attach its table and chart to the running step."""
    env = context.suite.environment
    steps, document = figures.record_step(step, environment=env.name, declared_capacity=env.capacity)
    title = f"Concurrent live jobs on '{env.name}' (declared capacity {env.capacity})"
    figures.attach(steps, document, figures.chart_png(steps, title, env.timings.job_start_timeout_s))


def _quoted(lines: list[str]) -> str:
    more = f"\n  ... and {len(lines) - SHOWN} more" if len(lines) > SHOWN else ""
    return "\n  ".join(["", *lines[:SHOWN]]) + more


@given("the environment declares room for {jobs:d} concurrent jobs")
def step_room_for(context, jobs):
    reason = capacity.step_skip_reason(context.suite.environment, jobs)
    if reason:
        _record(context, figures.StepFigures(jobs=jobs, skipped=reason))
        context.scenario.skip(reason)


@when("I configure {jobs:d} live jobs at the pace Focus Server allows and watch each of them")
def step_configure_many(context, jobs):
    _notes(context).ramp = capacity.run_ramp(context.suite, context.state, jobs)


@then("at least 95 % of them are accepted and ready within the job start timeout")
def step_enough_ready(context):
    ramp = _ramp(context)
    step = ramp.figures()
    _record(context, step)
    if step.passed:
        return
    ready = {id(o) for o in ramp.ready_in_time()}
    missing = [o for o in ramp.outcomes if id(o) not in ready]
    kinds = [str(o.status) if not o.accepted and o.status else
             "no answer" if not o.accepted else "not ready" for o in missing] + ["not sent"] * ramp.not_sent
    counted = ", ".join(f"{n} {kind}" for kind, n in sorted(Counter(kinds).items()))
    unsent = f"\n  {ramp.not_sent} configure(s) not sent: the step's deadline passed" if ramp.not_sent else ""
    raise fail(f"expected at least {figures.READY_SHARE:.0%} of {ramp.jobs} jobs accepted and ready within "
               f"{ramp.start_timeout_s:g} s (the {step.role} step); seen {step.ready}/{ramp.jobs} ready, "
               f"{step.accepted} accepted, the others: {counted}\nwhere:{_quoted([o.describe() for o in missing])}"
               f"{unsent}", "capacity.ready", f"at least {figures.READY_SHARE:.0%} ready", kinds)


@then("each ready job streams on its own port")
def step_streams(context):
    ramp = _ramp(context)
    shared = capacity.shared_stream_addresses(ramp)
    streaming = {id(o) for o in ramp.streaming()}
    silent = [o for o in ramp.ready_in_time() if id(o) not in streaming]
    if not shared and not silent:
        return
    lines = [f"{target} given to jobs {', '.join(ids)}" for target, ids in shared.items()]
    lines += [o.describe() for o in silent]
    raise fail(f"expected every ready job to stream its first frame within {ramp.start_timeout_s:g} s on a "
               f"stream address of its own; seen {len(shared)} shared address(es) and {len(silent)} job(s) "
               f"not streaming\nwhere:{_quoted(lines)}", "capacity.streams", "a streaming port per job",
               (["shared port"] if shared else []) + (["no frame"] if silent else []))


@when("I cancel all of them")
def step_cancel_all(context):
    client = capacity.quiet_focus_client(context.suite)
    context.state.cleanup.register("close the cancelling client", client.close)
    refused = capacity.cancel_all(_ramp(context), client)
    if refused:
        lines = [capacity.describe_refused_cancel(job_id, response) for job_id, response in refused]
        raise fail(f"expected every cancellation answered 200, seen {len(refused)} refused\nwhere:{_quoted(lines)}",
                   "http.status", "200 cancelled", [response_kind(response) for _, response in refused])


@then("every resource of all of them is gone within the cleanup timeout")
def step_all_gone(context):
    suite, ramp = context.suite, _ramp(context)
    timeout = suite.environment.timings.cleanup_timeout_s
    left = capacity.leftovers_after(suite, ramp.job_ids(), timeout)
    if left is not None:
        lines = [f"job {job_id}: {', '.join(names)}" for job_id, names in sorted(left.items())]
        raise fail(f"expected every resource of {len(ramp.job_ids())} cancelled jobs gone within {timeout:g} s; "
                   f"seen {len(left)} job(s) with resources left\nwhere:{_quoted(lines)}", "job.resources", "gone",
                   resource_kinds(name for names in left.values() for name in names))


@when("a signed-in operator pushes {rate:d} alerts a second for {seconds:d} seconds, each with its own alert id")
def step_push_load(context, rate, seconds):
    suite, state, notes = context.suite, context.state, _notes(context)
    state.cleanup.register("delete the load's alerts",
                           lambda: notes.pushed_ids and alerts.delete_alerts(suite, list(notes.pushed_ids)))
    client = alert_load.signed_in_client(suite, state)
    notes.load = alert_load.push_steadily(client, rate, seconds, remember=notes.pushed_ids.append)
    evidence.attach("alert pushes", notes.load.summary() + "\n\n" + "\n".join(p.describe() for p in notes.load.pushes))


def _load(context) -> alert_load.PushLoad:
    load = _notes(context).load
    if load is None:
        raise RuntimeError("no alert load was pushed in this scenario")
    return load


@then("every push is either accepted or refused as too many requests")
def step_push_answers(context):
    load = _load(context)
    odd = load.unexpected()
    if odd:
        raise fail(f"expected every push answered 201 or 429; {load.summary()}\nwhere:"
                   f"{_quoted([p.describe() for p in odd])}", "http.status", "201 or 429",
                   [str(p.status) for p in odd])


@then("every refused push says after how many seconds to retry")
def step_retry_after(context):
    load = _load(context)
    bare = load.without_retry_after()
    if bare:
        raise fail(f"expected every 429 to carry a Retry-After in seconds; seen {len(bare)} without\nwhere:"
                   f"{_quoted([p.describe() for p in bare])}", "http.header", "Retry-After", "missing")


def _reports(context) -> Any:
    notes = _notes(context)
    if notes.reports is None:
        timings = context.suite.environment.timings
        notes.reports = alert_load.count_reports(context.state.listener, _load(context),
                                                 alerts.publish_deadline_s(timings), alerts.quiet_window_s(timings))
    return notes.reports


@then("every accepted alert is reported exactly once")
def step_accepted_reported_once(context):
    load, counts = _load(context), _reports(context)
    wrong = [f"alert {p.alert_id}: {counts[p.alert_id]} report(s)"
             for p in load.with_status(alert_load.ACCEPTED) if counts[p.alert_id] != 1]
    if wrong:
        seen = {"none" if counts[p.alert_id] == 0 else "duplicated" for p in load.with_status(alert_load.ACCEPTED)
                if counts[p.alert_id] != 1}
        raise fail(f"expected exactly one report per accepted alert; {load.summary()}\nwhere:{_quoted(wrong)}",
                   "alert.reports", "one per accepted alert", seen)


@then("no refused alert is reported")
def step_refused_not_reported(context):
    load, counts = _load(context), _reports(context)
    leaked = [f"alert {p.alert_id} (answered 429): {counts[p.alert_id]} report(s)"
              for p in load.with_status(alert_load.THROTTLED) if counts[p.alert_id]]
    if leaked:
        raise fail(f"expected no report of a refused push; {load.summary()}\nwhere:{_quoted(leaked)}",
                   "alert.reports", "none for a refused push", "published")
