"""LLM failover (stall -> timeout -> next provider) and the all-LLMs-failed fallback path."""

import asyncio
from decimal import Decimal

import asyncpg
from pipecat.frames.frames import LLMContextFrame, LLMFullResponseEndFrame, LLMFullResponseStartFrame, LLMTextFrame
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.tests.utils import run_test

from agent.costs import PriceTable, record_usage
from agent.failover import AllProvidersFailed, FailoverLLMProcessor, LLMFailover, TelnyxFallbackService
from agent.migrate import migrate_url
from agent.runtime import Runtime
from conftest import free_port, make_settings
from fakes import FakeHTTPLLM

MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "What are your hours?"}]


async def _runtime(db_url, **kw) -> Runtime:
    await migrate_url(db_url)
    rt = Runtime(make_settings(db_url, **kw))
    await rt.db.pool()
    return rt


async def test_stalled_openai_fails_over_to_anthropic(db_url):
    async with FakeHTTPLLM("stall") as oa, FakeHTTPLLM("ok", text="We open at nine.") as an:
        rt = await _runtime(
            db_url, openai_base_url=oa.base + "/v1", anthropic_base_url=an.base,
            google_gemini_base_url=f"http://127.0.0.1:{free_port()}", llm_first_token_timeout_seconds=0.5)
        try:
            f = LLMFailover(rt)
            used = []

            async def on_first(name, ttfb):
                used.append((name, ttfb))

            text = "".join([c async for c in f.stream(MESSAGES, on_first)])
            assert text == "We open at nine."
            assert used[0][0] == "anthropic"
            assert oa.requests and oa.requests[0]["model"] == "gpt-4o" and oa.requests[0]["stream"] is True
            assert an.requests[0]["system"] == "be brief"
            assert f.last_usage["tokens"] == (30, 9)
            assert rt.metrics.get("agent_provider_errors_total", {"provider": "openai", "error_class": "timeout"}) == 1
            assert sum(rt.metrics.get("agent_provider_errors_total", {"provider": "gemini", "error_class": c})
                       for c in ("connectivity", "timeout")) == 1
            assert rt.breakers.get("llm:anthropic").successes_total == 1
            await f.close()
        finally:
            await rt.close()


async def test_open_breaker_skips_provider(db_url):
    async with FakeHTTPLLM("500") as oa, FakeHTTPLLM("ok", text="Hi.") as ok:
        rt = await _runtime(db_url, openai_base_url=oa.base + "/v1", anthropic_base_url=ok.base,
                            llm_providers="openai,anthropic", breaker_minimum_calls=2, breaker_window_size=2)
        try:
            f = LLMFailover(rt)
            for _ in range(3):
                assert "".join([c async for c in f.stream(MESSAGES)]) == "Hi."
            assert len(oa.requests) == 2  # third request skipped: breaker OPEN
            assert rt.breakers.get("llm:openai").state == "OPEN"
            await asyncio.sleep(0.2)
            conn = await asyncpg.connect(db_url)
            try:
                rows = await conn.fetch("SELECT breaker, from_state, to_state FROM circuit_breaker_events")
                assert [tuple(r) for r in rows] == [("llm:openai", "CLOSED", "OPEN")]
            finally:
                await conn.close()
            await f.close()
        finally:
            await rt.close()


async def test_all_llms_failing_speaks_and_transfers(db_url, recorder):
    async with FakeHTTPLLM("500") as bad:
        rt = await _runtime(db_url, telnyx_api_base=recorder.base, openai_base_url=bad.base + "/v1",
                            anthropic_base_url=bad.base, google_gemini_base_url=f"http://127.0.0.1:{free_port()}")
        try:
            conn = await asyncpg.connect(db_url)
            tid = await conn.fetchval("INSERT INTO tenants (name, fallback_number) VALUES ('acme', '+15550000000') RETURNING id")
            cid = "v3:fallback-1"
            await conn.execute("INSERT INTO call_logs (call_control_id, tenant_id, status) VALUES ($1, $2, 'in_progress')", cid, tid)
            fb = TelnyxFallbackService(rt, cid, tenant_id=tid, fallback_number="+15550009999")
            outcomes = []

            async def on_all_failed(reason):
                outcomes.append(await fb.trigger(reason))

            proc = FailoverLLMProcessor(rt, on_all_failed=on_all_failed)
            down, _ = await run_test(proc, frames_to_send=[LLMContextFrame(LLMContext(messages=list(MESSAGES)))],
                                     expected_down_frames=[])
            assert outcomes == ["transferred"]
            assert recorder.actions(cid) == ["speak", "transfer"]
            speak, transfer = recorder.commands[0][2], recorder.commands[1][2]
            assert speak["payload"] == rt.settings.fallback_message
            assert transfer["to"] == "+15550009999"
            err = await conn.fetchrow("SELECT * FROM system_errors WHERE error_class = 'all_providers_failed'")
            assert err["component"] == "llm" and err["call_control_id"] == cid and err["tenant_id"] == tid
            assert "openai" in err["message"] and "anthropic" in err["message"]
            tr = await conn.fetchrow("SELECT * FROM transfers")
            assert tr["to_number"] == "+15550009999" and tr["status"] == "sent" and tr["http_status"] == 200
            cl = await conn.fetchrow("SELECT * FROM call_logs WHERE call_control_id = $1", cid)
            assert cl["status"] == "transferred" and cl["transferred_to"] == "+15550009999"
            assert await fb.trigger("again") == "already_triggered"
            await conn.close()
        finally:
            await rt.close()


async def test_llm_processor_emits_response_frames(db_url):
    async with FakeHTTPLLM("ok", text="Hello there caller") as oa:
        rt = await _runtime(db_url, openai_base_url=oa.base + "/v1")
        try:
            proc = FailoverLLMProcessor(rt)
            # the output guard (agent/guard.py) hands text on in whole clauses: the three tokens of
            # this clause with no end mark go out as one frame at the end of the reply
            down, _ = await run_test(proc, frames_to_send=[LLMContextFrame(LLMContext(messages=list(MESSAGES)))],
                                     expected_down_frames=[LLMFullResponseStartFrame, LLMTextFrame,
                                                           LLMFullResponseEndFrame])
            assert "".join(f.text for f in down if isinstance(f, LLMTextFrame)).strip() == "Hello there caller"
        finally:
            await rt.close()


async def test_all_failed_raises_without_fallback(db_url):
    rt = await _runtime(db_url, llm_providers="openai", openai_base_url=f"http://127.0.0.1:{free_port()}/v1")
    try:
        f = LLMFailover(rt)
        try:
            [c async for c in f.stream(MESSAGES)]
            raise AssertionError("expected AllProvidersFailed")
        except AllProvidersFailed as e:
            assert "openai" in str(e)
    finally:
        await rt.close()


def test_price_table():
    p = PriceTable()
    assert p.cost("openai", "gpt-4o", input_tokens=1000, output_tokens=100) == Decimal("0.00350000")
    assert p.cost("anthropic", "claude-x", input_tokens=1_000_000) == Decimal("3.00000000")
    assert p.cost("cartesia", None, characters=1000) == Decimal("0.05000000")
    assert p.cost("deepgram", "nova-3-general", audio_seconds=60) == Decimal("0.00480000")
    assert p.cost("unknown", None, characters=10) == 0


async def test_cost_accounting_rows(db_url):
    rt = await _runtime(db_url)
    try:
        await rt.prices.load(rt.db)
        conn = await asyncpg.connect(db_url)
        tid = await conn.fetchval("INSERT INTO tenants (name) VALUES ('t') RETURNING id")
        await record_usage(rt, call_control_id="v3:c", tenant_id=tid, provider="openai", service="llm",
                           model="gpt-4o", input_tokens=2000, output_tokens=500)
        await record_usage(rt, call_control_id="v3:c", tenant_id=tid, provider="elevenlabs", service="tts",
                           characters=200)
        await record_usage(rt, call_control_id="v3:c", tenant_id=tid, provider="deepgram", service="stt",
                           audio_seconds=30)
        row = await conn.fetchrow("SELECT * FROM call_costs WHERE call_control_id = 'v3:c'")
        # 2000*2.5e-6 + 500*1e-5 + 200*5e-5 + 30*8e-5 = 0.005 + 0.005 + 0.01 + 0.0024
        assert row["cost_usd"] == Decimal("0.0224")
        assert row["input_tokens"] == 2000 and row["characters"] == 200 and row["audio_seconds"] == 30
        assert row["tenant_id"] == tid
        await conn.close()
    finally:
        await rt.close()


async def test_shared_llm_backoff_holds_other_calls(db_url):
    """AGENT_FAULTS=shared_llm_backoff: one call's LLM failure holds every other call's next request."""
    async with FakeHTTPLLM("500") as bad, FakeHTTPLLM("ok", text="Hi.") as ok:
        for faults, held in ((frozenset(), False), (frozenset({"shared_llm_backoff"}), True)):
            rt = await _runtime(db_url, openai_base_url=bad.base + "/v1", anthropic_base_url=ok.base,
                                llm_providers="openai,anthropic", faults=faults, fault_shared_backoff_seconds=0.6)
            try:
                assert "".join([c async for c in LLMFailover(rt).stream(MESSAGES)]) == "Hi."  # openai 500 -> anthropic
                other = LLMFailover(rt, clients=LLMFailover(rt).clients[1:])  # another call, anthropic only
                t0 = asyncio.get_running_loop().time()
                assert "".join([c async for c in other.stream(MESSAGES)]) == "Hi."
                waited = asyncio.get_running_loop().time() - t0
                assert (waited >= 0.5) == held, (faults, waited)
            finally:
                await rt.close()
