import asyncio
import uuid

from conftest import free_port, make_settings, pg_start, pg_stop


async def test_health_degraded_when_db_down_and_recovers(agent_factory):
    port = free_port()
    pgdir = f"/tmp/ra-pg-{uuid.uuid4().hex[:10]}"  # must be reachable by the postgres user
    env = pg_start(pgdir, port)
    try:
        a = await agent_factory(make_settings(env["DATABASE_URL"], db_connect_timeout=1.0))
        r = await a.http.get("/health")
        assert r.status_code == 200 and r.json()["status"] == "ok"
        pg_stop(pgdir)
        r = await a.http.get("/health")
        assert r.status_code == 503
        assert r.json() == {"status": "degraded", "database": "unreachable"}
        # API routes that need the DB answer 503, the process keeps running
        r = await a.http.post("/api/auth/session", json={"username": "admin", "password": "secret"})
        assert r.status_code == 503
        assert (await a.http.get("/metrics")).status_code == 200
        pg_start(pgdir, port)
        for _ in range(50):
            r = await a.http.get("/health")
            if r.status_code == 200:
                break
            await asyncio.sleep(0.2)
        assert r.status_code == 200 and r.json()["status"] == "ok"
    finally:
        pg_stop(pgdir)


async def test_agent_starts_with_db_down(agent_factory):
    a = await agent_factory(make_settings(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres",
                                          db_connect_timeout=0.5))
    r = await a.http.get("/health")
    assert r.status_code == 503 and r.json()["database"] == "unreachable"


async def test_wrong_health_body_fault(db_url, agent_factory):
    a = await agent_factory(make_settings(db_url, faults=frozenset({"wrong_health_body"})))
    r = await a.http.get("/health")
    assert r.status_code == 200 and r.json() != {"status": "ok"}


async def test_metrics_exposition(db_url, agent_factory):
    a = await agent_factory(make_settings(db_url))
    a.rt.breakers.get("llm:openai")
    text = (await a.http.get("/metrics")).text
    for name in ("agent_active_calls 0", "agent_process_rss_bytes", 'agent_breaker_state{breaker="llm:openai"} 0',
                 "agent_db_pool_size"):
        assert name in text, name
