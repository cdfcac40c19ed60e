"""Deepgram live STT stand-in driven by the real deepgram-sdk (v7)."""
import asyncio

import pytest
from deepgram import AsyncDeepgramClient
from deepgram.core.api_error import ApiError
from deepgram.environment import DeepgramClientEnvironment

from audio import chunks, silence, tone, ulaw
from conftest import standin

KEY = "dg_test"  # [stt_deepgram] api_key in world-test.ini


def client(key=KEY):
    ws = standin("stt_deepgram", "ws")
    http = standin("stt_deepgram", "http")
    env = DeepgramClientEnvironment(base=http, production=ws, agent=ws, agent_rest=http)
    return AsyncDeepgramClient(api_key=key, environment=env)


async def collect(conn, until, timeout=8):
    got = []

    async def run():
        async for msg in conn:
            got.append(msg)
            if until(msg):
                return

    await asyncio.wait_for(run(), timeout)
    return got


async def send_audio(conn, pcm, chunk=640):
    for c in chunks(pcm, chunk):
        await conn.send_media(c)
    await asyncio.sleep(0)


async def test_transcripts_speech_events_and_close():
    async with client().listen.v1.connect(
            model="nova-3-general", encoding="linear16", sample_rate="16000", channels="1",
            interim_results="true", punctuate="true", vad_events="true", utterance_end_ms="1000",
            language="en") as conn:
        await send_audio(conn, tone(1.2) + silence(0.8))
        got = await collect(conn, lambda m: m.type == "UtteranceEnd")
        types = [m.type for m in got]
        assert "SpeechStarted" in types
        finals = [m for m in got if m.type == "Results" and m.is_final]
        interims = [m for m in got if m.type == "Results" and not m.is_final]
        assert interims, types
        assert len(finals) == 1
        alt = finals[0].channel.alternatives[0]
        assert alt.transcript == "what are your opening hours"
        assert finals[0].speech_final is True
        assert [w.word for w in alt.words] == ["what", "are", "your", "opening", "hours"]
        assert 0.0 <= finals[0].start < 0.1 and 1.1 < finals[0].duration < 1.6

        await send_audio(conn, tone(0.6) + silence(0.6))
        got = await collect(conn, lambda m: m.type == "Results" and m.is_final)
        assert got[-1].channel.alternatives[0].transcript == "goodbye"

        await conn.send_finalize()
        got = await collect(conn, lambda m: m.type == "Results" and m.from_finalize)
        assert got[-1].channel.alternatives[0].transcript == ""

        await conn.send_keep_alive()
        await conn.send_close_stream()
        got = await collect(conn, lambda m: m.type == "Metadata")
        assert got[-1].duration > 3.0


async def test_finalize_mid_speech_mulaw_8k():
    async with client().listen.v1.connect(model="nova-3", encoding="mulaw", sample_rate="8000") as conn:
        await send_audio(conn, ulaw(tone(0.8, rate=8000)), chunk=160)
        await asyncio.sleep(0.05)
        await conn.send_finalize()
        got = await collect(conn, lambda m: m.type == "Results" and m.is_final)
        assert got[-1].from_finalize is True
        assert got[-1].channel.alternatives[0].transcript == "what are your opening hours"


async def test_bad_key_is_401():
    with pytest.raises(ApiError) as e:
        async with client("wrong").listen.v1.connect(model="nova-3", encoding="linear16", sample_rate="16000"):
            pass
    assert e.value.status_code == 401


async def test_idle_timeout_closes_1011():
    import websockets
    async with client().listen.v1.connect(model="nova-3", encoding="linear16", sample_rate="16000") as conn:
        with pytest.raises(websockets.exceptions.ConnectionClosedError) as e:
            await asyncio.wait_for(conn._websocket.recv(), 6)
        assert e.value.rcvd.code == 1011
        assert "NET-0001" in e.value.rcvd.reason or "net0001" in e.value.rcvd.reason


async def test_handshake_error_fault(control):
    control.fault(target="deepgram", kind="error", status=429)
    with pytest.raises(ApiError) as e:
        async with client().listen.v1.connect(model="nova-3", encoding="linear16", sample_rate="16000"):
            pass
    assert e.value.status_code == 429


async def test_close_after_messages_fault(control):
    import websockets
    control.fault(target="deepgram", kind="close", after_messages=1, close_code=1011)
    async with client().listen.v1.connect(model="nova-3", encoding="linear16", sample_rate="16000",
                                          vad_events="true") as conn:
        await send_audio(conn, tone(1.0) + silence(0.6))
        with pytest.raises(websockets.exceptions.ConnectionClosedError) as e:
            for _ in range(10):
                await asyncio.wait_for(conn._websocket.recv(), 5)
        assert e.value.rcvd.code == 1011
