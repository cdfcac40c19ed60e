"""Resource series and faults for vstress's resources phase: VAD / Smart Turn timing on
/metrics, and the leak_memory_per_call / leak_db_connection faults."""

import asyncio

from conftest import event, make_settings, pubkey_b64, sign
from fakes import FakeCartesia, FakeDeepgram
from test_media_e2e import KNOWN, _call, _wait_ended

from agent import pipeline
from agent.metrics import Metrics
from agent.models import make_turn_analyzer, make_vad


async def test_vad_analysis_time_is_counted():
    from pipecat.audio.vad.vad_analyzer import VADParams

    m = Metrics()
    vad = make_vad(VADParams(), True, metrics=m)
    vad.set_sample_rate(8000)
    for _ in range(5):
        await vad.analyze_audio(b"\x00\x00" * 160)  # 20 ms chunks
    assert m.get("agent_vad_seconds_count") == 5
    assert 0 < m.get("agent_vad_seconds_sum") < 5


async def test_turn_analyzer_inference_time_is_counted():
    m = Metrics()
    ta = make_turn_analyzer(True, metrics=m)
    ta.set_sample_rate(16000)
    for _ in range(50):
        ta.append_audio(b"\x10\x00" * 320, True)  # 1 s of "speech"
    await ta.analyze_end_of_turn()
    assert m.get("agent_turn_analyzer_seconds_count") == 1
    assert m.get("agent_turn_analyzer_seconds_sum") > 0
    # without metrics nothing is wrapped and nothing breaks
    assert make_turn_analyzer(True) is not None


async def _one_call(db_url, recorder, signing_key, agent_factory, faults, cid):
    async with FakeCartesia() as cart, FakeDeepgram() as dg:
        a = await agent_factory(make_settings(
            db_url, telnyx_api_base=recorder.base, telnyx_public_key=pubkey_b64(signing_key),
            seed_phone_numbers=f"{KNOWN}=+15550009999", cartesia_base_url=cart.url, deepgram_base_url=dg.url,
            faults=frozenset(faults)))
        body = event("call.initiated", {"call_control_id": cid, "from": "+15557654321", "to": KNOWN,
                                         "direction": "incoming"})
        r = await a.http.post("/api/telnyx/webhook", content=body, headers=sign(signing_key, body))
        assert r.status_code == 200
        await _call(a, cid, seconds=1.0)
        row, conn = await _wait_ended(db_url, cid)
        await conn.close()
        for _ in range(50):  # the leak happens in the call's finally, around finalize
            if pipeline._fault_leaks:
                break
            await asyncio.sleep(0.1)
        return a


async def test_leak_memory_per_call(db_url, recorder, signing_key, agent_factory):
    pipeline._fault_leaks.clear()
    try:
        a = await _one_call(db_url, recorder, signing_key, agent_factory, {"leak_memory_per_call"}, "v3:leak-mem-1")
        leaked = [x for x in pipeline._fault_leaks if isinstance(x, bytes)]
        assert len(leaked) == 1 and len(leaked[0]) == pipeline.LEAK_BYTES_PER_CALL
        r = await a.http.get("/metrics")
        assert "agent_vad_seconds_count" in r.text  # the call's audio went through the timed VAD
    finally:
        pipeline._fault_leaks.clear()


async def test_leak_db_connection(db_url, recorder, signing_key, agent_factory):
    pipeline._fault_leaks.clear()
    try:
        a = await _one_call(db_url, recorder, signing_key, agent_factory, {"leak_db_connection"}, "v3:leak-db-1")
        held = [x for x in pipeline._fault_leaks if not isinstance(x, bytes)]
        assert len(held) == 1
        st = a.rt.db.pool_stats()
        assert st["size"] - st["idle"] >= 1  # one connection is out of the pool for good
    finally:
        pool = a.rt.db._pool if "a" in locals() else None
        for c in pipeline._fault_leaks:
            if pool is not None and not isinstance(c, bytes):
                await pool.release(c)
        pipeline._fault_leaks.clear()


async def test_db_timeouts_are_counted(db_url):
    """agent_db_timeouts_total: on /metrics at 0 from the start (a declared
    counter, so vstress's resources db.timeouts has a series to judge), and +1
    for a statement that ran out of time."""
    from agent.db import DatabaseUnavailable
    from agent.runtime import Runtime

    rt = Runtime(make_settings(db_url))
    try:
        assert "agent_db_timeouts_total 0\n" in rt.metrics.render(rt)
        assert await rt.db.fetchval("SELECT 1") == 1
        try:
            await rt.db.fetchval("SELECT pg_sleep(2)", timeout=0.2)
            raise AssertionError("a 2 s statement finished within its 0.2 s timeout")
        except (DatabaseUnavailable, asyncio.TimeoutError):
            pass
        assert rt.metrics.get("agent_db_timeouts_total") == 1
        assert "agent_db_timeouts_total 1\n" in rt.metrics.render(rt)
    finally:
        await rt.db.close()
