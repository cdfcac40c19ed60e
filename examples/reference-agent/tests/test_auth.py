import asyncio

import asyncpg

from conftest import make_settings


async def test_login_verify_logout_and_401s(db_url, agent_factory):
    a = await agent_factory(make_settings(db_url))
    h = a.http
    assert (await h.post("/api/auth/session", json={"username": "admin", "password": "wrong"})).status_code == 401
    assert (await h.post("/api/auth/session", content=b"not json")).status_code == 400
    r = await h.post("/api/auth/session", json={"username": "admin", "password": "secret"})
    assert r.status_code == 200
    tok = r.json()["token"]
    assert r.json()["expires_at"]
    auth = {"Authorization": f"Bearer {tok}"}
    for path in ("/api/auth/verify", "/api/admin/tenants", "/api/admin/calls", "/api/admin/stats"):
        r = await h.get(path)
        assert r.status_code == 401 and r.json()["error"] == "unauthorized", path
        r = await h.get(path, headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401, path
        r = await h.get(path, headers=auth)
        assert r.status_code == 200, (path, r.text)
    assert (await h.get("/api/auth/verify", headers=auth)).json()["username"] == "admin"
    # public routes
    assert (await h.get("/health")).status_code == 200
    assert (await h.get("/openapi.json")).status_code == 200
    assert (await h.post("/api/auth/logout", headers=auth)).status_code == 200
    assert (await h.get("/api/auth/verify", headers=auth)).status_code == 401


async def test_expiry_and_cleanup(db_url, agent_factory):
    a = await agent_factory(make_settings(db_url, session_ttl_seconds=1))
    tok = await a.login()
    tok2 = await a.login()
    auth = {"Authorization": f"Bearer {tok}"}
    assert (await a.http.get("/api/auth/verify", headers=auth)).status_code == 200
    await asyncio.sleep(1.3)
    assert (await a.http.get("/api/auth/verify", headers=auth)).status_code == 401
    fresh = await a.login()
    r = await a.http.post("/api/admin/sessions/cleanup", headers={"Authorization": f"Bearer {fresh}"})
    assert r.status_code == 200 and r.json()["deleted"] == 2
    conn = await asyncpg.connect(db_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM sessions") == 1
    finally:
        await conn.close()
    assert tok2


async def test_periodic_cleanup_task(db_url, agent_factory):
    a = await agent_factory(make_settings(db_url, session_ttl_seconds=1, session_cleanup_interval_seconds=1))
    await a.login()
    await asyncio.sleep(2.5)
    conn = await asyncpg.connect(db_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM sessions") == 0
    finally:
        await conn.close()


async def test_empty_password_refuses_logins(db_url, agent_factory):
    a = await agent_factory(make_settings(db_url, auth_password=""))
    r = await a.http.post("/api/auth/session", json={"username": "admin", "password": ""})
    assert r.status_code == 401
