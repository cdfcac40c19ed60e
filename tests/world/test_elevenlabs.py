"""ElevenLabs multi-context stand-in, driven with the exact message order
Pipecat's ElevenLabsTTSService sends (raw websockets, as Pipecat does)."""
import asyncio
import base64
import json

import pytest
import websockets

from conftest import standin

KEY = "el_test"


def url(rate=24000, voice="21m00Tcm4TlvDq8ikWAM"):
    return (standin("tts_elevenlabs", "ws") + f"/v1/text-to-speech/{voice}/multi-stream-input"
            f"?model_id=eleven_flash_v2_5&output_format=pcm_{rate}&auto_mode=true")


async def read_until_final(ws, ctx, timeout=15):
    got = []

    async def run():
        while True:
            m = json.loads(await ws.recv())
            got.append(m)
            if m.get("isFinal") and m.get("contextId") == ctx:
                return
    await asyncio.wait_for(run(), timeout)
    return got


async def test_pipecat_turn():
    async with websockets.connect(url(), additional_headers={"xi-api-key": KEY}, max_size=16 * 1024 * 1024) as ws:
        await ws.send(json.dumps({"text": " ", "context_id": "c1"}))
        await ws.send(json.dumps({"text": "Hello there. ", "context_id": "c1"}))
        await ws.send(json.dumps({"text": "How are you? ", "context_id": "c1"}))
        await ws.send(json.dumps({"context_id": "c1", "flush": True}))
        await ws.send(json.dumps({"context_id": "c1", "close_context": True}))
        got = await read_until_final(ws, "c1")
        await ws.send(json.dumps({"text": ""}))
        await ws.send(json.dumps({"close_socket": True}))
        await asyncio.wait_for(ws.wait_closed(), 3)
    audio_msgs = [m for m in got if "audio" in m]
    assert all(m["contextId"] == "c1" for m in got)
    aligned = [m["alignment"] for m in audio_msgs if m.get("alignment")]
    assert "".join("".join(a["chars"]) for a in aligned) == "Hello there. How are you? "
    for a in aligned:
        assert len(a["chars"]) == len(a["charStartTimesMs"]) == len(a["charDurationsMs"])
    pcm = b"".join(base64.b64decode(m["audio"]) for m in audio_msgs)
    assert 1.0 < len(pcm) / 2 / 24000 < 6.0


async def test_two_contexts_interleave():
    async with websockets.connect(url(16000), additional_headers={"xi-api-key": KEY}) as ws:
        for ctx in ("a", "b"):
            await ws.send(json.dumps({"text": " ", "context_id": ctx}))
            await ws.send(json.dumps({"text": "Short one. ", "context_id": ctx}))
            await ws.send(json.dumps({"context_id": ctx, "close_context": True}))
        got = await read_until_final(ws, "b")
        if not any(m.get("isFinal") and m["contextId"] == "a" for m in got):
            got += await read_until_final(ws, "a")
    assert {m["contextId"] for m in got if "audio" in m} == {"a", "b"}


async def test_inactivity_closes_1008():
    async with websockets.connect(url(), additional_headers={"xi-api-key": KEY}) as ws:
        with pytest.raises(websockets.exceptions.ConnectionClosedError) as e:
            await asyncio.wait_for(ws.recv(), 5)
    assert e.value.rcvd.code == 1008 and "timeout" in e.value.rcvd.reason


async def test_bad_key_401():
    with pytest.raises(websockets.exceptions.InvalidStatus) as e:
        async with websockets.connect(url(), additional_headers={"xi-api-key": "nope"}):
            pass
    assert e.value.response.status_code == 401
    assert json.loads(e.value.response.body)["detail"]["status"] == "invalid_api_key"


async def test_reset_fault_mid_stream(control):
    control.fault(target="elevenlabs", kind="reset", after_messages=2)
    async with websockets.connect(url(), additional_headers={"xi-api-key": KEY}) as ws:
        await ws.send(json.dumps({"text": "This sentence is long enough for several chunks. ", "context_id": "r"}))
        with pytest.raises(websockets.exceptions.ConnectionClosedError):
            for _ in range(50):
                await asyncio.wait_for(ws.recv(), 5)
