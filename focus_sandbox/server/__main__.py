"""``python -m focus_sandbox.server --config <sandbox-config.json> --host 127.0.0.1 --port P``."""
from __future__ import annotations

import argparse
import logging

import uvicorn

from focus_sandbox.server.app import create_app
from focus_sandbox.settings import SandboxConfig


def main(argv: list[str] | None = None) -> None:
    """Serve the Focus Server and the Prisma Web App on one port until SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m focus_sandbox.server", description=__doc__)
    parser.add_argument("--config", required=True, help="path of the run's sandbox-config.json")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ssl-certfile", help="serve HTTPS with this certificate (the rehearsal's)")
    parser.add_argument("--ssl-keyfile", help="the certificate's private key")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("pika").setLevel(logging.WARNING)  # pika logs every connection at INFO
    config = SandboxConfig.read(args.config)
    logging.getLogger(__name__).info("profile %s, defects %s", config.profile, config.defects or "none")
    # h11_max_incomplete_event_size bounds header size; timeout_keep_alive stops idle sockets piling up.
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning",
                h11_max_incomplete_event_size=64 * 1024, timeout_keep_alive=5,
                ssl_certfile=args.ssl_certfile, ssl_keyfile=args.ssl_keyfile)


if __name__ == "__main__":
    main()
