"""``python -m agent``: run the agent with uvicorn on AGENT_HOST:AGENT_PORT (SIGTERM = clean shutdown)."""

import logging

import uvicorn

from .app import create_app
from .settings import get_settings


def main() -> None:
    s = get_settings()
    logging.basicConfig(level=s.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(
        create_app(s), host=s.host, port=s.port, log_level=s.log_level.lower(),
        timeout_graceful_shutdown=10, ws_ping_interval=None,
    )


if __name__ == "__main__":
    main()
