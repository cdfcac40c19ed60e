"""Waterfall marks (docs/waterfall.md): the stand-ins stamp each final
transcript, completion and synthesis on CLOCK_MONOTONIC (the caller's clock
on this host) and publish them as wf.* events; /_vstress/health gives the
world's clock for a remote caller's offset."""
import asyncio
import json
import time
import uuid

import websockets
from openai import AsyncOpenAI

from audio import chunks, silence, tone
from conftest import standin


def wf_events(control, topic):
    got = control.get("/_vstress/events?topic=wf.*&limit=100000")["events"]
    assert all(e["topic"].startswith("wf.") for e in got), sorted(set(e["topic"] for e in got))
    return [e["data"] for e in got if e["topic"] == topic]


def test_health_gives_the_monotonic_clock(control):
    a = time.monotonic_ns()
    h = control.get("/_vstress/health")
    b = time.monotonic_ns()
    assert a <= h["mono_ns"] <= b  # one host, one CLOCK_MONOTONIC


async def test_llm_mark(control):
    c = AsyncOpenAI(base_url=standin("llm_openai") + "/v1", api_key="sk-test")
    user = "call-" + uuid.uuid4().hex
    a = time.monotonic_ns()
    stream = await c.chat.completions.create(
        model="gpt-4.1", stream=True, user=user,
        messages=[{"role": "system", "content": "You are a receptionist."},
                  {"role": "user", "content": "What are your opening hours?"}])
    first = None
    text = ""
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            first = first or time.monotonic_ns()
            text += chunk.choices[0].delta.content
    b = time.monotonic_ns()
    ev = [e for e in wf_events(control, "wf.llm") if e["user"] == user]
    assert len(ev) == 1, ev
    ev = ev[0]
    assert a <= ev["request_ns"] <= ev["first_ns"] <= ev["last_ns"] <= b
    assert ev["user_text"] == "What are your opening hours?"
    assert ev["reply_text"] == text
    # the first content token is due ttft_ms (120 in world-test.ini) plus one token_ms after the request
    assert ev["first_ns"] - ev["request_ns"] >= 120_000_000
    assert abs(ev["first_ns"] - first) < 50_000_000  # scheduled vs seen by the client


async def test_tts_mark(control):
    base = standin("tts_cartesia", "ws") + "/tts/websocket?api_key=ca_test&cartesia_version=2026-03-01"
    ctx = str(uuid.uuid4())
    a = time.monotonic_ns()
    async with websockets.connect(base, max_size=16 * 1024 * 1024) as ws:
        await ws.send(json.dumps({"transcript": "Sure. Which day suits you?", "continue": False, "context_id": ctx,
                                  "model_id": "sonic-3", "voice": {"mode": "id", "id": "x"},
                                  "output_format": {"container": "raw", "encoding": "pcm_s16le",
                                                    "sample_rate": 8000}}))
        while True:
            m = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if m["type"] == "chunk":
                got = time.monotonic_ns()
                break
    ev = [e for e in wf_events(control, "wf.tts") if e["conn"] == ctx]
    assert len(ev) == 1, ev
    ev = ev[0]
    assert a <= ev["request_ns"] <= ev["first_audio_ns"] <= got
    assert ev["text"] == "Sure. Which day suits you?"


async def test_stt_mark(control):
    tag = "call-" + uuid.uuid4().hex
    url = standin("stt_deepgram", "ws") + f"/v1/listen?encoding=linear16&sample_rate=16000&tag={tag}"
    async with websockets.connect(url, additional_headers={"Authorization": "Token dg_test"}) as ws:
        pcm = tone(1.0) + silence(0.8)
        sent_end = None
        for i, c in enumerate(chunks(pcm, 640)):  # 20 ms chunks, real time
            await ws.send(c)
            if (i + 1) * 640 >= len(tone(1.0)) and sent_end is None:
                sent_end = time.monotonic_ns()
            await asyncio.sleep(0.02)
        final = None
        while final is None:
            m = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if m.get("type") == "Results" and m["is_final"]:
                final = m
        seen = time.monotonic_ns()
    ev = [e for e in wf_events(control, "wf.stt") if e["tag"] == tag]
    assert len(ev) == 1, ev
    ev = ev[0]
    assert ev["text"] == final["channel"]["alternatives"][0]["transcript"]
    # the last speech sample arrived about when we sent it; the final went out after the hangover
    assert abs(ev["audio_end_ns"] - sent_end) < 100_000_000
    assert ev["audio_end_ns"] < ev["final_ns"] <= seen
    assert ev["final_ns"] - ev["audio_end_ns"] >= 200_000_000  # hangover_ms


async def test_anthropic_mark(control):
    from anthropic import AsyncAnthropic
    c = AsyncAnthropic(api_key="sk-ant-test", base_url=standin("llm_anthropic"))
    uid = "call-" + uuid.uuid4().hex
    a = time.monotonic_ns()
    text = ""
    async with c.messages.stream(model="claude-sonnet-4-6", max_tokens=100, metadata={"user_id": uid},
                                 messages=[{"role": "user", "content": "What are your opening hours?"}]) as s:
        async for t in s.text_stream:
            text += t
    b = time.monotonic_ns()
    ev = [e for e in wf_events(control, "wf.llm") if e["user"] == uid]
    assert len(ev) == 1, ev
    ev = ev[0]
    assert a <= ev["request_ns"] < ev["first_ns"] <= ev["last_ns"] <= b
    assert ev["first_ns"] - ev["request_ns"] >= 120_000_000  # ttft_ms
    assert ev["reply_text"] == text and ev["user_text"] == "What are your opening hours?"


async def test_gemini_mark(control):
    import httpx
    a = time.monotonic_ns()
    said = "What are your opening hours? " + uuid.uuid4().hex
    r = httpx.post(standin("llm_gemini") + "/v1beta/models/gemini-2.5-flash:generateContent",
                   headers={"x-goog-api-key": "gm_test"},
                   json={"contents": [{"role": "user", "parts": [{"text": said}]}]}, timeout=10)
    b = time.monotonic_ns()
    assert r.status_code == 200, r.text
    ev = [e for e in wf_events(control, "wf.llm") if e["user_text"] == said]
    assert len(ev) == 1, ev
    ev = ev[0]
    assert a <= ev["request_ns"] < ev["first_ns"] == ev["last_ns"] <= b  # not streamed: all at the end
    assert ev["reply_text"] == r.json()["candidates"][0]["content"]["parts"][0]["text"]


async def test_elevenlabs_mark(control):
    url = (standin("tts_elevenlabs", "ws") + "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/multi-stream-input"
           "?model_id=eleven_flash_v2_5&output_format=pcm_8000&auto_mode=true")
    ctx = uuid.uuid4().hex
    async with websockets.connect(url, additional_headers={"xi-api-key": "el_test"}, max_size=16 << 20) as ws:
        await ws.send(json.dumps({"text": " ", "context_id": ctx}))
        a = time.monotonic_ns()
        await ws.send(json.dumps({"text": "Nine to five. ", "context_id": ctx}))
        await ws.send(json.dumps({"context_id": ctx, "flush": True}))
        while True:
            m = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if m.get("audio"):
                got = time.monotonic_ns()
                break
    ev = [e for e in wf_events(control, "wf.tts") if e["conn"] == ctx]
    assert len(ev) == 1, ev
    ev = ev[0]
    assert a <= ev["request_ns"] <= ev["first_audio_ns"] <= got
    assert ev["text"] == "Nine to five. "
