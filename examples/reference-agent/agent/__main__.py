"""``python -m agent``: run the agent with uvicorn on AGENT_HOST:AGENT_PORT.

SIGTERM/SIGINT: first every active call is ended cleanly (Call Control hangup,
pipeline cancelled, call_logs finalised with end_reason 'agent_shutdown'), then
uvicorn stops and the lifespan closes the pool.  A second signal exits at once.
"""

import asyncio
import logging

import uvicorn

from .app import create_app, shutdown_calls
from .malloc import limit_arenas
from .settings import get_settings

log = logging.getLogger("agent")


class AgentServer(uvicorn.Server):
    def __init__(self, config, runtime):
        super().__init__(config)
        self.rt = runtime
        self._draining = False

    def handle_exit(self, sig, frame):
        if self._draining:
            return super().handle_exit(sig, frame)
        self._draining = True
        self.rt.shutting_down = True
        log.info("signal %s: ending %d active calls, then stopping", sig, len(self.rt.active_calls))
        loop = asyncio.get_event_loop()
        loop.call_soon_threadsafe(lambda: loop.create_task(self._drain(sig, frame)))

    async def _drain(self, sig, frame):
        try:
            await asyncio.wait_for(shutdown_calls(self.rt), 10)
        except Exception as e:
            log.warning("drain: %s", e)
        # not super().handle_exit(): uvicorn would re-raise the signal after shutdown (exit -15);
        # a drained shutdown exits 0
        self.should_exit = True


def main() -> None:
    s = get_settings()
    limit_arenas(s.malloc_arenas)  # before uvicorn, onnxruntime and the executors start threads
    logging.basicConfig(level=s.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(s)
    config = uvicorn.Config(app, host=s.host, port=s.port, log_level=s.log_level.lower(),
                            timeout_graceful_shutdown=10, ws_ping_interval=None)
    AgentServer(config, app.state.runtime).run()


if __name__ == "__main__":
    main()
