import asyncpg

from agent.migrate import apply_migrations, migration_files, migrate_url

TABLES = {
    "tenants", "phone_numbers", "sessions", "call_logs", "call_turns", "system_errors", "provider_usage",
    "circuit_breaker_events", "transfers", "webhook_events", "call_control_commands", "provider_prices",
    "schema_migrations",
}


async def test_twelve_migrations_from_empty_then_idempotent(db_url):
    assert len(migration_files()) == 12
    applied = await migrate_url(db_url)
    assert applied == [f"{i:03d}" for i in range(1, 13)]
    again = await migrate_url(db_url)
    assert again == []
    conn = await asyncpg.connect(db_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 12
        tables = {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
        assert TABLES <= tables
        # foreign keys are enforced
        fks = await conn.fetchval("SELECT count(*) FROM information_schema.table_constraints WHERE constraint_type='FOREIGN KEY'")
        assert fks >= 7
        try:
            await conn.execute("INSERT INTO phone_numbers (number, tenant_id) VALUES ('+1', 999999)")
            raise AssertionError("FK not enforced")
        except asyncpg.ForeignKeyViolationError:
            pass
        idx = {r["indexname"] for r in await conn.fetch("SELECT indexname FROM pg_indexes WHERE schemaname='public'")}
        assert {"call_logs_tenant_started_idx", "system_errors_occurred_idx", "provider_usage_call_idx"} <= idx
        # concurrent runs are serialised by the advisory lock
        await apply_migrations(conn)
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 12
    finally:
        await conn.close()


async def test_agent_migrates_at_startup(db_url, agent_factory):
    from conftest import make_settings

    agent = await agent_factory(make_settings(db_url, seed_phone_numbers="+15550001111=+15550009999"))
    r = await agent.http.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    conn = await asyncpg.connect(db_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 12
        row = await conn.fetchrow("SELECT number, fallback_number FROM phone_numbers")
        assert tuple(row) == ("+15550001111", "+15550009999")
    finally:
        await conn.close()
