"""The support library against the real sandbox stack: Focus Server, Web App, broker, MongoDB, cluster."""
from __future__ import annotations

import time
import uuid

import pytest
from hamcrest import assert_that, has_length

from focus_support.calculations import expected_configure
from focus_support.cleanup import JobTracker
from focus_support.errors import ThrottledError
from focus_support.matchers import has_status, is_job_id, is_rejection, names_field, no_resources_for_job
from focus_support.models import AlertPush, ViewType, build_configure_request
from focus_support.preflight import Status
from focus_support.rabbit import Consumer, Publisher, amqp_queue_exists
from focus_support.retry import RetryPolicy
from focus_support.scenarios import configuration as cfg
from focus_support.scenarios.common import register_job_from
from focus_support.waiting import wait_for_infra

pytestmark = [pytest.mark.stack]


def test_preflight_finds_every_dependency(spec_stack):
    report = spec_stack.preflight(refresh=True)
    print(report.table())
    assert [r.dependency for r in report.results] == ["focus_server", "fibre", "web_app", "cluster", "ssh",
                                                      "mongodb", "rabbitmq", "rabbitmq_management"]
    assert all(r.status is Status.OK for r in report.results), report.table()
    report.require_focus_server()
    assert spec_stack.skip_reason(["requires_cluster", "requires_ssh", "destructive", "load"]) is None
    assert "unreachable" not in report.table().lower()


@pytest.mark.parametrize("view", list(ViewType))
def test_configure_matches_expectations_from_the_live_prr(ctx, view):
    live = ctx.focus.live_metadata()
    request = build_configure_request(view, channels=(7, 7) if view is ViewType.SINGLECHANNEL else (1, 8))
    response = cfg.configure_job(ctx, ctx.state, request)
    expected = expected_configure(request, live)
    assert_that(response.job_id, is_job_id())
    assert response.view_type is expected.view_type and response.spec_shaped
    assert response.channel_amount == expected.channel_amount
    assert response.channel_to_stream_index == expected.channel_to_stream_index
    assert response.frequencies_list == pytest.approx(expected.frequencies_list)
    assert response.lines_dt == pytest.approx(expected.lines_dt)
    metadata = wait_for_infra(lambda: ctx.focus.get_metadata_response(response.job_id).status_code == 200,
                              ctx.environment.timings.job_start_timeout_s, describe="metadata to answer")
    assert metadata and ctx.state.created_job_ids == [response.job_id]


def test_invalid_raw_body_is_rejected_naming_the_field(ctx):
    body = build_configure_request(ViewType.MULTICHANNEL).to_wire()
    body["displayInfo"]["height"] = 0
    response = ctx.state.remember(ctx.focus.raw("POST", "configure", body), body)
    assert_that(response, is_rejection())
    assert_that(response, names_field("height"))
    assert register_job_from(ctx, ctx.state, response) is None


def test_tracker_cancels_through_the_api_and_nothing_is_left(spec_stack):
    state = spec_stack.new_scenario("cancel")
    job = cfg.configure_job(spec_stack, state, build_configure_request(ViewType.MULTICHANNEL))
    k8s, mgmt = spec_stack.k8s, spec_stack.rabbit_management
    wait_for_infra(lambda: mgmt.job_queues(job.job_id), 5, describe="the job's queue")
    assert k8s.job_resources(job.job_id).jobs
    report = spec_stack.finish_scenario(state)
    assert report.clean, report.describe()
    assert [(o.job_id, o.route) for o in report.outcomes] == [(job.job_id, "api")]
    assert_that(job.job_id, no_resources_for_job(k8s, mgmt))
    assert [e.method for e in state.exchanges] == ["POST", "DELETE"]


def test_both_cluster_routes_see_the_same_job(ctx):
    job = cfg.configure_job(ctx, ctx.state, build_configure_request(ViewType.WATERFALL))
    direct, ssh = ctx.k8s.only("direct"), ctx.k8s.only("ssh")
    try:
        wait_for_infra(lambda: len(direct.job_resources(job.job_id).pods) >= 2, 10, describe="the job's pods")
        assert ssh.is_k8s_available()
        # the SSH snapshot first, the direct one right after: objects only disappear meanwhile (idle
        # timeout), so what the API still lists must be a subset of what kubectl listed
        b = ssh.job_resources(job.job_id)
        a = direct.job_resources(job.job_id)
        assert set(a.names()) <= set(b.names()), (a.names(), b.names())
        assert f"job/grpc-job-{job.job_id}" in b.names() and f"service/grpc-service-{job.job_id}" in b.names()
        pod = next(p for p in b.pods if p.name.startswith(f"grpc-job-{job.job_id}-"))
        assert isinstance(ssh.pod_logs(pod.name), str)
    finally:
        direct.close()
        ssh.close()


def test_leaks_are_reported_with_names_then_removed(spec_stack):
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=spec_stack.environment.kubernetes.kubeconfig)
    fake_id = f"99-{int(time.time())}"
    client.CoreV1Api(api).create_namespaced_service("panda", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": f"grpc-service-{fake_id}"},
        "spec": {"type": "NodePort", "ports": [{"port": 12399}]}})
    api.close()
    tracker = JobTracker(spec_stack.focus, spec_stack.k8s, spec_stack.rabbit_management, cleanup_timeout_s=1.0)
    tracker.register(fake_id)
    report = tracker.cleanup_scenario()
    assert not report.clean
    assert [str(leak) for leak in report.leaks] == [f"job {fake_id}: service/grpc-service-{fake_id}"]
    assert report.outcomes[0].route == "already-gone"  # the server does not know the id
    assert report.leaks[0].force_deleted == [f"service/grpc-service-{fake_id}"]
    assert "LEAK job" in report.describe()
    assert spec_stack.k8s.job_resources(fake_id).empty
    assert tracker.sweep().clean and tracker.run_jobs == [fake_id]


def _burst(ctx, state, count: int, policy: RetryPolicy) -> list:
    """Send ``count`` waterfall configures at once from separate clients; register every job created."""
    from concurrent.futures import ThreadPoolExecutor

    def one(_: int):
        focus = ctx.new_focus_client()
        try:
            return focus.send_configure(build_configure_request(ViewType.WATERFALL), retry=policy)
        finally:
            focus.close()

    with ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(one, i) for i in range(count)]
        outcomes = []
        for future in futures:
            try:
                response = future.result()
                register_job_from(ctx, state, response)
                outcomes.append(response)
            except ThrottledError as exc:
                register_job_from(ctx, state, exc.response)
                outcomes.append(exc)
    return outcomes


def test_rate_limit_answers_429_with_retry_after_and_retrying_honours_it(spec_stack):
    state = spec_stack.new_scenario("rate")
    try:
        burst = spec_stack.environment.rate_limit.capacity * 3
        responses = _burst(spec_stack, state, burst, RetryPolicy(max_retries=0))
        throttled = [r for r in responses if r.status_code == 429]
        assert throttled, [r.status_code for r in responses]
        assert all(int(r.headers["Retry-After"]) >= 1 for r in throttled)
        assert len(state.created_job_ids) == burst - len(throttled)  # a throttled request creates no job
        retried = _burst(spec_stack, state, burst, RetryPolicy(max_retries=8, initial_delay=0.5, max_delay=5))
        assert all(r.status_code == 200 for r in retried), [getattr(r, "status_code", r) for r in retried]
        posts = [e for e in spec_stack.recorder.exchanges if e.method == "POST"]
        assert any(e.attempt >= 2 for e in posts) and any(e.status == 429 for e in posts)
    finally:
        report = spec_stack.finish_scenario(state)
    assert report.clean, report.describe()


def test_throttled_beyond_retries_is_typed(spec_stack):
    state = spec_stack.new_scenario("throttled")
    try:
        outcomes = _burst(spec_stack, state, spec_stack.environment.rate_limit.capacity * 3,
                          RetryPolicy(max_retries=1, initial_delay=0.01, max_delay=0.01))
        errors = [o for o in outcomes if isinstance(o, ThrottledError)]
        assert errors and "429 after 2 attempts" in str(errors[0])
    finally:
        spec_stack.finish_scenario(state)


def test_alert_push_is_published_on_prisma(ctx):
    alert_id = f"it-{uuid.uuid4().hex[:8]}"
    with ctx.listen_to_prisma() as listener:
        response = ctx.web_app.send_push(AlertPush.build([alert_id]))
        assert_that(response, has_status(201))
        messages = listener.wait_for(lambda m: alert_id in m.body.decode(), 1, timeout_s=5, describe=f"alert {alert_id}")
    assert messages[0].routing_key.startswith("Algorithm.AlertReport")
    anonymous = ctx.new_web_app()
    try:
        assert_that(anonymous.send_push(AlertPush.build(["x"])), has_status(401))
        bad = anonymous.send_push({"classId": 103})
        assert bad.status_code in (400, 401)
    finally:
        anonymous.close()


def test_invalid_alert_publishes_nothing(ctx):
    with ctx.listen_to_prisma() as listener:
        response = ctx.web_app.send_push({"classId": 999, "severity": 3, "dofM": 1, "alertsAmount": 1,
                                          "alertIds": ["never"]})
        assert_that(response, has_status(400))
        assert_that(response, names_field("classId"))
        assert [m for m in listener.collect(1.0) if b"never" in m.body] == []


def test_publisher_confirms_and_consumer_receives_across_a_connection_reset(ctx):
    key = f"Algorithm.AlertReport.Test{uuid.uuid4().hex[:6]}"
    mgmt = ctx.rabbit_management
    with Consumer(ctx.rabbit_url, [key]) as consumer:
        publisher = Publisher(ctx.rabbit_url)
        try:
            publisher.publish(key, {"n": 1})
            consumer.wait_for(lambda m: m.json() == {"n": 1}, timeout_s=5)
            assert amqp_queue_exists(ctx.rabbit_url, consumer.queue) and mgmt.queue_exists(consumer.queue)
            assert not amqp_queue_exists(ctx.rabbit_url, "no-such-queue") and not mgmt.queue_exists("no-such-queue")
            # reset every client connection from the broker side: both must come back by themselves
            # the management API lists connections once its statistics caught up: poll for them
            listed = wait_for_infra(lambda: mgmt.connections(), 15, describe="connections to be listed")
            assert all(mgmt.close_connection(c["name"]) for c in listed)
            assert not mgmt.close_connection("no-such-connection")
            publisher.publish(key, {"n": 2})
            assert publisher.conn.reconnects >= 1 and publisher.confirmed == 2
            consumer.poll(0.2)  # the consumer notices its lost connection here and re-declares
            publisher.publish(key, {"n": 3})
            consumer.wait_for(lambda m: m.json() == {"n": 3}, timeout_s=5)
            assert consumer.conn.reconnects >= 1
        finally:
            publisher.close()


def test_mongodb_reports(ctx):
    mongo = ctx.mongo
    assert mongo.is_available() and mongo.is_k8s_available()
    where = mongo.recordings_collections()
    reports = mongo.schema_reports()
    recordings = reports[where.recordings]
    assert recordings.documents > 0 and recordings.missing == {} and recordings.field_types["start_time"] == {"date"}
    assert where.unrecognized in reports and "documents" in recordings.summary()
    index = mongo.index_report()
    assert index.missing == [] and index.find(("uuid",)).unique


# --- destructive: they restore what they break (undo registered first) ---------------------------
def test_broker_restart_publisher_and_durable_consumer_recover(ctx):
    key = "Algorithm.AlertReport.Restart"
    queue = f"it-restart-{uuid.uuid4().hex[:6]}"
    consumer = Consumer(ctx.rabbit_url, [key], queue=queue, durable=True, reconnect_timeout_s=60).start()
    publisher = Publisher(ctx.rabbit_url, reconnect_timeout_s=60)
    ctx.state.cleanup.register("close consumer", consumer.close)
    ctx.state.cleanup.register("delete test queue", lambda: ctx.rabbit_management.delete_queue(queue))
    ctx.state.cleanup.register("close publisher", publisher.close)
    publisher.publish(key, {"before": True})
    consumer.wait_for(lambda m: m.json() == {"before": True}, timeout_s=5)
    k8s = ctx.k8s
    ctx.state.cleanup.register("restore rabbitmq", lambda: k8s.scale_deployment("rabbitmq", 1))
    k8s.scale_deployment("rabbitmq", 0)
    wait_for_infra(lambda: not ctx.rabbit_management.is_available(), 30, describe="the broker to stop")
    k8s.scale_deployment("rabbitmq", 1)
    k8s.wait_deployment_ready("rabbitmq", 60)
    publisher.publish(key, {"after": True})  # reconnects with backoff, re-declares, waits for the confirm
    consumer.wait_for(lambda m: m.json() == {"after": True}, timeout_s=30)
    assert publisher.conn.reconnects >= 1 and consumer.conn.reconnects >= 1


def test_mongodb_outage_through_the_cluster(ctx):
    mongo = ctx.mongo
    ctx.state.cleanup.register("restore mongodb", lambda: mongo.start(60))
    mongo.stop(30)
    assert not mongo.is_available()
    mongo.start(60)
    assert mongo.is_available() and mongo.recordings_collections().recordings


# --- the observed profile ----------------------------------------------------------------------
def test_missing_cancel_route_falls_back_to_direct_deletion(observed_stack):
    state = observed_stack.new_scenario("observed-cancel")
    response = observed_stack.focus.send_configure(build_configure_request(ViewType.MULTICHANNEL))
    state.remember(response)
    job_id = register_job_from(observed_stack, state, response)
    assert job_id and response.json()["status"] == ""
    mgmt = observed_stack.rabbit_management
    wait_for_infra(lambda: mgmt.job_queues(job_id), 5, describe="the job's queue")
    report = observed_stack.finish_scenario(state)
    assert report.clean, report.describe()
    outcome = report.outcomes[0]
    assert outcome.used_fallback and report.fallbacks == [job_id]
    assert f"job/grpc-job-{job_id}" in outcome.deleted and any(d.startswith("queue/grpc-job-") for d in outcome.deleted)
    assert "404" in outcome.detail
    assert_that(job_id, no_resources_for_job(observed_stack.k8s, mgmt))
    assert_that(observed_stack.rabbit_management.job_queues(job_id), has_length(0))
