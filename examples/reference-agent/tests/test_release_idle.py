"""The agent returns a finished call's memory when its last call ends
(MALLOC_TRIM_IDLE, agent/malloc.py): release_idle runs then, and only then."""

import asyncio

import agent.pipeline as pipeline
from conftest import make_settings
from fakes import FakeCartesia, FakeDeepgram
from test_media_e2e import _call, _wait_ended


def _record(monkeypatch, a_ref):
    seen = []
    monkeypatch.setattr(pipeline, "release_idle", lambda: seen.append(len(a_ref[0].rt.active_calls)) or 0.0)
    return seen


async def test_released_once_no_call_is_left(db_url, agent_factory, monkeypatch):
    async with FakeCartesia() as cart, FakeDeepgram() as dg:
        a = await agent_factory(make_settings(db_url, cartesia_base_url=cart.url, deepgram_base_url=dg.url,
                                              greeting="Hello there."))
        ref = [a]
        seen = _record(monkeypatch, ref)
        await asyncio.gather(*[_call(a, f"v3:idle-{i}", seconds=1.5, to="+1") for i in range(4)])
        for i in range(4):
            _, conn = await _wait_ended(db_url, f"v3:idle-{i}")
            await conn.close()
        for _ in range(50):
            if seen:
                break
            await asyncio.sleep(0.1)
        assert seen, "release_idle never ran after the last call"
        assert all(n == 0 for n in seen), seen  # never while a call was still active
        assert len(seen) <= 4


async def test_not_released_when_switched_off(db_url, agent_factory, monkeypatch):
    async with FakeCartesia() as cart, FakeDeepgram() as dg:
        a = await agent_factory(make_settings(db_url, cartesia_base_url=cart.url, deepgram_base_url=dg.url,
                                              greeting="Hi.", malloc_trim_idle=False))
        seen = _record(monkeypatch, [a])
        await _call(a, "v3:idle-off", seconds=1.0, to="+1")
        _, conn = await _wait_ended(db_url, "v3:idle-off")
        await conn.close()
        await asyncio.sleep(0.3)
        assert seen == []
