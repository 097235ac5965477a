"""``KubernetesManager`` on both routes against the sandbox cluster: the same typed results."""
from __future__ import annotations

import shutil

import pytest

from focus_support.errors import MisconfiguredError, UnreachableError
from focus_support.k8s import KubernetesManager, SshRoute
from focus_support.waiting import ProductTimeoutError, wait_for_infra

from . import cluster_fixture

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def access(tmp_path_factory):
    if shutil.which("kubectl") is None or not cluster_fixture.sshd.installed():
        pytest.fail("kubectl and openssh-server are required (scripts/bootstrap.sh installs them)")
    access, stop = cluster_fixture.start(tmp_path_factory.mktemp("k8s"))
    yield access
    stop()


@pytest.fixture(scope="module")
def managers(access):
    both = KubernetesManager(access.settings())
    direct, ssh = both.only("direct"), both.only("ssh")
    yield {"direct": direct, "ssh": ssh}
    for m in (both, direct, ssh):
        m.close()


def job_manifest(job_id: str, code: str = cluster_fixture.SLEEP, ttl: int | None = None) -> list[dict]:
    """A Focus job's streaming job, janitor-like job and service, named as the product names them."""
    def job(name: str, labels: dict) -> dict:
        spec = {"backoffLimit": 0, "template": {"metadata": {"labels": labels}, "spec": {
            "restartPolicy": "Never", "containers": [{"name": name, "image": "x", "command": ["python", "-c", code]}]}}}
        if ttl is not None:
            spec["ttlSecondsAfterFinished"] = ttl
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": spec}

    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"grpc-service-{job_id}"},
               "spec": {"type": "NodePort", "ports": [{"port": 12301}]}}
    return [job(f"grpc-job-{job_id}", {"app": f"grpc-job-{job_id}"}),
            job(f"cleanup-job-{job_id}", {"app": f"cleanup-job-{job_id}"}), service]


def create_focus_job(access, job_id: str, **kwargs) -> None:
    jobs_and_service = job_manifest(job_id, **kwargs)
    for manifest in jobs_and_service[:2]:
        access.cluster.create_job("panda", manifest)
    access.cluster.create_service("panda", jobs_and_service[2])


def test_each_route_alone_is_available_and_says_which_it_is(managers):
    for name, manager in managers.items():
        assert manager.is_k8s_available(), manager.problems
        assert manager.route_name == name and manager.configured_routes == [name]


@pytest.mark.parametrize("route", ["direct", "ssh"])
def test_deployments_are_listed(managers, route):
    names = [d.name for d in managers[route].list_deployments()]
    assert "focus-server" in names
    dep = managers[route].get_deployment("focus-server")
    assert dep is not None and dep.ready and dep.replicas == 1
    assert managers[route].get_deployment("nope") is None


def test_both_routes_return_the_same_typed_job_resources(access, managers):
    create_focus_job(access, "7-100")
    direct, ssh = managers["direct"], managers["ssh"]
    wait_for_infra(lambda: len(direct.job_resources("7-100").pods) == 2, 20, describe="both pods to exist")
    a, b = direct.job_resources("7-100"), ssh.job_resources("7-100")
    assert sorted(a.names()) == sorted(b.names())
    assert {"job/grpc-job-7-100", "job/cleanup-job-7-100", "service/grpc-service-7-100"} <= set(a.names())
    assert a.model_dump(exclude={"pods"}) == b.model_dump(exclude={"pods"})
    assert [(p.name, p.job_name, p.labels.get("app")) for p in sorted(a.pods, key=lambda p: p.name)] == \
        [(p.name, p.job_name, p.labels.get("app")) for p in sorted(b.pods, key=lambda p: p.name)]
    assert len(a.services[0].node_ports) == 1 and a.services[0].type == "NodePort"
    by_label = ssh.list_pods("app=grpc-job-7-100")
    assert len(by_label) == 1 and by_label[0].name.startswith("grpc-job-7-100-")
    # a Job without labels of its own takes its pod template's (as on a real cluster)
    assert [j.name for j in direct.list_jobs("app=grpc-job-7-100")] == ["grpc-job-7-100"]
    assert [j.name for j in ssh.list_jobs("app=grpc-job-7-100")] == ["grpc-job-7-100"]
    assert direct.list_services() and ssh.list_jobs()


@pytest.mark.parametrize("route", ["direct", "ssh"])
def test_logs_delete_and_wait_until_gone(access, managers, route):
    job_id = f"8-{1 if route == 'direct' else 2}"
    create_focus_job(access, job_id)
    manager = managers[route]
    pod = wait_for_infra(lambda: next(iter(manager.list_pods(f"app=grpc-job-{job_id}")), None), 20, describe="pod")
    wait_for_infra(lambda: "started" in manager.pod_logs(pod.name), 20, describe="the pod's first log line")
    assert manager.pod_logs(pod.name, tail_lines=1).strip() == "started"
    with pytest.raises(ProductTimeoutError, match=f"still present: .*job/grpc-job-{job_id}"):
        manager.wait_until_gone(job_id, timeout_s=0.5)
    deleted = manager.delete_job_resources(job_id)
    assert f"job/grpc-job-{job_id}" in deleted and f"service/grpc-service-{job_id}" in deleted
    manager.wait_until_gone(job_id, timeout_s=20)
    assert manager.delete_job(f"grpc-job-{job_id}") is False  # already gone


@pytest.mark.parametrize("route", ["direct", "ssh"])
def test_scale_deployment_and_delete_pod(access, managers, route):
    manager = managers[route]
    manager.scale_deployment("focus-server", 0)
    wait_for_infra(lambda: not manager.list_pods("app=focus-server"), 20, describe="focus-server pod to stop")
    manager.scale_deployment("focus-server", 1)
    manager.wait_deployment_ready("focus-server", 20)
    old = manager.list_pods("app=focus-server")[0].name
    assert manager.delete_pod(old)
    wait_for_infra(lambda: [p for p in manager.list_pods("app=focus-server") if p.name != old and p.phase == "Running"],
                   20, describe="a replacement pod")


def test_ssh_through_a_jump_host(access):
    manager = KubernetesManager(access.settings(kubeconfig=False, jump=True))
    try:
        assert manager.is_k8s_available(), manager.problems
        assert "focus-server" in [d.name for d in manager.list_deployments()]
    finally:
        manager.close()


def test_fallback_to_ssh_when_the_api_route_fails(access, tmp_path):
    broken = tmp_path / "kubeconfig"
    broken.write_text(access.kubeconfig.read_text().replace(access.api_url, f"http://127.0.0.1:{cluster_fixture.free_port()}"))
    settings = access.settings().model_copy(update={"kubeconfig": str(broken)})
    manager = KubernetesManager(settings)
    try:
        assert manager.is_k8s_available()
        assert manager.route_name == "ssh" and "direct" in manager.problems
    finally:
        manager.close()


def test_no_working_route_is_unavailable_with_reasons(access, tmp_path):
    settings = access.settings(kubeconfig=False).model_copy(update={"ssh": access.settings().ssh.model_copy(
        update={"key_file": str(tmp_path / "missing_key")})})
    manager = KubernetesManager(settings)
    assert not manager.is_k8s_available()
    with pytest.raises(UnreachableError, match="no route works: ssh"):
        manager.list_pods()
    with pytest.raises(MisconfiguredError, match="neither a kubeconfig nor an SSH route"):
        KubernetesManager(access.settings(kubeconfig=False, ssh=False)).active_route()


def test_unknown_host_key_is_refused(access, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    ssh = access.settings().ssh.model_copy(update={"known_hosts_file": str(empty)})
    route = SshRoute(ssh, "panda")
    with pytest.raises(UnreachableError, match="not found in known_hosts"):
        route.ping()
    route.close()


def test_remote_kubectl_failure_is_reported(access):
    route = SshRoute(access.settings().ssh, "panda")
    try:
        with pytest.raises(Exception, match="remote kubectl get nosuchkind"):
            route._kubectl("get", "nosuchkind")
        assert route.get("pods", "no-such-pod") is None
    finally:
        route.close()
