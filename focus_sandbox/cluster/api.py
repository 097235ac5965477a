"""The Kubernetes REST API of the sandbox cluster (FastAPI), plain JSON over http, no auth."""
from __future__ import annotations

import asyncio
import json

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from focus_sandbox.audit import AuditLog, actor_of

from . import discovery
from .resources import KINDS, ApiError
from .tables import table_for, wants_table
from .watch import watch_events

_DEFAULT_WATCH_S = 300.0
_FOLLOW_POLL_S = 0.2


def _json(body: dict, code: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=code)


def _resource(group_version: str, resource: str) -> str:
    if resource not in discovery.served_resources(group_version) or resource not in KINDS:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    return resource


async def _body(request: Request):
    raw = await request.body()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, "BadRequest", f"the request body is not valid JSON: {exc}") from exc


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


def build_app(cluster) -> FastAPI:
    """A FastAPI app serving ``cluster`` under the real Kubernetes paths."""
    app = FastAPI(title="sandbox Kubernetes API", docs_url=None, redoc_url=None, openapi_url=None)
    audit = AuditLog(getattr(cluster, "run_dir", None), "cluster")  # who deleted what (focus_sandbox.audit)

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError):
        return _json(exc.status(), exc.code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException):
        reason = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "BadRequest")
        message = "the server could not find the requested resource" if exc.status_code == 404 else str(exc.detail)
        return _json(ApiError(exc.status_code, reason, message).status(), exc.status_code)

    # ------------------------------------------------------------------ discovery
    @app.get("/version")
    def version():
        return discovery.version()

    @app.get("/api")
    def api():
        return discovery.api_versions()

    @app.get("/apis")
    def apis():
        return discovery.api_group_list()

    @app.get("/api/v1")
    def core_resources():
        return discovery.resource_list("v1")

    @app.get("/apis/{group}")
    def group(group: str):
        if group not in discovery.GROUPS:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return discovery.api_group(group)

    @app.get("/apis/{group}/{version}")
    def group_resources(group: str, version: str):
        listing = discovery.resource_list(f"{group}/{version}")
        if listing is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return listing

    # ------------------------------------------------------------------ shared handlers
    def list_or_watch(request: Request, group_version: str, resource: str, namespace: str | None):
        resource = _resource(group_version, resource)
        q = request.query_params
        if _truthy(q.get("watch")):
            timeout = float(q.get("timeoutSeconds") or _DEFAULT_WATCH_S)
            return StreamingResponse(
                watch_events(cluster, resource, namespace, q.get("labelSelector"), q.get("fieldSelector"),
                             q.get("resourceVersion"), timeout, request.is_disconnected),
                media_type="application/json")
        items, revision = cluster.list_objects(resource, namespace, q.get("labelSelector"), q.get("fieldSelector"))
        if wants_table(request.headers.get("accept")):
            return _json(table_for(resource, items, revision))
        kind = KINDS[resource]
        return _json({"kind": f"{kind.kind}List", "apiVersion": kind.api_version,
                      "metadata": {"resourceVersion": str(revision)}, "items": items})

    def get_one(request: Request, group_version: str, resource: str, namespace: str, name: str):
        resource = _resource(group_version, resource)
        obj = cluster.get_object(resource, namespace, name)
        if wants_table(request.headers.get("accept")):
            return _json(table_for(resource, [obj], int(obj["metadata"]["resourceVersion"])))
        return _json(obj)

    async def create(request: Request, group_version: str, resource: str, namespace: str):
        resource = _resource(group_version, resource)
        body = await _body(request)
        if resource == "jobs":
            return _json(cluster.create_job(namespace, body), 201)
        if resource == "services":
            return _json(cluster.create_service(namespace, body), 201)
        raise ApiError(405, "MethodNotAllowed", f"the sandbox does not create {resource} through the API")

    def delete(request: Request, group_version: str, resource: str, namespace: str, name: str):
        resource = _resource(group_version, resource)
        if resource in ("jobs", "pods", "services"):
            audit.record("delete", f"{resource}/{name}", actor_of(request), namespace=namespace)
        if resource == "jobs":
            return _json(cluster.delete_job(namespace, name))
        if resource == "pods":
            return _json(cluster.delete_pod(namespace, name))
        if resource == "services":
            return _json(cluster.delete_service(namespace, name))
        raise ApiError(405, "MethodNotAllowed", f"the sandbox does not delete {resource} through the API")

    # ------------------------------------------------------------------ core group
    @app.get("/api/v1/{resource}")
    def core_list_all(request: Request, resource: str):
        return list_or_watch(request, "v1", resource, None)

    @app.get("/api/v1/{resource}/{name}")
    def core_get_cluster_scoped(request: Request, resource: str, name: str):
        if resource not in ("namespaces", "nodes"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return get_one(request, "v1", resource, "", name)

    @app.get("/api/v1/namespaces/{namespace}/{resource}")
    def core_list(request: Request, namespace: str, resource: str):
        return list_or_watch(request, "v1", resource, namespace)

    @app.post("/api/v1/namespaces/{namespace}/{resource}")
    async def core_create(request: Request, namespace: str, resource: str):
        return await create(request, "v1", resource, namespace)

    @app.get("/api/v1/namespaces/{namespace}/{resource}/{name}")
    def core_get(request: Request, namespace: str, resource: str, name: str):
        return get_one(request, "v1", resource, namespace, name)

    @app.delete("/api/v1/namespaces/{namespace}/{resource}/{name}")
    def core_delete(request: Request, namespace: str, resource: str, name: str):
        return delete(request, "v1", resource, namespace, name)

    @app.get("/api/v1/namespaces/{namespace}/pods/{name}/log")
    def pod_log(request: Request, namespace: str, name: str):
        q = request.query_params
        tail_lines = int(q["tailLines"]) if q.get("tailLines") not in (None, "") else None
        if tail_lines is not None and tail_lines < 0:
            tail_lines = None  # kubectl sends -1 for "everything"
        text = cluster.read_pod_log(namespace, name, tail_lines)
        if not _truthy(q.get("follow")):
            return PlainTextResponse(text)
        return StreamingResponse(_follow(cluster, namespace, name, text, request), media_type="text/plain")

    # ------------------------------------------------------------------ named groups
    @app.get("/apis/{group}/{version}/{resource}")
    def group_list_all(request: Request, group: str, version: str, resource: str):
        return list_or_watch(request, f"{group}/{version}", resource, None)

    @app.get("/apis/{group}/{version}/namespaces/{namespace}/{resource}")
    def group_list(request: Request, group: str, version: str, namespace: str, resource: str):
        return list_or_watch(request, f"{group}/{version}", resource, namespace)

    @app.post("/apis/{group}/{version}/namespaces/{namespace}/{resource}")
    async def group_create(request: Request, group: str, version: str, namespace: str, resource: str):
        return await create(request, f"{group}/{version}", resource, namespace)

    @app.get("/apis/{group}/{version}/namespaces/{namespace}/{resource}/{name}")
    def group_get(request: Request, group: str, version: str, namespace: str, resource: str, name: str):
        return get_one(request, f"{group}/{version}", resource, namespace, name)

    @app.delete("/apis/{group}/{version}/namespaces/{namespace}/{resource}/{name}")
    def group_delete(request: Request, group: str, version: str, namespace: str, resource: str, name: str):
        return delete(request, f"{group}/{version}", resource, namespace, name)

    @app.patch("/apis/{group}/{version}/namespaces/{namespace}/{resource}/{name}")
    async def group_patch(request: Request, group: str, version: str, namespace: str, resource: str, name: str):
        resource = _resource(f"{group}/{version}", resource)
        if resource != "deployments":
            raise ApiError(405, "MethodNotAllowed", f"the sandbox does not patch {resource}")
        body = await _body(request)
        return _json(cluster.patch_deployment(namespace, name, body, request.headers.get("content-type", "")))

    @app.get("/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale")
    def read_scale(namespace: str, name: str):
        return _json(cluster.read_scale(namespace, name))

    @app.patch("/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale")
    async def patch_scale(request: Request, namespace: str, name: str):
        body = await _body(request)
        return _json(cluster.patch_scale(namespace, name, body, request.headers.get("content-type", "")))

    @app.put("/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale")
    async def replace_scale(request: Request, namespace: str, name: str):
        return _json(cluster.replace_scale(namespace, name, await _body(request)))

    @app.get("/openapi/v2")
    @app.get("/openapi/v3")
    def no_openapi():
        # kubectl copes without OpenAPI documents (it only loses client-side validation).
        return Response(status_code=404)

    return app


async def _follow(cluster, namespace: str, name: str, already: str, request: Request):
    """``follow=true``: what the log has, then what the process appends, until it exits or the
    client hangs up (async, so that a gone client ends the loop at once)."""
    path = cluster.pods_dir / f"{name}.log"
    try:
        position = path.stat().st_size
    except FileNotFoundError:
        position = 0
    yield already.encode()
    while True:
        running = cluster.pod_running(namespace, name)
        try:
            with open(path, "rb") as log:
                log.seek(position)
                chunk = log.read()
        except FileNotFoundError:
            return
        if chunk:
            position += len(chunk)
            yield chunk
        if not running or cluster.closed or await request.is_disconnected():
            return
        await asyncio.sleep(_FOLLOW_POLL_S)
