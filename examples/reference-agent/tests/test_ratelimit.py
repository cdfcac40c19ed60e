import asyncio

from agent.ratelimit import SlidingWindowLimiter
from conftest import make_settings


async def test_429_with_retry_after_then_recovery(db_url, agent_factory):
    a = await agent_factory(make_settings(db_url, rate_limit_per_minute=5, rate_limit_window_seconds=1.5))
    codes = [(await a.http.get("/api/auth/verify")).status_code for _ in range(5)]
    assert codes == [401] * 5  # counted even when unauthenticated
    r = await a.http.get("/api/auth/verify")
    assert r.status_code == 429
    assert r.json()["error"] == "rate_limited"
    assert 1 <= int(r.headers["Retry-After"]) <= 2
    # exempt paths
    assert (await a.http.get("/health")).status_code == 200
    assert (await a.http.get("/metrics")).status_code == 200
    assert (await a.http.post("/api/telnyx/webhook", content=b"{}")).status_code != 429
    await asyncio.sleep(float(r.headers["Retry-After"]) + 0.1)
    assert (await a.http.get("/api/auth/verify")).status_code == 401
    m = (await a.http.get("/metrics")).text
    assert "agent_rate_limited_total 1" in m


async def test_fault_no_rate_limit(db_url, agent_factory):
    a = await agent_factory(make_settings(db_url, rate_limit_per_minute=2, faults=frozenset({"no_rate_limit"})))
    codes = {(await a.http.get("/api/auth/verify")).status_code for _ in range(6)}
    assert codes == {401}


async def test_fault_rate_limit_webhooks(db_url, agent_factory):
    # the webhook is exempt unless the fault counts it against the /api limit
    a = await agent_factory(make_settings(db_url, rate_limit_per_minute=2, faults=frozenset({"rate_limit_webhooks"})))
    for _ in range(2):
        await a.http.get("/api/auth/verify")
    assert (await a.http.post("/api/telnyx/webhook", content=b"{}")).status_code == 429


def test_sliding_window_unit():
    now = [0.0]
    lim = SlidingWindowLimiter(3, 60, clock=lambda: now[0])
    assert [lim.hit("a")[0] for _ in range(3)] == [True] * 3
    ok, retry = lim.hit("a")
    assert not ok and retry == 60
    assert lim.hit("b")[0]  # per client
    now[0] = 30
    assert lim.hit("a") == (False, 30)
    now[0] = 60.01
    assert lim.hit("a")[0]


def test_retry_after_ignored_fault_unit():
    # the fault: a refused client stays refused a whole window, whatever Retry-After said
    now = [0.0]
    lim = SlidingWindowLimiter(2, 10, clock=lambda: now[0])
    assert lim.hit("a", penalty=True)[0]
    now[0] = 5.0
    assert lim.hit("a", penalty=True)[0]
    now[0] = 6.0
    ok, retry = lim.hit("a", penalty=True)
    assert not ok and retry == 4
    now[0] = 10.01  # waited as told: a slot is free, yet still refused
    assert not lim.hit("a", penalty=True)[0]
    healthy = SlidingWindowLimiter(2, 10, clock=lambda: now[0])
    now[0] = 0.0
    healthy.hit("a"), healthy.hit("a")
    now[0] = 10.01
    assert healthy.hit("a")[0]
