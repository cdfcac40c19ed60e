"""An LLM request the agent stops reading (caller barge-in, call end) is still recorded in
provider_usage with the tokens the provider reported: OpenAI reports them only in the
stream's last chunk, which arrives after the reader has stopped (issue 13: vstress's
cost.exact saw a call's OpenAI cost under-recorded by one interrupted request)."""

import asyncio

import asyncpg

from agent.costs import record_usage
from agent.failover import FailoverLLMProcessor
from agent.migrate import migrate_url
from agent.runtime import Runtime
from conftest import make_settings
from fakes import FakeHTTPLLM

MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "What are your hours?"}]
CALL = "v3:usage-interrupted"


class _Sink:
    """The call session's usage path: rows in provider_usage."""

    call_id, tenant_id = CALL, None

    def __init__(self, rt):
        self.rt = rt

    async def usage(self, service, provider, model, **kw):
        await record_usage(self.rt, call_control_id=self.call_id, tenant_id=None, provider=provider,
                           service=service, model=model, **kw)

    def provider_used(self, *a):
        pass


async def _rows(db_url, want: int, seconds: float = 5.0) -> list:
    """provider_usage rows of CALL, waiting up to `seconds` for `want` of them."""
    conn = await asyncpg.connect(db_url)
    try:
        for _ in range(int(seconds / 0.05)):
            rows = await conn.fetch("SELECT service, provider, input_tokens, output_tokens, cost_usd FROM provider_usage"
                                    " WHERE call_control_id = $1", CALL)
            if len(rows) >= want:
                return rows
            await asyncio.sleep(0.05)
        return rows
    finally:
        await conn.close()


async def _interrupted(db_url, cancel_when) -> list:
    """One reply from a slow OpenAI, its task cancelled (as Pipecat's interruption does) once
    cancel_when(the fake) holds; the provider_usage rows of the call."""
    async with FakeHTTPLLM("ok", text="We are open from nine to five on weekdays.", delay=0.15) as oa:
        await migrate_url(db_url)
        rt = Runtime(make_settings(db_url, openai_base_url=oa.base + "/v1", llm_providers="openai"))
        try:
            await rt.db.pool()
            proc = FailoverLLMProcessor(rt, sink=_Sink(rt))
            pushed = []

            async def push_frame(frame, direction=None):
                pushed.append(frame)

            proc.push_frame = push_frame
            task = asyncio.get_running_loop().create_task(proc._respond(MESSAGES))
            for _ in range(100):
                if cancel_when(oa):
                    break
                await asyncio.sleep(0.02)
            assert not task.done(), "the reply ended before it could be interrupted"
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            return await _rows(db_url, 1)
        finally:
            await rt.close()


async def test_reply_interrupted_mid_stream_records_the_usage(db_url):
    rows = await _interrupted(db_url, lambda oa: oa.words >= 3)  # three words streamed
    assert [(r["service"], r["provider"], r["input_tokens"], r["output_tokens"]) for r in rows] == [
        ("llm", "openai", 20, 7)]
    assert rows[0]["cost_usd"] > 0


async def test_reply_cancelled_before_its_first_token_records_the_usage(db_url):
    def asked(oa):  # the request has reached the provider; its first word is 0.15 s away
        assert oa.words == 0
        return bool(oa.requests)

    rows = await _interrupted(db_url, asked)
    assert [(r["provider"], r["input_tokens"], r["output_tokens"]) for r in rows] == [("openai", 20, 7)]
