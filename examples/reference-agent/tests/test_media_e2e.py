"""End-to-end over real sockets: Telnyx-shaped media stream -> Pipecat pipeline -> greeting via TTS."""

import asyncio
import base64
import json

import asyncpg
import websockets

from conftest import event, make_settings, pubkey_b64, sign
from fakes import FakeCartesia, FakeDeepgram, FakeElevenLabs

KNOWN = "+15550001111"


async def _call(agent, cid, seconds=2.5, to=KNOWN):
    url = agent.settings.public_ws_url + f"/media/{cid}"
    got = []
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"event": "connected", "version": "1.0.0"}))
        await ws.send(json.dumps({
            "event": "start", "sequence_number": "1", "stream_id": "stream-1",
            "start": {"call_control_id": cid, "from": "+15557654321", "to": to,
                      "media_format": {"encoding": "PCMU", "sample_rate": 8000, "channels": 1}}}))

        async def reader():
            async for raw in ws:
                got.append(json.loads(raw))

        rt = asyncio.create_task(reader())
        silence = base64.b64encode(b"\xff" * 160).decode()
        for i in range(int(seconds / 0.02)):
            await ws.send(json.dumps({"event": "media", "sequence_number": str(i + 2), "stream_id": "stream-1",
                                      "media": {"track": "inbound", "chunk": str(i + 1), "timestamp": str(i * 20),
                                                "payload": silence}}))
            await asyncio.sleep(0.02)
        await ws.send(json.dumps({"event": "stop", "stream_id": "stream-1", "stop": {"call_control_id": cid}}))
        await asyncio.sleep(0.2)
        rt.cancel()
    return got


async def _wait_ended(db_url, cid, timeout=10.0):
    conn = await asyncpg.connect(db_url)
    try:
        for _ in range(int(timeout / 0.1)):
            row = await conn.fetchrow("SELECT * FROM call_logs WHERE call_control_id = $1 AND ended_at IS NOT NULL", cid)
            if row is not None:
                return row, conn
            await asyncio.sleep(0.1)
        raise AssertionError("call_logs not finalised")
    except BaseException:
        await conn.close()
        raise


async def test_media_stream_greeting_via_cartesia(db_url, recorder, signing_key, agent_factory):
    async with FakeCartesia() as cart, FakeDeepgram() as dg:
        a = await agent_factory(make_settings(
            db_url, telnyx_api_base=recorder.base, telnyx_public_key=pubkey_b64(signing_key),
            seed_phone_numbers=f"{KNOWN}=+15550009999", cartesia_base_url=cart.url, deepgram_base_url=dg.url,
            greeting="Hello from the reference agent."))
        cid = "v3:e2e-call-1"
        body = event("call.initiated", {"call_control_id": cid, "from": "+15557654321", "to": KNOWN,
                                         "direction": "incoming"})
        r = await a.http.post("/api/telnyx/webhook", content=body, headers=sign(signing_key, body))
        assert r.json()["stream_url"].endswith(f"/media/{cid}")
        got = await _call(a, cid)
        media = [m for m in got if m.get("event") == "media"]
        assert media, f"no audio back; got {got[:3]}"
        assert base64.b64decode(media[0]["media"]["payload"])  # PCMU bytes
        assert cart.transcripts and "Hello from the reference agent." in "".join(cart.transcripts)
        row, conn = await _wait_ended(db_url, cid)
        try:
            assert row["status"] == "completed"
            assert row["tenant_id"] is not None
            assert row["first_reply_ms"] is not None and 0 < row["first_reply_ms"] < 3000
            assert row["tts_provider"] == "cartesia"
            turns = await conn.fetch("SELECT * FROM call_turns WHERE call_log_id = $1", row["id"])
            assert turns and turns[0]["kind"] == "greeting" and turns[0]["latency_ms"] is not None
            usage = {r["provider"]: r for r in await conn.fetch(
                "SELECT * FROM provider_usage WHERE call_control_id = $1", cid)}
            assert usage["cartesia"]["characters"] == len("Hello from the reference agent.")
            assert usage["cartesia"]["cost_usd"] > 0
            assert usage["deepgram"]["audio_seconds"] > 1
        finally:
            await conn.close()
        assert cid not in a.rt.active_calls


async def test_tts_failover_to_elevenlabs(db_url, agent_factory):
    async with FakeCartesia(mode="reject") as cart, FakeElevenLabs() as el, FakeDeepgram() as dg:
        a = await agent_factory(make_settings(
            db_url, cartesia_base_url=cart.url, elevenlabs_base_url=el.url, deepgram_base_url=dg.url,
            greeting="Failover greeting."))
        cid = "v3:e2e-failover"
        got = await _call(a, cid, seconds=2.0, to="+1000")
        assert [m for m in got if m.get("event") == "media"]
        assert el.texts and "Failover greeting." in el.texts[0]
        assert "multi-stream-input" in el.paths[0] and "pcm_8000" in el.paths[0]
        row, conn = await _wait_ended(db_url, cid)
        await conn.close()
        assert row["tts_provider"] == "elevenlabs"
        m = (await a.http.get("/metrics")).text
        assert 'agent_provider_errors_total{error_class="auth",provider="cartesia"} 1' in m


async def test_full_turn_transcript_llm_tts(db_url, agent_factory):
    from fakes import FakeHTTPLLM

    async with FakeCartesia() as cart, FakeDeepgram(transcript="what are your hours") as dg, \
            FakeHTTPLLM("ok", text="We open at nine.") as oa:
        a = await agent_factory(make_settings(
            db_url, cartesia_base_url=cart.url, deepgram_base_url=dg.url, openai_base_url=oa.base + "/v1",
            greeting="Hi.", smart_turn_enabled=False))
        cid = "v3:e2e-turn"
        await _call(a, cid, seconds=5.0, to="+1000")
        assert dg.paths and dg.paths[0].startswith("/v1/listen")
        assert oa.requests, "LLM never called"
        assert any(m.get("content") == "what are your hours" for m in oa.requests[0]["messages"])
        assert any("We open at nine." in t for t in cart.transcripts), cart.transcripts
        row, conn = await _wait_ended(db_url, cid)
        try:
            turns = await conn.fetch("SELECT * FROM call_turns WHERE call_log_id = $1 ORDER BY turn_index", row["id"])
            assert [t["kind"] for t in turns][:2] == ["greeting", "turn"], turns
            assert turns[1]["llm_provider"] == "openai" and turns[1]["latency_ms"] is not None
            use = await conn.fetchrow("SELECT * FROM provider_usage WHERE call_control_id = $1 AND provider = 'openai'", cid)
            assert use["input_tokens"] == 20 and use["output_tokens"] == 7
        finally:
            await conn.close()


async def test_all_llms_down_during_call_speaks_fallback_and_transfers(db_url, recorder, agent_factory):
    from fakes import FakeHTTPLLM

    async with FakeCartesia() as cart, FakeDeepgram(transcript="I need help") as dg, FakeHTTPLLM("500") as bad:
        a = await agent_factory(make_settings(
            db_url, telnyx_api_base=recorder.base, cartesia_base_url=cart.url, deepgram_base_url=dg.url,
            openai_base_url=bad.base + "/v1", anthropic_base_url=bad.base, google_gemini_base_url=bad.base,
            seed_phone_numbers=f"{KNOWN}=+15550009999", greeting="Hi.", smart_turn_enabled=False))
        cid = "v3:e2e-fallback"
        await _call(a, cid, seconds=5.0)
        assert any(a.settings.fallback_message in t for t in cart.transcripts), cart.transcripts
        await recorder.wait_for(1)
        assert recorder.actions(cid) == ["transfer"]  # spoken through the pipeline, so no Call Control speak
        assert recorder.commands[0][2]["to"] == "+15550009999"
        row, conn = await _wait_ended(db_url, cid)
        try:
            assert row["status"] == "transferred" and row["transferred_to"] == "+15550009999"
            assert row["end_reason"] == "fallback_transfer"
            err = await conn.fetchrow("SELECT * FROM system_errors WHERE call_control_id = $1", cid)
            assert err["error_class"] == "all_providers_failed"
            assert await conn.fetchval("SELECT count(*) FROM transfers WHERE call_control_id = $1", cid) == 1
        finally:
            await conn.close()


async def test_faults_slow_first_reply_and_leak_calls(db_url, agent_factory):
    async with FakeCartesia() as cart, FakeDeepgram() as dg:
        a = await agent_factory(make_settings(
            db_url, cartesia_base_url=cart.url, deepgram_base_url=dg.url, greeting="Hi.",
            faults=frozenset({"slow_first_reply", "leak_calls"}), fault_slow_first_reply_seconds=1.0))
        cid = "v3:e2e-slow"
        await _call(a, cid, seconds=2.0, to="+1000")
        row, conn = await _wait_ended(db_url, cid)
        await conn.close()
        assert row["first_reply_ms"] >= 1000
        assert cid in a.rt.active_calls  # leaked on purpose
        assert "agent_active_calls 1" in (await a.http.get("/metrics")).text


async def test_ten_concurrent_calls(db_url, agent_factory):
    async with FakeCartesia() as cart, FakeDeepgram() as dg:
        a = await agent_factory(make_settings(db_url, cartesia_base_url=cart.url, deepgram_base_url=dg.url,
                                              greeting="Hello there."))
        results = await asyncio.gather(*[_call(a, f"v3:conc-{i}", seconds=2.0, to="+1") for i in range(10)])
        assert all(any(m.get("event") == "media" for m in got) for got in results)
        for i in range(10):
            row, conn = await _wait_ended(db_url, f"v3:conc-{i}")
            await conn.close()
            assert row["status"] == "completed" and row["first_reply_ms"] < 5000, dict(row)
        assert a.rt.active_calls == {}
