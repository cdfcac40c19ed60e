"""Session auth: POST /api/auth/session, GET /api/auth/verify, POST /api/auth/logout.

Tokens are random (``secrets.token_urlsafe(32)``); only their SHA-256 is stored
in ``sessions``.  A token is valid until ``expires_at`` (SESSION_TTL_SECONDS
after creation) unless revoked by logout.  Expired and revoked sessions are
deleted by a periodic task and by POST /api/admin/sessions/cleanup.

Every /api/* path except PUBLIC_PATHS needs ``Authorization: Bearer <token>``
(401 JSON otherwise).  If AUTH_PASSWORD is empty, logins are refused.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from .db import DatabaseUnavailable

log = logging.getLogger("agent.auth")

PUBLIC_PATHS = ("/api/auth/session", "/api/telnyx/webhook")

router = APIRouter()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _bearer(request_headers) -> str | None:
    h = request_headers.get("authorization", "")
    if h[:7].lower() == "bearer " and h[7:].strip():
        return h[7:].strip()
    return None


async def create_session(rt, username: str, client_ip: str | None) -> dict:
    token = secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + timedelta(seconds=rt.settings.session_ttl_seconds)
    await rt.db.execute(
        "INSERT INTO sessions (token_hash, username, expires_at, client_ip) VALUES ($1, $2, $3, $4)",
        _hash(token), username, expires, client_ip,
    )
    return {"token": token, "expires_at": expires.isoformat(), "token_type": "Bearer"}


async def verify_token(rt, token: str):
    return await rt.db.fetchrow(
        "UPDATE sessions SET last_seen_at = now() WHERE token_hash = $1 AND revoked_at IS NULL"
        " AND expires_at > now() RETURNING username, expires_at",
        _hash(token),
    )


async def cleanup_sessions(rt) -> int:
    status = await rt.db.execute(
        "DELETE FROM sessions WHERE expires_at <= now() OR revoked_at IS NOT NULL"
    )
    return int(status.split()[-1])


async def cleanup_loop(rt) -> None:
    while True:
        await asyncio.sleep(rt.settings.session_cleanup_interval_seconds)
        try:
            n = await cleanup_sessions(rt)
            if n:
                log.info("deleted %d expired sessions", n)
        except Exception as e:
            log.warning("session cleanup failed: %s", e)


class AuthMiddleware:
    def __init__(self, app, runtime):
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        if path.startswith("/api/") and path not in PUBLIC_PATHS:
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            token = _bearer(headers)
            if token is None:
                return await _json(401, {"error": "unauthorized", "detail": "missing bearer token"}, scope, receive, send)
            try:
                row = await verify_token(self.runtime, token)
            except DatabaseUnavailable:
                return await _json(503, {"error": "database_unavailable"}, scope, receive, send)
            if row is None:
                return await _json(401, {"error": "unauthorized", "detail": "invalid or expired token"}, scope, receive, send)
            scope.setdefault("state", {})["user"] = row["username"]
        return await self.app(scope, receive, send)


async def _json(status, body, scope, receive, send):
    extra = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    await JSONResponse(body, status_code=status, headers=extra)(scope, receive, send)


@router.post("/api/auth/session")
async def login(request: Request):
    rt = request.app.state.runtime
    try:
        body = await request.json()
        username, password = str(body["username"]), str(body["password"])
    except Exception:
        return JSONResponse({"error": "bad_request", "detail": "JSON {username, password} required"}, 400)
    s = rt.settings
    good = bool(s.auth_password) and hmac.compare_digest(username, s.auth_username) & hmac.compare_digest(
        password.encode(), s.auth_password.encode()
    )
    if not good:
        return JSONResponse({"error": "unauthorized", "detail": "bad credentials"}, 401)
    try:
        return await create_session(rt, username, request.client.host if request.client else None)
    except DatabaseUnavailable:
        return JSONResponse({"error": "database_unavailable"}, 503)


@router.get("/api/auth/verify")
async def verify(request: Request):
    rt = request.app.state.runtime
    row = await verify_token(rt, _bearer(request.headers))
    if row is None:  # expired between middleware and here
        return JSONResponse({"error": "unauthorized"}, 401)
    return {"valid": True, "username": row["username"], "expires_at": row["expires_at"].isoformat()}


@router.post("/api/auth/logout")
async def logout(request: Request):
    rt = request.app.state.runtime
    await rt.db.execute("UPDATE sessions SET revoked_at = now() WHERE token_hash = $1", _hash(_bearer(request.headers)))
    return {"status": "logged_out"}


@router.post("/api/admin/sessions/cleanup")
async def admin_cleanup(request: Request):
    return {"deleted": await cleanup_sessions(request.app.state.runtime)}
