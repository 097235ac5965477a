"""The sandbox cluster against real processes, the official ``kubernetes`` client and real kubectl."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest
import uvicorn
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from focus_sandbox.cluster import Cluster, DeploymentSpec, write_kubeconfig
from focus_sandbox.cluster.patches import json_patch, merge_patch
from focus_sandbox.cluster.selectors import labels_match, parse_selector
from focus_support.waiting import wait_until

NS = "panda"
SLEEP_FOREVER = "import time; print('started', flush=True); time.sleep(600)"


def eventually(condition, describe: str, timeout_s: float = 10.0):
    """Poll ``condition`` until truthy; fail the test with the last state seen."""
    return wait_until(condition, timeout_s, 0.05, describe, on_timeout=lambda msg, _state: AssertionError(msg))


def pid_gone(pid: int) -> bool:
    """True when no live process has this pid (a zombie counts as gone: it runs nothing)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def job_manifest(name: str, code: str, *, labels: dict | None = None, ttl: int | None = None,
                 env: dict | None = None, node_selector: dict | None = None) -> dict:
    """A Job running a python one-liner, shaped as the Focus Server posts them."""
    pod_spec: dict = {"restartPolicy": "Never", "containers": [{
        "name": name, "image": "sandbox", "command": ["python", "-c"], "args": [code],
        "env": [{"name": k, "value": v} for k, v in (env or {}).items()]}]}
    if node_selector:
        pod_spec["nodeSelector"] = node_selector
    spec: dict = {"backoffLimit": 0, "template": {"metadata": {"labels": labels or {"app": name}}, "spec": pod_spec}}
    if ttl is not None:
        spec["ttlSecondsAfterFinished"] = ttl
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": spec}


def sleeper(name: str, **overrides) -> DeploymentSpec:
    """A deployment whose process prints a line and sleeps."""
    return DeploymentSpec(name=name, namespace=NS, command=[sys.executable, "-c", SLEEP_FOREVER],
                          labels={"app": name}, stop_timeout_s=5.0, **overrides)


# ---------------------------------------------------------------------------------------- fixtures
@pytest.fixture
def cluster(tmp_path: Path):
    """A cluster in a private run dir; shut down afterwards, leaking no process."""
    cluster = Cluster(run_dir=tmp_path / "run")
    yield cluster
    owned = cluster.pids()
    cluster.shutdown()
    assert cluster.pids() == [], f"cluster still owns processes after shutdown: {cluster.pids()}"
    leaked = [pid for pid in owned if not pid_gone(pid)]
    assert not leaked, f"processes outlived the cluster's shutdown: {leaked}"


@pytest.fixture
def cluster_api(cluster: Cluster, tmp_path: Path):
    """The cluster's Kubernetes API served by uvicorn on a free loopback port; yields the base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(cluster.app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, name="cluster-api", daemon=True)
    thread.start()
    wait_until(lambda: server.started, 10, 0.02, "uvicorn to serve the cluster API")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def kube(cluster_api: str):
    """The official client's APIs bound to the sandbox cluster."""
    configuration = k8s.Configuration()
    configuration.host = cluster_api
    api_client = k8s.ApiClient(configuration)
    yield type("Kube", (), {"batch": k8s.BatchV1Api(api_client), "core": k8s.CoreV1Api(api_client),
                            "apps": k8s.AppsV1Api(api_client)})
    api_client.close()


@pytest.fixture
def kubectl(cluster_api: str, tmp_path: Path):
    """Run kubectl against the cluster through a kubeconfig written by ``write_kubeconfig``."""
    binary = shutil.which("kubectl")
    if binary is None:
        pytest.fail("kubectl is not installed (Debian package kubernetes-client); the sandbox needs it")
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", cluster_api)
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(tmp_path)}  # discovery cache stays private

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([binary, *args], env=env, capture_output=True, text=True, timeout=60)
        if check:
            assert result.returncode == 0, f"kubectl {' '.join(args)} exited {result.returncode}: {result.stderr}"
        return result
    return run


def wait_job_condition(kube, name: str, kind: str):
    """The Job once it has condition ``kind`` True."""
    def has_it():
        job = kube.batch.read_namespaced_job(name, NS)
        return job if any(c.type == kind and c.status == "True" for c in job.status.conditions or []) else None
    return eventually(has_it, f"job {name} to reach condition {kind}")


def only_pod(kube, selector: str):
    pods = kube.core.list_namespaced_pod(NS, label_selector=selector).items
    assert len(pods) == 1, f"expected one pod for {selector}, found {[p.metadata.name for p in pods]}"
    return pods[0]


# ---------------------------------------------------------------------------------------- jobs
def test_job_exiting_zero_completes_then_is_deleted_after_its_ttl(kube):
    created = kube.batch.create_namespaced_job(NS, job_manifest("grpc-job-1-1", "print('done')", ttl=1))
    assert created.metadata.uid and created.metadata.creation_timestamp is not None

    job = wait_job_condition(kube, "grpc-job-1-1", "Complete")
    assert job.status.succeeded == 1 and not job.status.failed, f"job status: {job.status}"
    pod = only_pod(kube, "job-name=grpc-job-1-1")
    assert pod.status.phase == "Succeeded", f"pod phase {pod.status.phase}"
    assert pod.metadata.name.startswith("grpc-job-1-1-") and len(pod.metadata.name) == len("grpc-job-1-1-") + 5
    assert pod.metadata.labels["app"] == "grpc-job-1-1" and pod.metadata.labels["controller-uid"] == created.metadata.uid

    def job_and_pod_gone():
        jobs = kube.batch.list_namespaced_job(NS, field_selector="metadata.name=grpc-job-1-1").items
        pods = kube.core.list_namespaced_pod(NS, label_selector="job-name=grpc-job-1-1").items
        return not jobs and not pods
    eventually(job_and_pod_gone, "the finished job and its pod to be TTL-deleted", timeout_s=5)


def test_failing_job_is_failed_with_the_exit_code_on_its_pod(kube):
    kube.batch.create_namespaced_job(NS, job_manifest("bad", "import sys; print('oops'); sys.exit(3)"))
    job = wait_job_condition(kube, "bad", "Failed")
    assert job.status.failed == 1 and not job.status.succeeded and not job.status.active
    pod = only_pod(kube, "job-name=bad")
    assert pod.status.phase == "Failed"
    assert pod.status.container_statuses[0].state.terminated.exit_code == 3


def test_running_job_is_active_and_deleting_it_kills_its_process(cluster, kube):
    kube.batch.create_namespaced_job(NS, job_manifest("long", SLEEP_FOREVER))
    pod = eventually(lambda: (p := only_pod(kube, "job-name=long")).status.phase == "Running" and p, "pod Running")
    assert kube.batch.read_namespaced_job("long", NS).status.active == 1
    pid = cluster.pod_pid(pod.metadata.name)
    assert pid is not None and psutil.pid_exists(pid)

    kube.batch.delete_namespaced_job("long", NS, propagation_policy="Foreground")

    eventually(lambda: pid_gone(pid), f"job pod process {pid} to be killed")
    eventually(lambda: not kube.core.list_namespaced_pod(NS, label_selector="job-name=long").items, "pod removal")
    with pytest.raises(ApiException) as missing:
        kube.batch.read_namespaced_job("long", NS)
    assert missing.value.status == 404


def test_deleting_a_job_pod_kills_it_and_fails_the_job(cluster, kube):
    kube.batch.create_namespaced_job(NS, job_manifest("victim", SLEEP_FOREVER))
    pod = eventually(lambda: (p := only_pod(kube, "job-name=victim")).status.phase == "Running" and p, "pod Running")
    pid = cluster.pod_pid(pod.metadata.name)
    kube.core.delete_namespaced_pod(pod.metadata.name, NS)
    job = wait_job_condition(kube, "victim", "Failed")
    assert job.status.failed == 1
    assert pid_gone(pid)


def test_job_runs_command_and_args_with_its_env_and_this_interpreter(cluster, kube):
    code = "import os, sys; print(os.environ['GREETING'], sys.executable == os.environ['EXPECTED_PY'])"
    kube.batch.create_namespaced_job(NS, job_manifest("env", code, env={"GREETING": "hello", "EXPECTED_PY": sys.executable}))
    wait_job_condition(kube, "env", "Complete")
    pod = only_pod(kube, "job-name=env")
    assert kube.core.read_namespaced_pod_log(pod.metadata.name, NS) == "hello True\n"


def test_job_whose_command_cannot_start_fails_with_the_reason_in_its_log(kube):
    manifest = job_manifest("nocmd", "")
    manifest["spec"]["template"]["spec"]["containers"][0].update({"command": ["/nonexistent/binary"], "args": []})
    kube.batch.create_namespaced_job(NS, manifest)
    wait_job_condition(kube, "nocmd", "Failed")
    pod = only_pod(kube, "job-name=nocmd")
    assert pod.status.container_statuses[0].state.terminated.exit_code == 127
    assert "/nonexistent/binary" in kube.core.read_namespaced_pod_log(pod.metadata.name, NS)


def test_watch_streams_job_changes_until_complete(kube):
    from kubernetes import watch

    since = kube.batch.list_namespaced_job(NS).metadata.resource_version
    kube.batch.create_namespaced_job(NS, job_manifest("watched", "print('x')"))
    seen = []
    stream = watch.Watch()
    for event in stream.stream(kube.batch.list_namespaced_job, NS, resource_version=since, timeout_seconds=10):
        seen.append((event["type"], event["object"].metadata.name,
                     [c.type for c in event["object"].status.conditions or []]))
        if "Complete" in seen[-1][2]:
            stream.stop()
    assert seen and seen[-1][1] == "watched" and "Complete" in seen[-1][2], f"events seen: {seen}"


def test_pod_whose_node_selector_matches_no_node_stays_pending(cluster, kube):
    kube.batch.create_namespaced_job(NS, job_manifest("cleanup-job-7", SLEEP_FOREVER,
                                                      node_selector={"kubernetes.io/hostname": "worker-9"}))
    pod = only_pod(kube, "job-name=cleanup-job-7")
    assert pod.status.phase == "Pending"
    scheduled = {c.type: c for c in pod.status.conditions}["PodScheduled"]
    assert scheduled.status == "False" and scheduled.reason == "Unschedulable"
    assert cluster.pod_pid(pod.metadata.name) is None, "an unschedulable pod must not run"
    assert kube.batch.read_namespaced_job("cleanup-job-7", NS).status.active == 1
    with pytest.raises(ApiException) as waiting:
        kube.core.read_namespaced_pod_log(pod.metadata.name, NS)
    assert waiting.value.status == 400


def test_concurrent_job_creation_from_many_clients(cluster_api, cluster):
    import concurrent.futures
    import requests

    def post(index: int) -> int:
        manifest = job_manifest(f"burst-{index}", "print('ok')", labels={"burst": "yes"})
        return requests.post(f"{cluster_api}/apis/batch/v1/namespaces/{NS}/jobs", json=manifest, timeout=10).status_code
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(post, range(20)))
    assert codes == [201] * 20, codes

    def all_complete():
        jobs, _ = cluster.list_objects("jobs", NS, "burst=yes", None)
        return len(jobs) == 20 and all(j["status"].get("succeeded") == 1 for j in jobs) and jobs
    eventually(all_complete, "20 concurrently created jobs to complete", timeout_s=30)
    assert len(set(cluster.pod_names(label_selector="burst=yes"))) == 20


def test_duplicate_job_is_409_and_unknown_job_is_404_as_status_objects(kube):
    kube.batch.create_namespaced_job(NS, job_manifest("dup", "pass"))
    with pytest.raises(ApiException) as duplicate:
        kube.batch.create_namespaced_job(NS, job_manifest("dup", "pass"))
    body = json.loads(duplicate.value.body)
    assert duplicate.value.status == 409 and body["reason"] == "AlreadyExists" and body["kind"] == "Status"
    with pytest.raises(ApiException) as missing:
        kube.batch.read_namespaced_job("x", NS)
    assert json.loads(missing.value.body) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "NotFound",
        "code": 404, "message": 'jobs.batch "x" not found',
        "details": {"name": "x", "group": "batch", "kind": "jobs"}}


def test_list_filters_by_label_and_field_selectors(kube):
    for name, labels in (("sel-a", {"app": "a", "tier": "x"}), ("sel-b", {"app": "b"}), ("sel-c", {"app": "c"})):
        kube.batch.create_namespaced_job(NS, job_manifest(name, "pass", labels=labels))

    def names(**kwargs):
        return sorted(j.metadata.name for j in kube.batch.list_namespaced_job(NS, **kwargs).items)
    assert names(label_selector="app=a") == ["sel-a"]
    assert names(label_selector="app!=a") == ["sel-b", "sel-c"]
    assert names(label_selector="tier") == ["sel-a"]
    assert names(label_selector="!tier") == ["sel-b", "sel-c"]
    assert names(label_selector="app in (a,b)") == ["sel-a", "sel-b"]
    assert names(label_selector="app notin (a,b),app") == ["sel-c"]
    assert names(label_selector="app in (a,b),tier=x") == ["sel-a"]
    assert names(field_selector="metadata.name=sel-b") == ["sel-b"]
    pods = kube.core.list_namespaced_pod(NS, label_selector="app in (a,c)").items
    assert sorted(p.metadata.labels["job-name"] for p in pods) == ["sel-a", "sel-c"]


def test_pod_log_and_its_tail(cluster, kube):
    kube.batch.create_namespaced_job(NS, job_manifest("talk", "print('\\n'.join(f'line {i}' for i in range(5)))"))
    wait_job_condition(kube, "talk", "Complete")
    pod = only_pod(kube, "job-name=talk").metadata.name
    assert kube.core.read_namespaced_pod_log(pod, NS) == "".join(f"line {i}\n" for i in range(5))
    assert kube.core.read_namespaced_pod_log(pod, NS, tail_lines=2) == "line 3\nline 4\n"
    assert cluster.pod_log_tail(pod, lines=1) == "line 4\n"


# ---------------------------------------------------------------------------------------- services
def test_services_are_stored_with_node_ports_allocated(kube):
    first = kube.core.create_namespaced_service(NS, {"metadata": {"name": "grpc-service-1"},
                                                     "spec": {"type": "NodePort", "ports": [{"port": 12301}]}})
    second = kube.core.create_namespaced_service(NS, {"metadata": {"name": "grpc-service-2"},
                                                      "spec": {"type": "NodePort", "ports": [{"port": 12302}]}})
    ports = [first.spec.ports[0].node_port, second.spec.ports[0].node_port]
    assert all(30000 <= p <= 32767 for p in ports) and ports[0] != ports[1], ports
    assert sorted(s.metadata.name for s in kube.core.list_namespaced_service(NS).items) == ["grpc-service-1", "grpc-service-2"]
    kube.core.delete_namespaced_service("grpc-service-1", NS)
    with pytest.raises(ApiException) as missing:
        kube.core.read_namespaced_service("grpc-service-1", NS)
    assert missing.value.status == 404


# ---------------------------------------------------------------------------------------- deployments
def test_deployment_pod_is_replaced_after_it_is_deleted(cluster, kube):
    cluster.add_deployment(sleeper("focus-server"))
    first = cluster.wait_ready("focus-server", timeout_s=10)
    first_pid = cluster.pod_pid(first)
    assert first.startswith("focus-server-") and len(first.split("-")[-2]) == 10 and len(first.split("-")[-1]) == 5

    kube.core.delete_namespaced_pod(first, NS)

    second = eventually(lambda: (n := cluster.wait_ready("focus-server", 10)) != first and n, "a replacement pod")
    assert pid_gone(first_pid), "the deleted pod's process must be stopped before its replacement starts"
    assert only_pod(kube, "app=focus-server").metadata.name == second
    deployment = kube.apps.read_namespaced_deployment("focus-server", NS)
    assert deployment.status.ready_replicas == 1


def test_deployment_pod_is_replaced_after_its_process_dies(cluster):
    cluster.add_deployment(sleeper("mongodb"))
    first = cluster.wait_ready("mongodb", timeout_s=10)
    os.kill(cluster.pod_pid(first), signal.SIGKILL)
    second = eventually(lambda: (n := cluster.wait_ready("mongodb", 10)) != first and n, "a replacement pod")
    assert cluster.pod_names(label_selector="app=mongodb") == [second]


def test_scaling_to_zero_stops_the_process_and_back_to_one_starts_it_again(cluster, kube):
    cluster.add_deployment(sleeper("rabbitmq"))
    first = cluster.wait_ready("rabbitmq", timeout_s=10)
    pid = cluster.pod_pid(first)

    scale = kube.apps.patch_namespaced_deployment_scale("rabbitmq", NS, {"spec": {"replicas": 0}})
    assert scale.spec.replicas == 0
    eventually(lambda: pid_gone(pid), "the scaled-down process to stop")
    eventually(lambda: not cluster.pod_names(label_selector="app=rabbitmq"), "no rabbitmq pod")
    assert kube.apps.read_namespaced_deployment("rabbitmq", NS).spec.replicas == 0

    kube.apps.patch_namespaced_deployment("rabbitmq", NS, {"spec": {"replicas": 1}})
    second = cluster.wait_ready("rabbitmq", timeout_s=10)
    assert second != first
    eventually(lambda: cluster.pod_log_tail(second) == "started\n", "the same command to run again")


def test_scale_subresource_get_put_and_json_patch(cluster, kube):
    cluster.add_deployment(sleeper("scaled"))
    cluster.wait_ready("scaled", timeout_s=10)
    assert kube.apps.read_namespaced_deployment_scale("scaled", NS).spec.replicas == 1

    kube.apps.replace_namespaced_deployment_scale("scaled", NS, {"metadata": {"name": "scaled"}, "spec": {"replicas": 0}})
    eventually(lambda: not cluster.pod_names(label_selector="app=scaled"), "scale PUT to 0 to remove the pod")

    kube.apps.patch_namespaced_deployment("scaled", NS, [{"op": "replace", "path": "/spec/replicas", "value": 1}])
    cluster.wait_ready("scaled", timeout_s=10)
    deployment = kube.apps.read_namespaced_deployment("scaled", NS)
    assert deployment.spec.replicas == 1 and deployment.status.ready_replicas == 1


def test_stop_escalates_to_sigkill_when_the_stop_signal_is_ignored(cluster):
    stubborn = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                "print('started', flush=True); time.sleep(600)")
    cluster.add_deployment(DeploymentSpec(name="stubborn", namespace=NS, command=[sys.executable, "-c", stubborn],
                                          labels={"app": "stubborn"}, stop_timeout_s=0.5,
                                          readiness=None))
    pod = cluster.wait_ready("stubborn", timeout_s=10)
    eventually(lambda: "started" in cluster.pod_log_tail(pod), "the handler to be installed")
    pid = cluster.pod_pid(pod)
    cluster.scale_deployment("stubborn", 0)
    eventually(lambda: pid_gone(pid), "SIGKILL after the stop timeout", timeout_s=5)


def test_crash_looping_deployment_backs_off(cluster):
    started = time.monotonic()
    cluster.add_deployment(DeploymentSpec(name="crasher", namespace=NS, command=[sys.executable, "-c", "raise SystemExit(4)"],
                                          readiness=lambda: False))
    logs = cluster.pods_dir
    eventually(lambda: len(list(logs.glob("crasher-*.log"))) >= 4, "four pods of the crashing deployment")
    # Restarts after quick exits wait 0, 0.25 s, 0.5 s...: the 4th pod cannot start before 0.75 s.
    assert time.monotonic() - started >= 0.75, "a crashing pod was restarted without back-off"
    with pytest.raises(TimeoutError) as timeout:
        cluster.wait_ready("crasher", timeout_s=0.1)
    assert "last exit code=4" in str(timeout.value)


def test_wait_ready_times_out_with_the_pod_log_tail(cluster):
    spec = DeploymentSpec(name="never", namespace=NS, command=[sys.executable, "-c", "print('boom', flush=True); import time; time.sleep(600)"],
                          readiness=lambda: False)
    cluster.add_deployment(spec)
    eventually(lambda: "boom" in cluster.pod_log_tail(cluster.pod_names(label_selector="app=never")[0]), "output")
    with pytest.raises(TimeoutError) as timeout:
        cluster.wait_ready("never", timeout_s=0.3)
    assert "boom" in str(timeout.value) and "never" in str(timeout.value)


def test_readiness_check_gates_ready(cluster, kube, tmp_path):
    flag = tmp_path / "ready.flag"
    cluster.add_deployment(sleeper("gated", readiness=flag.exists))
    pod = eventually(lambda: cluster.pod_names(label_selector="app=gated"), "a pod")[0]
    assert not any(c.type == "Ready" and c.status == "True" for c in kube.core.read_namespaced_pod(pod, NS).status.conditions)
    flag.touch()
    assert cluster.wait_ready("gated", timeout_s=5) == pod


# ---------------------------------------------------------------------------------------- kubectl
def test_kubectl_get_logs_delete_and_scale(cluster, kubectl):
    cluster.add_deployment(sleeper("focus-server"))
    cluster.wait_ready("focus-server", timeout_s=10)
    cluster.create_job(NS, job_manifest("grpc-job-2-1", SLEEP_FOREVER, labels={"app": "grpc-job-2-1"}))
    cluster.create_service(NS, {"metadata": {"name": "grpc-service-2-1"}, "spec": {"type": "NodePort", "ports": [{"port": 1}]}})

    listed = json.loads(kubectl("get", "jobs,pods,services", "-n", NS, "-o", "json").stdout)
    kinds = sorted((item["kind"], item["metadata"]["name"].rsplit("-", 1)[0]) for item in listed["items"])
    assert ("Job", "grpc-job-2") in kinds and ("Service", "grpc-service-2") in kinds, kinds
    assert sum(kind == "Pod" for kind, _ in kinds) == 2, kinds

    pods = json.loads(kubectl("get", "pods", "-n", NS, "-l", "app=grpc-job-2-1", "-o", "json").stdout)["items"]
    assert len(pods) == 1, pods
    job_pod = pods[0]["metadata"]["name"]
    eventually(lambda: kubectl("logs", job_pod, "-n", NS).stdout == "started\n", "kubectl logs to show the output")
    assert "grpc-job-2-1" in kubectl("get", "pods", "-n", NS).stdout  # the human-readable table

    pid = cluster.pod_pid(job_pod)
    assert 'job.batch "grpc-job-2-1" deleted' in kubectl("delete", "job", "grpc-job-2-1", "-n", NS).stdout
    eventually(lambda: pid_gone(pid), "kubectl delete job to kill the pod process")

    server_pid = cluster.pod_pid(cluster.pod_names(label_selector="app=focus-server")[0])
    assert "scaled" in kubectl("scale", "deployment", "focus-server", "--replicas=0", "-n", NS).stdout
    eventually(lambda: pid_gone(server_pid), "kubectl scale to 0 to stop the process")
    missing = kubectl("get", "job", "nope", "-n", NS, check=False)
    assert missing.returncode != 0 and 'jobs.batch "nope" not found' in missing.stderr


# ---------------------------------------------------------------------------------------- lifecycle
def test_shutdown_stops_every_process_including_grandchildren_and_is_idempotent(tmp_path):
    cluster = Cluster(run_dir=tmp_path / "run")
    spawn_child = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
                   "print('started', flush=True); time.sleep(600)")
    cluster.add_deployment(DeploymentSpec(name="parent", namespace=NS, command=[sys.executable, "-c", spawn_child]))
    cluster.add_deployment(sleeper("other"))
    cluster.create_job(NS, job_manifest("job", spawn_child))
    eventually(lambda: len(cluster.pids()) >= 5, "three pods and two grandchildren")
    owned = cluster.pids()

    cluster.shutdown()
    cluster.shutdown()

    assert cluster.pids() == []
    assert [pid for pid in owned if not pid_gone(pid)] == [], "processes survived shutdown"


def test_a_killed_daemon_leaks_no_pod_process(tmp_path):
    daemon = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from focus_sandbox.cluster import Cluster, DeploymentSpec
        cluster = Cluster(run_dir=Path({str(tmp_path / 'run')!r}))
        cluster.add_deployment(DeploymentSpec(name="orphan", command=[sys.executable, "-c", {SLEEP_FOREVER!r}]))
        cluster.wait_ready("orphan", timeout_s=10)
        print(*cluster.pids(), flush=True)
        sys.stdin.read()
    """)
    proc = subprocess.Popen([sys.executable, "-c", daemon], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert pids, "the daemon reported no pod process"
        proc.kill()
        proc.wait(timeout=10)
        eventually(lambda: all(pid_gone(pid) for pid in pids), f"pod processes {pids} to die with their daemon")
    finally:
        proc.kill()
        proc.wait(timeout=10)


# ---------------------------------------------------------------------------------------- units
@pytest.mark.parametrize("selector, labels, expected", [
    ("app=a", {"app": "a"}, True), ("app==a", {"app": "b"}, False), ("app!=a", {}, True),
    ("app", {"app": ""}, True), ("!app", {"app": "a"}, False), ("app in (a, b)", {"app": "b"}, True),
    ("app notin (a,b)", {"app": "b"}, False), ("app=a,tier in (x,y)", {"app": "a", "tier": "y"}, True),
    ("", {"x": "y"}, True),
])
def test_label_selector_semantics(selector, labels, expected):
    assert labels_match(parse_selector(selector), labels) is expected


def test_patch_formats():
    target = {"spec": {"replicas": 1, "selector": {"a": "b"}}}
    assert merge_patch(target, {"spec": {"replicas": 0}}) == {"spec": {"replicas": 0, "selector": {"a": "b"}}}
    assert merge_patch(target, {"spec": {"selector": None}}) == {"spec": {"replicas": 1}}
    assert json_patch(target, [{"op": "replace", "path": "/spec/replicas", "value": 3}])["spec"]["replicas"] == 3
