"""Pipeline failures mid-call (plan 6.3, vstress's errors phase stt_loss / tts_error / tts_stall):
a TTS that errors or stalls after its first audio fails over to the next provider (the reply is
said again) and leaves a system_errors row for the call; when every TTS fails the call's fallback
is told; the fallback for a TTS or STT failure speaks with Call Control and transfers; the
STT watch hands the call off only when the recogniser stays down."""

import asyncio
import types

import asyncpg

from agent.failover import FailoverTTSService, TelnyxFallbackService
from agent.migrate import migrate_url
from agent.runtime import Runtime
from conftest import make_settings


async def _runtime(db_url, **kw) -> Runtime:
    await migrate_url(db_url)
    rt = Runtime(make_settings(db_url, **kw))
    await rt.db.pool()
    return rt


class _TTS:
    """A TTS client: 'ok', 'error' (raises after the first chunk) or 'stall' (silent after it)."""

    def __init__(self, name, mode):
        self.name, self.model, self.mode, self.calls = name, "m", mode, 0

    async def synthesize(self, text, sample_rate):
        self.calls += 1
        yield b"\x01\x00" * 80
        if self.mode == "error":
            raise RuntimeError("cartesia error 500: Internal server error")
        if self.mode == "stall":
            await asyncio.sleep(30)
        yield b"\x02\x00" * 80


class _Sink:
    call_id, tenant_id = "v3:midstream-1", None

    async def usage(self, *a, **kw):
        pass

    def provider_used(self, *a):
        pass


async def test_error_after_first_chunk_fails_over_and_is_logged(db_url):
    rt = await _runtime(db_url)
    try:
        ca, el = _TTS("cartesia", "error"), _TTS("elevenlabs", "ok")
        tts = FailoverTTSService(rt, clients=[ca, el], sink=_Sink())
        frames = [f async for f in tts.run_tts("Hello there.", "ctx")]
        assert (ca.calls, el.calls, tts.all_failed_count) == (1, 1, 0)
        assert [bytes(f.audio[:2]) for f in frames] == [b"\x01\x00", b"\x01\x00", b"\x02\x00"]
        conn = await asyncpg.connect(db_url)
        row = await conn.fetchrow("SELECT * FROM system_errors WHERE call_control_id = $1", _Sink.call_id)
        await conn.close()
        assert row["component"] == "tts" and row["error_class"].startswith("cartesia:mid_stream_")
    finally:
        await rt.close()


async def test_stall_mid_reply_times_out_and_all_failed_reaches_the_fallback(db_url):
    rt = await _runtime(db_url, tts_chunk_timeout_seconds=0.3)
    told = []

    async def on_all_failed(reason):
        told.append(reason)

    try:
        ca, el = _TTS("cartesia", "stall"), _TTS("elevenlabs", "stall")
        tts = FailoverTTSService(rt, clients=[ca, el], sink=_Sink(), on_all_failed=on_all_failed)
        t0 = asyncio.get_running_loop().time()
        frames = [f async for f in tts.run_tts("Hello there.", "ctx")]
        assert asyncio.get_running_loop().time() - t0 < 2.0  # two 0.3 s stalls, not 30 s
        assert (ca.calls, el.calls, tts.all_failed_count, len(frames)) == (1, 1, 1, 2)
        assert len(told) == 1 and "all TTS providers failed" in told[0]
    finally:
        await rt.close()


async def test_tts_fallback_speaks_with_call_control_and_transfers(db_url, recorder):
    rt = await _runtime(db_url, telnyx_api_base=recorder.base)
    said = []

    async def say(text):  # the pipeline's TTS: must not be used when every TTS failed
        said.append(text)
        return True

    try:
        cid = "v3:tts-down-1"
        fb = TelnyxFallbackService(rt, cid, fallback_number="+15550009999", say=say)
        assert await fb.trigger("all TTS providers failed", component="tts", use_pipeline_tts=False) == "transferred"
        assert said == [] and recorder.actions(cid) == ["speak", "transfer"]
        assert recorder.commands[0][2]["payload"] == rt.settings.fallback_message
        conn = await asyncpg.connect(db_url)
        row = await conn.fetchrow("SELECT * FROM system_errors WHERE call_control_id = $1", cid)
        await conn.close()
        assert row["component"] == "tts" and row["error_class"] == "all_providers_failed"
    finally:
        await rt.close()


def _call(rt, connected):
    """Just enough of a call for CallSession._stt_error."""
    from agent.pipeline import CallSession

    c = CallSession.__new__(CallSession)
    c.rt, c.call_id, c.worker, c.end_reason, c._stt_watch = rt, "v3:stt-1", object(), "caller_hangup", None
    c._ended = asyncio.Event()
    c.stt = types.SimpleNamespace(_connection=object() if connected else None)
    c.reasons = []

    async def trigger(reason, component="llm", use_pipeline_tts=True):
        c.reasons.append(component)
        return "transferred"

    c.fallback = types.SimpleNamespace(trigger=trigger)
    return c


async def test_stt_down_past_the_grace_hands_off_unless_faulted(db_url):
    for faults, connected, want in ((frozenset(), False, ["stt"]), (frozenset(), True, []),
                                    (frozenset({"no_pipeline_fallback"}), False, [])):
        rt = await _runtime(db_url, stt_outage_grace_seconds=0.1, faults=faults)
        try:
            c = _call(rt, connected)
            c._stt_error()
            c._stt_error()  # one watch per outage
            await asyncio.sleep(0.3)
            assert c.reasons == want, (faults, connected)
        finally:
            await rt.close()
