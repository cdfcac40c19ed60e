"""FastAPI application: routes, middleware, lifespan (migrate, pool, clean shutdown)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import FastAPI, Request, WebSocket
from starlette.responses import JSONResponse, PlainTextResponse

from . import auth, errortrack, telnyx_webhook
from .db import DatabaseUnavailable
from .malloc import freeze_startup
from .migrate import apply_migrations
from .ratelimit import RateLimitMiddleware
from .runtime import Runtime
from .settings import Settings, get_settings

log = logging.getLogger("agent.app")


async def _on_first_connect(rt: Runtime) -> None:
    if rt.settings.migrate_on_start:
        async with (await rt.db.pool()).acquire() as conn:
            applied = await apply_migrations(conn)
            if applied:
                log.info("applied migrations %s", applied)
    await seed_numbers(rt)
    await rt.prices.load(rt.db)


async def seed_numbers(rt: Runtime) -> None:
    """SEED_PHONE_NUMBERS="+15551230000=+15559870000,+15551230001": numbers of SEED_TENANT_NAME."""
    spec = rt.settings.seed_phone_numbers.strip()
    if not spec:
        return
    tenant_id = await rt.db.fetchval(
        "INSERT INTO tenants (name, fallback_number) VALUES ($1, $2)"
        " ON CONFLICT (name) DO UPDATE SET updated_at = now() RETURNING id",
        rt.settings.seed_tenant_name, rt.settings.default_fallback_number or None,
    )
    for item in spec.split(","):
        number, _, fallback = item.strip().partition("=")
        if number:
            await rt.db.execute(
                "INSERT INTO phone_numbers (number, tenant_id, fallback_number) VALUES ($1, $2, $3)"
                " ON CONFLICT (number) DO UPDATE SET tenant_id = EXCLUDED.tenant_id,"
                " fallback_number = EXCLUDED.fallback_number, active = TRUE",
                number, tenant_id, fallback or None,
            )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    errortrack.init(settings)
    rt = Runtime(settings)
    rt.db.on_first_connect = lambda db: _on_first_connect(rt)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.preload_pipeline:
            from .pipeline import preload
            from .providers import shared_llm_clients

            preload()
            shared_llm_clients(rt)  # SDK clients (SSL contexts) once, not on the first call
        try:
            await rt.db.pool()  # migrate + seed; failure is not fatal
        except DatabaseUnavailable as e:
            log.error("database unavailable at start-up (will retry on demand): %s", e)
        if settings.malloc_trim_idle:
            log.info("start-up objects frozen out of the garbage collector: %d", freeze_startup())
        cleanup = asyncio.create_task(auth.cleanup_loop(rt), name="session-cleanup")
        try:
            yield
        finally:
            rt.shutting_down = True
            cleanup.cancel()
            await shutdown_calls(rt)
            await rt.close()
            errortrack.flush()

    app = FastAPI(title="vstress reference agent", version="0.1.0", lifespan=lifespan)
    app.state.runtime = rt
    # order: rate limit runs first (outermost), then auth
    app.add_middleware(auth.AuthMiddleware, runtime=rt)
    app.add_middleware(RateLimitMiddleware, runtime=rt)
    app.include_router(auth.router)
    app.include_router(telnyx_webhook.router)

    @app.get("/health")
    async def health():
        if settings.has_fault("wrong_health_body"):
            return {"status": "fine"}
        if settings.has_fault("no_degraded_health"):  # unguarded: DatabaseUnavailable -> 503 error body
            await rt.db.fetchval("SELECT 1")
            return {"status": "ok", "database": "ok", "active_calls": len(rt.active_calls)}
        if await rt.db.ping():
            return {"status": "ok", "database": "ok", "active_calls": len(rt.active_calls)}
        return JSONResponse({"status": "degraded", "database": "unreachable"}, status_code=503)

    @app.get("/metrics")
    async def metrics():
        return PlainTextResponse(rt.metrics.render(rt), media_type="text/plain; version=0.0.4")

    @app.get("/api/admin/tenants")
    async def admin_tenants():
        rows = await rt.db.fetch(
            "SELECT t.id, t.name, t.fallback_number, t.active, t.created_at,"
            " COALESCE(json_agg(json_build_object('number', p.number, 'fallback_number', p.fallback_number))"
            " FILTER (WHERE p.id IS NOT NULL), '[]') AS phone_numbers"
            " FROM tenants t LEFT JOIN phone_numbers p ON p.tenant_id = t.id GROUP BY t.id ORDER BY t.id"
        )
        return {"tenants": [_row(r) for r in rows]}

    @app.post("/api/admin/tenants")
    async def admin_create_tenant(request: Request):
        body = await request.json()
        name = body.get("name")
        if not name:
            return JSONResponse({"error": "bad_request", "detail": "name required"}, 400)
        tid = await rt.db.fetchval(
            "INSERT INTO tenants (name, fallback_number, greeting, system_prompt) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (name) DO UPDATE SET fallback_number = EXCLUDED.fallback_number,"
            " greeting = EXCLUDED.greeting, system_prompt = EXCLUDED.system_prompt, updated_at = now()"
            " RETURNING id",
            name, body.get("fallback_number"), body.get("greeting"), body.get("system_prompt"),
        )
        for n in body.get("phone_numbers", []):
            num = n if isinstance(n, str) else n.get("number")
            fb = None if isinstance(n, str) else n.get("fallback_number")
            await rt.db.execute(
                "INSERT INTO phone_numbers (number, tenant_id, fallback_number) VALUES ($1, $2, $3)"
                " ON CONFLICT (number) DO UPDATE SET tenant_id = EXCLUDED.tenant_id,"
                " fallback_number = EXCLUDED.fallback_number, active = TRUE",
                num, tid, fb,
            )
        return JSONResponse({"id": tid, "name": name}, status_code=201)

    @app.get("/api/admin/calls")
    async def admin_calls(limit: int = 50):
        rows = await rt.db.fetch(
            "SELECT * FROM call_logs ORDER BY started_at DESC LIMIT $1", max(1, min(limit, 1000))
        )
        return {"calls": [_row(r) for r in rows], "active": list(rt.active_calls)}

    @app.get("/api/admin/stats")
    async def admin_stats():
        r = await rt.db.fetchrow(
            "SELECT (SELECT count(*) FROM call_logs) AS calls,"
            " (SELECT count(*) FROM call_turns) AS turns,"
            " (SELECT avg(latency_ms) FROM call_turns WHERE latency_ms IS NOT NULL) AS avg_turn_latency_ms,"
            " (SELECT count(*) FROM system_errors) AS system_errors,"
            " (SELECT COALESCE(sum(cost_usd), 0) FROM provider_usage) AS cost_usd,"
            " (SELECT count(*) FROM transfers) AS transfers"
        )
        out = _row(r)
        out["active_calls"] = len(rt.active_calls)
        out["breakers"] = [b.snapshot() for b in rt.breakers.all()]
        out["db_pool"] = rt.db.pool_stats()
        return out

    @app.exception_handler(DatabaseUnavailable)
    async def db_down(request: Request, exc: DatabaseUnavailable):
        return JSONResponse({"error": "database_unavailable", "detail": str(exc)}, status_code=503)

    @app.websocket("/media/{call_id:path}")
    async def media(websocket: WebSocket, call_id: str):
        from .pipeline import handle_media_websocket  # heavy imports only when a call arrives

        await handle_media_websocket(rt, websocket, call_id)

    return app


async def shutdown_calls(rt: Runtime) -> None:
    """Clean shutdown: end every active call (hang up via Call Control), finish background tasks."""
    sessions = list(rt.active_calls.values())
    if sessions:
        log.info("shutdown: ending %d active calls", len(sessions))
    await asyncio.gather(*(s.shutdown() for s in sessions), return_exceptions=True)
    if rt.tasks:
        _, pending = await asyncio.wait(list(rt.tasks), timeout=5)
        for t in pending:
            t.cancel()


def _row(r) -> dict:
    import decimal
    import json as _json
    from datetime import datetime

    out = {}
    for k, v in dict(r).items():
        if isinstance(v, datetime):
            v = v.isoformat()
        elif isinstance(v, decimal.Decimal):
            v = float(v)
        elif isinstance(v, str) and k == "phone_numbers":
            v = _json.loads(v)
        out[k] = v
    return out
