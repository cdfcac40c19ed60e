"""One call: the media stream's transport, the pipeline, and its lifetime."""

from __future__ import annotations

from loguru import logger
from pipecat.frames.frames import LLMRunFrame
from pipecat.workers.runner import WorkerRunner

from .pipeline import build_worker
from .settings import Settings, load_settings
from .telephony import create_telnyx_transport


async def run_call(transport, settings: Settings, *, handle_sigint: bool = False):
    """Greet when the stream connects, end when it disconnects."""
    worker, context = build_worker(transport, settings)

    @transport.event_handler("on_client_connected")
    async def _connected(_transport, _client):
        context.add_message({"role": "user", "content": settings.greeting_instruction})
        await worker.queue_frames([LLMRunFrame()])

    @transport.event_handler("on_client_disconnected")
    async def _disconnected(_transport, _client):
        await worker.cancel()

    runner = WorkerRunner(handle_sigint=handle_sigint)
    await runner.add_workers(worker)
    await runner.run()


async def bot(runner_args):
    """The development runner's entry point: one WebSocket session per call."""
    settings = load_settings()
    try:
        transport, call_data = await create_telnyx_transport(runner_args.websocket, settings)
    except ValueError as e:  # not Telnyx, or closed before `start`
        logger.error(f"media stream refused: {e}")
        await runner_args.websocket.close(code=1008)
        return
    missing = settings.missing_keys()
    if missing:
        logger.error(f"call refused: {', '.join(missing)} not set")
        await runner_args.websocket.close(code=1011)
        return
    logger.info(f"call {call_data['call_id']} from {call_data.get('from')} to {call_data.get('to')}")
    await run_call(transport, settings, handle_sigint=runner_args.handle_sigint)
