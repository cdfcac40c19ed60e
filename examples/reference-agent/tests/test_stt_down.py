"""Deepgram unreachable: the call still connects, greets and ends cleanly; the error is recorded."""

import asyncpg

from conftest import make_settings
from fakes import FakeCartesia
from test_media_e2e import _call, _wait_ended


async def test_greeting_plays_when_deepgram_is_down(db_url, agent_factory):
    async with FakeCartesia() as cart:
        a = await agent_factory(make_settings(db_url, cartesia_base_url=cart.url, greeting="Hi.",
                                              stt_connect_timeout_seconds=0.5))
        got = await _call(a, "v3:dgdown", seconds=2.0, to="+1")
        assert [m for m in got if m.get("event") == "media"]
        row, conn = await _wait_ended(db_url, "v3:dgdown")
        try:
            assert row["first_reply_ms"] < 2000
            n = await conn.fetchval("SELECT count(*) FROM system_errors WHERE error_class LIKE 'deepgram:%'")
            assert n >= 1
        finally:
            await conn.close()
        assert 'agent_provider_errors_total{error_class="connectivity",provider="deepgram"}' in (
            await a.http.get("/metrics")).text
