"""The Telnyx media stream as a Pipecat transport.

Built as the runner's ``create_transport`` builds it for ``-t telnyx`` (parse
the stream's ``connected``/``start`` messages, a ``TelnyxFrameSerializer``, a
``FastAPIWebsocketTransport``), with one difference: Pipecat 1.14's serializer
hangs the call up at a hard-coded ``https://api.telnyx.com/v2``; here the
hang-up goes to ``TELNYX_API_BASE`` like every other provider call.
"""

from __future__ import annotations

import aiohttp
from loguru import logger
from pipecat.runner.utils import parse_telephony_websocket
from pipecat.serializers.telnyx import TelnyxFrameSerializer
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams, FastAPIWebsocketTransport

from .settings import Settings

HANGUP_TIMEOUT_SECS = 5.0


class TelnyxSerializer(TelnyxFrameSerializer):
    """``TelnyxFrameSerializer`` whose Call Control hang-up uses a configurable base URL."""

    def __init__(self, *, api_base: str, **kwargs):
        super().__init__(**kwargs)
        self._api_base = api_base.rstrip("/")

    def hangup_url(self) -> str:
        return f"{self._api_base}/calls/{self._call_control_id}/actions/hangup"

    async def _hang_up_call(self):
        headers = {"Authorization": f"Bearer {self._api_key}", "Content-Type": "application/json"}
        timeout = aiohttp.ClientTimeout(total=HANGUP_TIMEOUT_SECS)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(self.hangup_url(), headers=headers, json={}) as r:
                    # 422 is "call already ended" (the caller hung up first): nothing to do
                    if r.status == 200 or r.status == 422:
                        logger.debug(f"Telnyx hang-up of {self._call_control_id}: HTTP {r.status}")
                    else:
                        body = (await r.text())[:200]
                        logger.error(f"Telnyx hang-up of {self._call_control_id}: HTTP {r.status} {body}")
        except Exception as e:  # a failed hang-up must not break the pipeline's shutdown
            logger.error(f"Telnyx hang-up of {self._call_control_id} failed: {e!r}")


def transport_params() -> FastAPIWebsocketParams:
    """The transport parameters Pipecat's Telnyx examples use (serializer set later)."""
    return FastAPIWebsocketParams(audio_in_enabled=True, audio_out_enabled=True, add_wav_header=False)


async def create_telnyx_transport(websocket, settings: Settings):
    """Read the stream's handshake and build the transport; ``(transport, call_data)``.

    Raises ``ValueError`` when the stream is not a Telnyx one (e.g. no ``start``).
    """
    transport_type, call_data = await parse_telephony_websocket(websocket)
    if transport_type != "telnyx":
        raise ValueError(f"not a Telnyx media stream (detected {transport_type!r})")
    params = transport_params()
    params.serializer = TelnyxSerializer(
        api_base=settings.telnyx_api_base,
        stream_id=call_data["stream_id"],
        call_control_id=call_data["call_id"],
        outbound_encoding=call_data["outbound_encoding"],
        inbound_encoding="PCMU",
        # without a key the serializer cannot hang up, so it does not try
        api_key=settings.telnyx_api_key or None,
        params=TelnyxFrameSerializer.InputParams(auto_hang_up=bool(settings.telnyx_api_key)),
    )
    return FastAPIWebsocketTransport(websocket=websocket, params=params), call_data
