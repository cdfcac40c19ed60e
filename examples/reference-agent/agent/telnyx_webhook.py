"""POST /api/telnyx/webhook: Ed25519 verification, de-duplication and routing.

Verification is exactly Telnyx's: the base64 64-byte signature in
``telnyx-signature-ed25519`` over the UTF-8 bytes of ``f"{telnyx-timestamp}|{raw body}"``,
checked with the base64 raw 32-byte public key TELNYX_PUBLIC_KEY; a timestamp
with ``abs(now - ts) > TELNYX_TIMESTAMP_TOLERANCE_SECONDS`` is stale.
Missing headers -> 401, bad signature or stale -> 403, no key configured -> 503.

The handler answers within milliseconds; Call Control commands run in
background tasks.  Events are de-duplicated by ``data.id`` (``webhook_events``
primary key, plus an in-memory set while the database is down): a replay gets
200 ``{"status":"duplicate"}`` and causes no second action.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from urllib.parse import quote

from fastapi import APIRouter, Request
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from starlette.responses import JSONResponse

from . import errortrack
from .db import DatabaseUnavailable

log = logging.getLogger("agent.webhook")
router = APIRouter()


class WebhookRejected(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def verify_signature(raw_body: bytes, signature_b64: str | None, timestamp: str | None,
                     public_key_b64: str, tolerance: int, now: float | None = None) -> None:
    """Raise WebhookRejected unless the request is a fresh, correctly signed Telnyx webhook."""
    if not public_key_b64:
        raise WebhookRejected(503, "TELNYX_PUBLIC_KEY not configured")
    if not signature_b64 or not timestamp:
        raise WebhookRejected(401, "missing telnyx-signature-ed25519 or telnyx-timestamp header")
    try:
        ts = int(timestamp)
    except ValueError:
        raise WebhookRejected(403, "malformed telnyx-timestamp") from None
    now = time.time() if now is None else now
    if abs(now - ts) > tolerance:
        raise WebhookRejected(403, "stale timestamp")
    try:
        key = VerifyKey(base64.b64decode(public_key_b64, validate=True))
    except (binascii.Error, ValueError) as e:
        raise WebhookRejected(503, f"TELNYX_PUBLIC_KEY invalid: {e}") from None
    try:
        sig = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookRejected(403, "malformed signature") from None
    if len(sig) != 64:
        raise WebhookRejected(403, "malformed signature")
    signed = f"{timestamp}|".encode() + raw_body
    try:
        key.verify(signed, sig)
    except BadSignatureError:
        raise WebhookRejected(403, "invalid signature") from None


def stream_url_for(settings, call_control_id: str) -> str:
    return f"{settings.public_ws_url}/media/{quote(call_control_id, safe=':')}"


async def lookup_route(rt, number: str | None):
    """Tenant routing for a dialled number, or None if it is not configured."""
    if not number:
        return None
    return await rt.db.fetchrow(
        "SELECT t.id AS tenant_id, t.name AS tenant_name, t.greeting, t.system_prompt,"
        " COALESCE(p.fallback_number, t.fallback_number) AS fallback_number"
        " FROM phone_numbers p JOIN tenants t ON t.id = p.tenant_id"
        " WHERE p.number = $1 AND p.active AND t.active",
        number,
    )


@router.post("/api/telnyx/webhook")
async def telnyx_webhook(request: Request):
    rt = request.app.state.runtime
    s = rt.settings
    raw = await request.body()
    if not s.has_fault("no_signature_check"):
        try:
            verify_signature(
                raw,
                request.headers.get("telnyx-signature-ed25519"),
                request.headers.get("telnyx-timestamp"),
                s.telnyx_public_key,
                s.telnyx_timestamp_tolerance_seconds,
            )
        except WebhookRejected as e:
            rt.metrics.inc("agent_webhooks_total", {"event_type": "unknown", "result": f"rejected_{e.status}"})
            return JSONResponse({"error": "rejected", "detail": e.reason}, status_code=e.status)
    try:
        event = json.loads(raw)
        data = event["data"]
        event_type = str(data.get("event_type", ""))
        event_id = str(data.get("id") or "")
        payload = data.get("payload") or {}
    except Exception:
        return JSONResponse({"error": "bad_request", "detail": "not a Telnyx event envelope"}, 400)
    call_id = payload.get("call_control_id")

    if event_id and not s.has_fault("no_dedupe"):
        if not rt.remember_event(event_id):
            rt.metrics.inc("agent_webhooks_total", {"event_type": event_type, "result": "duplicate"})
            return {"status": "duplicate", "event_id": event_id}
        try:
            inserted = await asyncio.wait_for(
                rt.db.fetchval(
                    "INSERT INTO webhook_events (event_id, event_type, call_control_id, attempt, payload)"
                    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING RETURNING 1",
                    event_id, event_type, call_id, (event.get("meta") or {}).get("attempt"), event,
                ),
                1.0,
            )
            if inserted is None:
                rt.metrics.inc("agent_webhooks_total", {"event_type": event_type, "result": "duplicate"})
                return {"status": "duplicate", "event_id": event_id}
        except Exception as e:  # DB down: the in-memory set still de-duplicates
            log.warning("webhook_events insert failed: %s", e)

    rt.metrics.inc("agent_webhooks_total", {"event_type": event_type, "result": "accepted"})
    result = {"status": "accepted", "event_id": event_id, "event_type": event_type}
    if not call_id:
        return result

    if event_type == "call.initiated":
        if payload.get("direction", "incoming") != "incoming":
            result["action"] = "none"
            return result
        route, db_ok = None, True
        try:
            route = await asyncio.wait_for(lookup_route(rt, payload.get("to")), 1.0)
        except (DatabaseUnavailable, asyncio.TimeoutError, OSError) as e:
            db_ok = False
            log.warning("routing lookup failed: %s", e)
            errortrack.report("database", "unavailable", f"routing lookup failed: {type(e).__name__}: {e}",
                              call_id=call_id)
        if route is None:
            msg = s.unknown_number_message if db_ok else s.fallback_message
            result.update(action="answer_speak_hangup", message=msg)
            rt.spawn(reject_unknown(rt, call_id, msg), name=f"unknown-{call_id}")
            await rt.db.try_execute(
                "INSERT INTO call_logs (call_control_id, call_session_id, from_number, to_number, status, end_reason)"
                " VALUES ($1, $2, $3, $4, 'rejected', $5) ON CONFLICT (call_control_id) DO NOTHING",
                call_id, payload.get("call_session_id"), payload.get("from"), payload.get("to"),
                "unknown_number" if db_ok else "database_unavailable",
            )
            return result
        url = stream_url_for(s, call_id)
        result.update(action="answer", stream_url=url, tenant_id=route["tenant_id"])
        await rt.db.try_execute(
            "INSERT INTO call_logs (call_control_id, call_session_id, tenant_id, from_number, to_number, status)"
            " VALUES ($1, $2, $3, $4, $5, 'initiated') ON CONFLICT (call_control_id) DO NOTHING",
            call_id, payload.get("call_session_id"), route["tenant_id"], payload.get("from"), payload.get("to"),
        )
        rt.spawn(rt.callcontrol.answer(call_id, stream_url=url), name=f"answer-{call_id}")
        return result

    if event_type == "call.answered":
        await rt.db.try_execute(
            "UPDATE call_logs SET answered_at = COALESCE(answered_at, now()),"
            " status = CASE WHEN status = 'initiated' THEN 'answered' ELSE status END WHERE call_control_id = $1",
            call_id,
        )
    elif event_type == "call.hangup":
        sess = rt.active_calls.get(call_id)
        if sess is not None:
            sess.remote_hangup(payload.get("hangup_cause"))
        await rt.db.try_execute(
            "UPDATE call_logs SET ended_at = COALESCE(ended_at, now()), hangup_cause = $2, hangup_source = $3,"
            " status = CASE WHEN status IN ('initiated', 'answered', 'in_progress') THEN 'completed' ELSE status END,"
            " duration_ms = COALESCE(duration_ms, (EXTRACT(EPOCH FROM (COALESCE(ended_at, now()) - started_at)) * 1000)::int)"
            " WHERE call_control_id = $1",
            call_id, payload.get("hangup_cause"), payload.get("hangup_source"),
        )
    elif event_type == "call.speak.ended":
        ev = rt.speak_waiters.get(call_id)
        if ev is not None:
            ev.set()
    return result


async def reject_unknown(rt, call_id: str, message: str) -> None:
    """Unknown number: answer, speak the message, wait for it to end, hang up."""
    cc = rt.callcontrol
    r = await cc.answer(call_id)
    waiters = rt.speak_waiters
    ev = waiters[call_id] = asyncio.Event()
    try:
        await cc.speak(call_id, message)
        # approx. speaking time; call.speak.ended ends the wait earlier
        wait = min(rt.settings.unknown_hangup_max_wait_seconds, 1.0 + 0.07 * len(message))
        try:
            if not rt.settings.has_fault("unknown_hangup_early"):
                await asyncio.wait_for(ev.wait(), wait)
        except asyncio.TimeoutError:
            pass
    finally:
        waiters.pop(call_id, None)
    await cc.hangup(call_id)
