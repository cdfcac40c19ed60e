"""Cartesia TTS stand-in, driven with the exact messages Pipecat's
CartesiaTTSService sends (raw websockets, as Pipecat itself does) and
httpx for /tts/bytes."""
import asyncio
import base64
import json
import struct
import time
import uuid

import httpx
import pytest
import websockets

from conftest import standin

KEY = "ca_test"
VERSION = "2026-03-01"


def url(query=True, key=KEY):
    base = standin("tts_cartesia", "ws") + "/tts/websocket"
    return f"{base}?api_key={key}&cartesia_version={VERSION}" if query else base


def msg(ctx, text, cont=True, enc="pcm_s16le", rate=24000):
    return json.dumps({"transcript": text, "continue": cont, "context_id": ctx, "model_id": "sonic-3.5",
                       "voice": {"mode": "id", "id": "a0e99841-438c-4a64-b679-ae501e7d6091"},
                       "output_format": {"container": "raw", "encoding": enc, "sample_rate": rate},
                       "add_timestamps": True, "use_normalized_timestamps": False, "language": "en"})


async def turn(ws, ctx, until_done=True, timeout=15):
    got = []
    async def run():
        while True:
            m = json.loads(await ws.recv())
            assert "context_id" in m, m  # Pipecat reads it before anything else
            got.append(m)
            if m["type"] in ("done", "error"):
                return
    await asyncio.wait_for(run(), timeout)
    return got


def rms(pcm16):
    n = len(pcm16) // 2
    s = struct.unpack("<%dh" % n, pcm16)
    return (sum(x * x for x in s) / max(n, 1)) ** 0.5


async def test_query_auth_sentence_then_flush():
    ctx = str(uuid.uuid4())
    async with websockets.connect(url(), max_size=16 * 1024 * 1024) as ws:
        t0 = time.monotonic()
        await ws.send(msg(ctx, "Hello there. "))
        await ws.send(msg(ctx, "How can I help you today? "))
        await ws.send(msg(ctx, "", cont=False))  # flush_audio at end of turn
        got = await turn(ws, ctx)
    kinds = [m["type"] for m in got]
    assert kinds[-1] == "done" and got[-1]["done"] is True
    assert "timestamps" in kinds
    ts = [m for m in got if m["type"] == "timestamps"][0]["word_timestamps"]
    assert ts["words"][:2] == ["Hello", "there."] and len(ts["start"]) == len(ts["words"])
    audio = b"".join(base64.b64decode(m["data"]) for m in got if m["type"] == "chunk")
    secs = len(audio) / 2 / 24000
    assert 1.0 < secs < 6.0
    assert rms(audio) > 300  # speech, not silence
    assert all(m["context_id"] == ctx for m in got)
    assert time.monotonic() - t0 >= secs / 4 * 0.8  # paced (realtime = 4)


async def test_header_auth_mulaw_8k():
    ctx = "c-mulaw"
    async with websockets.connect(url(False), additional_headers={"X-API-Key": KEY, "Cartesia-Version": VERSION}) as ws:
        await ws.send(msg(ctx, "Goodbye. ", cont=False, enc="pcm_mulaw", rate=8000))
        got = await turn(ws, ctx)
    audio = b"".join(base64.b64decode(m["data"]) for m in got if m["type"] == "chunk")
    assert 0.3 < len(audio) / 8000 < 3.0


async def test_cancel_stops_context():
    ctx = "c-cancel"
    async with websockets.connect(url()) as ws:
        await ws.send(msg(ctx, "This is a rather long sentence that takes a few seconds to say out loud. "))
        first = json.loads(await ws.recv())
        while first["type"] != "chunk":
            first = json.loads(await ws.recv())
        await ws.send(json.dumps({"context_id": ctx, "cancel": True}))
        await asyncio.sleep(0.1)
        late = []
        try:
            while True:
                late.append(json.loads(await asyncio.wait_for(ws.recv(), 0.5)))
        except asyncio.TimeoutError:
            pass
    assert not [m for m in late if m["type"] == "done"]
    assert len(late) <= 3  # at most what was in flight


async def test_error_message_carries_context_id():
    async with websockets.connect(url()) as ws:
        await ws.send(json.dumps({"transcript": "hi", "continue": False, "context_id": "bad"}))
        m = json.loads(await ws.recv())
    assert m["type"] == "error" and m["context_id"] == "bad" and m["done"] is True


async def test_bad_key_rejects_handshake():
    with pytest.raises(websockets.exceptions.InvalidStatus) as e:
        async with websockets.connect(url(key="nope")):
            pass
    assert e.value.response.status_code == 401


def test_tts_bytes_wav():
    r = httpx.post(standin("tts_cartesia") + "/tts/bytes", timeout=20,
                   headers={"X-API-Key": KEY, "Cartesia-Version": VERSION},
                   json={"model_id": "sonic-3.5", "transcript": "Hello from the bytes endpoint.",
                         "voice": {"mode": "id", "id": "v"},
                         "output_format": {"container": "wav", "encoding": "pcm_s16le", "sample_rate": 16000}})
    assert r.status_code == 200
    assert r.content[:4] == b"RIFF" and r.content[8:12] == b"WAVE"
    assert len(r.content) > 16000  # over half a second


def test_tts_bytes_errors():
    r = httpx.post(standin("tts_cartesia") + "/tts/bytes", headers={"X-API-Key": "nope"}, json={})
    assert r.status_code == 401 and "error_code" in r.json()
    r = httpx.post(standin("tts_cartesia") + "/tts/bytes", headers={"X-API-Key": KEY}, json={"transcript": "x"})
    assert r.status_code == 400 and r.json()["title"]


async def test_caller_gone_mid_stream_world_survives():
    """A client that closes while audio is still being paced (a caller
    hanging up during the agent's reply): the stand-in's pacing timer must
    not fire on the freed connection; the world keeps serving."""
    long_text = "This is a long reply that keeps the stand-in pacing audio for a while. " * 6
    for close_frame in (True, False):
        ctx = str(uuid.uuid4())
        ws = await websockets.connect(url(), max_size=16 * 1024 * 1024)
        await ws.send(msg(ctx, long_text))
        await ws.send(msg(ctx, "", cont=False))
        first = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert first["type"] in ("chunk", "timestamps"), first
        if close_frame:
            await ws.close()
        else:
            ws.transport.abort()  # no close frame: the socket just goes
        await asyncio.sleep(0.5)  # past several pacing ticks
    # still alive and still serving synthesis
    ctx = str(uuid.uuid4())
    async with websockets.connect(url(), max_size=16 * 1024 * 1024) as ws:
        await ws.send(msg(ctx, "Still here? "))
        await ws.send(msg(ctx, "", cont=False))
        got = await turn(ws, ctx)
    assert got[-1]["type"] == "done"
