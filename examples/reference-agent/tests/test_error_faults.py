"""The AGENT_FAULTS switches of vstress's errors phase (Phase 8): no_failover,
no_degraded_health, no_db_outage_log, and the healthy behaviour they break
(an outage logged once the database is back)."""

import asyncio
import glob
import json
import os
import subprocess
import time
import uuid

import asyncpg

from agent.failover import AllProvidersFailed, LLMFailover
from agent.migrate import migrate_url
from agent.runtime import Runtime
from conftest import free_port, make_settings, pg_start, pg_stop
from fakes import FakeHTTPLLM

MESSAGES = [{"role": "user", "content": "What are your hours?"}]


async def _runtime(db_url, **kw) -> Runtime:
    await migrate_url(db_url)
    rt = Runtime(make_settings(db_url, **kw))
    await rt.db.pool()
    return rt


async def test_no_failover_fault_stops_at_the_first_provider(db_url):
    async with FakeHTTPLLM("401") as oa, FakeHTTPLLM("ok", text="Hi.") as an:
        kw = dict(openai_base_url=oa.base + "/v1", anthropic_base_url=an.base, llm_providers="openai,anthropic")
        rt = await _runtime(db_url, **kw)
        try:  # healthy: the 401 fails over
            assert "".join([c async for c in LLMFailover(rt).stream(MESSAGES)]) == "Hi."
            assert rt.metrics.get("agent_provider_failovers_total", {"service": "llm", "from": "openai", "to": "anthropic"}) == 1
        finally:
            await rt.close()
        rt = await _runtime(db_url, faults=frozenset({"no_failover"}), **kw)
        try:
            try:
                [c async for c in LLMFailover(rt).stream(MESSAGES)]
                raise AssertionError("no_failover: the second provider answered")
            except AllProvidersFailed as e:
                assert "openai: auth" in str(e)
            assert len(an.requests) == 1  # only the healthy run's
            assert rt.metrics.get("agent_provider_errors_total", {"provider": "openai", "error_class": "auth"}) == 1
        finally:
            await rt.close()


def _pg_ctl(pgdir: str, port: int, action: str) -> None:
    """Stop or start the same cluster again (pg_stop/pg_start would delete and re-create it)."""
    pg_ctl = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1]
    cmd = [pg_ctl, "-D", f"{pgdir}/data", "-w", "-t", "30"]
    if action == "stop":
        cmd += ["-m", "immediate", "stop"]
    else:
        cmd += ["-l", f"{pgdir}/server.log", "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {pgdir}", "start"]
    if os.getuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    subprocess.run(cmd, check=True, capture_output=True)


async def _outage(agent_factory, faults=frozenset()):
    """Agent on its own Postgres; the database stopped and started again.  Returns
    (health during the outage, metrics text after it, the system_errors outage rows)."""
    port = free_port()
    pgdir = f"/tmp/ra-pg-{uuid.uuid4().hex[:10]}"
    env = pg_start(pgdir, port)
    try:
        await migrate_url(env["DATABASE_URL"])
        a = await agent_factory(make_settings(env["DATABASE_URL"], db_connect_timeout=1.0, faults=faults))
        assert (await a.http.get("/health")).status_code == 200
        _pg_ctl(pgdir, port, "stop")
        down = await a.http.get("/health")
        _pg_ctl(pgdir, port, "start")
        for _ in range(50):
            if (await a.http.get("/health")).status_code == 200:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.3)  # the outage row is written in the background
        metrics = (await a.http.get("/metrics")).text
        conn = await asyncpg.connect(env["DATABASE_URL"])
        try:
            rows = await conn.fetch("SELECT * FROM system_errors WHERE component = 'database' AND error_class = 'outage'")
        finally:
            await conn.close()
        return down, metrics, rows
    finally:
        pg_stop(pgdir)


async def test_db_outage_is_logged_once_back(agent_factory):
    down, metrics, rows = await _outage(agent_factory)
    assert down.status_code == 503 and down.json()["status"] == "degraded"
    assert len(rows) == 1
    details = json.loads(rows[0]["details"])  # jsonb as text on a plain connection
    assert details["failed_operations"] >= 1 and details["seconds"] >= 0
    assert "agent_db_errors_total " in metrics


async def test_no_db_outage_log_fault(agent_factory):
    down, metrics, rows = await _outage(agent_factory, frozenset({"no_db_outage_log"}))
    assert down.json()["status"] == "degraded"
    assert rows == [] and "agent_db_errors_total" not in metrics


async def test_no_degraded_health_fault(agent_factory):
    down, _, _ = await _outage(agent_factory, frozenset({"no_degraded_health"}))
    assert down.status_code == 503 and "status" not in down.json()
    assert down.json()["error"] == "database_unavailable"


class _TTS:
    """A TTS client that refuses (as a failed handshake does) or yields one chunk."""

    def __init__(self, name, ok):
        self.name, self.model, self.ok, self.calls = name, "m", ok, 0

    async def synthesize(self, text, sample_rate):
        self.calls += 1
        if not self.ok:
            raise ConnectionRefusedError("handshake refused: HTTP 500")
        yield b"\x00\x00" * 80


async def test_no_tts_failover_fault_stops_at_the_first_provider(db_url):
    from agent.failover import FailoverTTSService

    async def speak(rt):
        ca, el = _TTS("cartesia", False), _TTS("elevenlabs", True)
        tts = FailoverTTSService(rt, clients=[ca, el])
        frames = [f async for f in tts.run_tts("Hello there.", "ctx")]
        return ca, el, tts, frames

    rt = await _runtime(db_url)
    try:  # healthy: Cartesia's failure fails over to ElevenLabs
        ca, el, tts, frames = await speak(rt)
        assert (ca.calls, el.calls, tts.all_failed_count) == (1, 1, 0) and frames
        assert rt.metrics.get("agent_provider_failovers_total", {"service": "tts", "from": "cartesia", "to": "elevenlabs"}) == 1
    finally:
        await rt.close()
    rt = await _runtime(db_url, faults=frozenset({"no_tts_failover"}))
    try:
        ca, el, tts, frames = await speak(rt)
        assert (ca.calls, el.calls, tts.all_failed_count) == (1, 0, 1) and not frames
        assert rt.metrics.get("agent_provider_errors_total", {"provider": "cartesia", "error_class": "connectivity"}) == 1
    finally:
        await rt.close()


class _TimedTTS(_TTS):
    """A TTS client that notes when the request reached it."""

    async def synthesize(self, text, sample_rate):
        self.at = time.monotonic()
        async for chunk in super().synthesize(text, sample_rate):
            yield chunk


async def test_slow_tts_request_fault_sends_the_request_late(db_url):
    """slow_tts_request (vstress's waterfall test, docs/waterfall.md): the
    TTS request leaves FAULT_SLOW_TTS_REQUEST_SECONDS late; off by default."""
    from agent.failover import FailoverTTSService

    async def lag(rt):
        ca = _TimedTTS("cartesia", True)
        tts = FailoverTTSService(rt, clients=[ca])
        t0 = time.monotonic()
        frames = [f async for f in tts.run_tts("Hello there.", "ctx")]
        assert frames and ca.calls == 1
        return ca.at - t0

    rt = await _runtime(db_url)
    try:
        assert await lag(rt) < 0.2
    finally:
        await rt.close()
    rt = await _runtime(db_url, faults=frozenset({"slow_tts_request"}), fault_slow_tts_request_seconds=0.3)
    try:
        assert 0.3 <= await lag(rt) < 0.6
    finally:
        await rt.close()
