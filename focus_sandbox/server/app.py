"""Assemble the server process: both apps on one port, MongoDB seeding and the job reaper."""
from __future__ import annotations

import logging
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path

import pymongo.errors
from fastapi import FastAPI

from focus_sandbox.server.broker import Broker
from focus_sandbox.server.focus_api import FocusContext, build_focus_app
from focus_sandbox.server.jobs import Orchestrator
from focus_sandbox.server.kube import Kube
from focus_sandbox.server.ratelimit import TokenBucket
from focus_sandbox.server.recordings import Recordings, make_client
from focus_sandbox.server.registry import Registry
from focus_sandbox.server.seed import seed
from focus_sandbox.server.webapp import build_webapp
from focus_sandbox.settings import SandboxConfig

log = logging.getLogger(__name__)

SEED_DEADLINE_S = 60.0


def _seed_until_done(config: SandboxConfig, client, stop: threading.Event) -> None:
    """Seed MongoDB, retrying while it is not reachable yet (the server must start regardless)."""
    deadline = time.monotonic() + SEED_DEADLINE_S
    last = None
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            seed(config, client)
            return
        except pymongo.errors.PyMongoError as exc:
            last = exc
            stop.wait(0.5)
    log.error("MongoDB seeding gave up after %.0f s: %s", SEED_DEADLINE_S, type(last).__name__)


def create_app(config: SandboxConfig, *, seed_mongodb: bool = True, reaper_interval_s: float = 1.0) -> FastAPI:
    """The root ASGI app: Focus Server at /focus-server, Web App at /prisma/api."""
    registry = Registry(Path(config.run_dir) / "focus-server")
    broker = Broker(config.rabbitmq_url, keep_one_connection=config.has("broker_connection_not_reopened"))
    orchestrator = Orchestrator(config, registry, Kube(config.kube_api_url, config.namespace), broker)
    mongo = make_client(config.mongodb_uri) if config.mongodb_uri else None
    recordings = Recordings(config, mongo) if mongo is not None else None
    limiter = TokenBucket(config.rate_limit.capacity, config.rate_limit.refill_per_s)
    stop = threading.Event()

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if mongo is not None and seed_mongodb:
            # Seed synchronously when MongoDB is up (tests read the seed as soon as /ack answers);
            # fall back to retrying in the background so a down MongoDB cannot block startup.
            try:
                seed(config, mongo)
            except pymongo.errors.PyMongoError:
                threading.Thread(target=_seed_until_done, args=(config, mongo, stop), daemon=True).start()
        reaper = threading.Thread(target=orchestrator.run_reaper, args=(reaper_interval_s,), daemon=True)
        reaper.start()
        broker.connect_early()  # only the broker_connection_not_reopened variant holds a connection
        yield
        stop.set()
        orchestrator.stop()
        broker.close()
        if recordings is not None and recordings.pinned is not None:
            recordings.pinned.close()
        if mongo is not None:
            mongo.close()

    root = FastAPI(title="Focus sandbox", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    root.mount("/focus-server", build_focus_app(FocusContext(config, orchestrator, recordings, limiter)))
    root.mount("/prisma/api", build_webapp(config, broker))
    root.state.orchestrator = orchestrator
    return root
