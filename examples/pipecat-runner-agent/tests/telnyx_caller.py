"""A small Telnyx stand-in for the tests: fetch the TeXML as Telnyx does, then
play the media stream's side of a call (``connected``, ``start``, 20 ms u-law
``media`` frames, ``stop``) and collect what the agent sends back."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
import wave
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import httpx
import numpy as np
import soxr
import websockets

FRAME_BYTES = 160  # 20 ms of 8 kHz u-law


def lin2ulaw(pcm: np.ndarray) -> bytes:
    """G.711 u-law of 16-bit samples (bias 0x84, clip 32635, bits inverted)."""
    x = pcm.astype(np.int32)
    sign = np.where(x < 0, 0x80, 0)
    mag = np.minimum(np.abs(x), 32635) + 0x84
    exp = np.floor(np.log2(mag)).astype(np.int32) - 7
    mant = (mag >> (exp + 3)) & 0x0F
    return (~(sign | (exp << 4) | mant) & 0xFF).astype(np.uint8).tobytes()


def ulaw_8k(wav_path: str) -> bytes:
    """A 16-bit mono WAV file as 8 kHz u-law."""
    with wave.open(wav_path, "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2, wav_path
        pcm, rate = np.frombuffer(w.readframes(w.getnframes()), "<i2"), w.getframerate()
    if rate != 8000:
        pcm = soxr.resample(pcm, rate, 8000)
    return lin2ulaw(pcm)


def fetch_texml(base_url: str, call_sid: str, timeout: float = 10.0) -> ET.Element:
    """POST the form Telnyx posts to a TeXML URL; the parsed <Response>."""
    form = {"AccountSid": "AC-test", "CallSid": call_sid, "From": "+15550001111",
            "To": "+15550002222", "CallStatus": "ringing", "Direction": "inbound"}
    r = httpx.post(base_url.rstrip("/") + "/", data=form, timeout=timeout)
    r.raise_for_status()
    root = ET.fromstring(r.content)
    assert root.tag == "Response", r.text
    return root


def stream_of(texml: ET.Element) -> ET.Element:
    """The <Connect><Stream> of a TeXML response."""
    s = texml.find("./Connect/Stream")
    assert s is not None, ET.tostring(texml, encoding="unicode")
    return s


@dataclass
class CallResult:
    media_frames: int = 0
    media_bytes: int = 0
    first_media_after_s: float | None = None
    events: dict = field(default_factory=dict)
    media_times: list = field(default_factory=list)  # seconds since the stream opened
    closed_by_agent: bool = False


def first_media_after(res: CallResult, t: float) -> float | None:
    """Seconds from ``t`` (since the stream opened) to the agent's next media frame."""
    return next((m - t for m in res.media_times if m >= t), None)


async def play_call(ws_url: str, audio: bytes, *, call_control_id: str, hold_s: float,
                    lead_silence_s: float = 0.0, realtime: bool = True) -> CallResult:
    """One call on the media stream: ``lead_silence_s`` of silence, ``audio`` in 20 ms
    frames, then silence until ``hold_s`` has passed, then ``stop``; count the agent's media."""
    res = CallResult()
    stream_id = str(uuid.uuid4())
    loop = asyncio.get_running_loop()
    async with websockets.connect(ws_url, open_timeout=10) as ws:
        t0 = loop.time()
        await ws.send(json.dumps({"event": "connected", "version": "1.0.0"}))
        await ws.send(json.dumps({
            "event": "start", "sequence_number": "1", "stream_id": stream_id,
            "start": {"call_control_id": call_control_id, "call_session_id": str(uuid.uuid4()),
                      "from": "+15550001111", "to": "+15550002222", "custom_parameters": {},
                      "media_format": {"encoding": "PCMU", "sample_rate": 8000, "channels": 1}},
        }))

        async def receive():
            try:
                async for raw in ws:
                    msg = json.loads(raw)
                    ev = msg.get("event", "?")
                    res.events[ev] = res.events.get(ev, 0) + 1
                    if ev == "media":
                        res.media_frames += 1
                        res.media_bytes += len(base64.b64decode(msg["media"]["payload"]))
                        res.media_times.append(loop.time() - t0)
                        if res.first_media_after_s is None:
                            res.first_media_after_s = res.media_times[0]
            except websockets.ConnectionClosed:
                pass
            res.closed_by_agent = True  # not reached when the caller cancels after `stop`

        rx = asyncio.create_task(receive())
        silence = b"\xff" * FRAME_BYTES
        seq, chunk = 2, 0
        audio = b"\xff" * (int(lead_silence_s * 50) * FRAME_BYTES) + audio
        while loop.time() - t0 < hold_s and not rx.done():
            off = chunk * FRAME_BYTES
            frame = audio[off:off + FRAME_BYTES] if off < len(audio) else silence
            frame = frame.ljust(FRAME_BYTES, b"\xff")
            await ws.send(json.dumps({
                "event": "media", "sequence_number": str(seq), "stream_id": stream_id,
                "media": {"track": "inbound", "chunk": str(chunk + 1), "timestamp": str(chunk * 20),
                          "payload": base64.b64encode(frame).decode()},
            }))
            seq, chunk = seq + 1, chunk + 1
            if realtime:
                await asyncio.sleep(max(0.0, t0 + chunk * 0.02 - loop.time()))
        if not rx.done():
            await ws.send(json.dumps({"event": "stop", "sequence_number": str(seq), "stream_id": stream_id,
                                      "stop": {"call_control_id": call_control_id}}))
            rx.cancel()
    return res
