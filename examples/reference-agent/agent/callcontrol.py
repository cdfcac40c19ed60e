"""Telnyx Call Control client: POST {TELNYX_API_BASE}/calls/{id}/actions/{action}.

Bearer auth with TELNYX_API_KEY, a fresh ``command_id`` per command (Telnyx
ignores a repeated command_id for 60 s, so a retry is safe), one retry on a
connection error or 5xx.  422 with code 90018 ("call has already ended") is
treated as benign.  Every command is recorded in ``call_control_commands``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from .settings import Settings

log = logging.getLogger("agent.callcontrol")


@dataclass
class CommandResult:
    action: str
    ok: bool
    status: int | None
    body: dict | None = None
    error: str | None = None


class CallControlClient:
    def __init__(self, settings: Settings, db=None, metrics=None):
        self.settings = settings
        self.db = db
        self.metrics = metrics
        self._client = httpx.AsyncClient(timeout=settings.call_control_timeout_seconds)

    async def close(self) -> None:
        await self._client.aclose()

    async def command(self, call_control_id: str, action: str, body: dict | None = None) -> CommandResult:
        url = f"{self.settings.telnyx_api_base}/calls/{quote(call_control_id, safe=':')}/actions/{action}"
        payload = dict(body or {})
        payload.setdefault("command_id", str(uuid.uuid4()))
        headers = {
            "Authorization": f"Bearer {self.settings.telnyx_api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        result = CommandResult(action, False, None)
        t0 = time.monotonic()
        for attempt in (1, 2):
            try:
                r = await self._client.post(url, json=payload, headers=headers)
                try:
                    data = r.json()
                except ValueError:
                    data = None
                result = CommandResult(action, 200 <= r.status_code < 300, r.status_code, data)
                if r.status_code == 422 and _has_code(data, "90018"):
                    result.error = "call already ended (90018)"
                    break
                if r.status_code < 500:
                    if not result.ok:
                        result.error = f"HTTP {r.status_code}"
                    break
                result.error = f"HTTP {r.status_code}"
            except (httpx.HTTPError, OSError) as e:
                result = CommandResult(action, False, None, None, f"{type(e).__name__}: {e}")
            if attempt == 1:
                await asyncio.sleep(0.2)
        latency_ms = int((time.monotonic() - t0) * 1000)
        if self.metrics is not None:
            self.metrics.inc("agent_call_control_commands_total", {"action": action, "ok": str(result.ok).lower()})
        if not result.ok:
            log.warning("call control %s %s failed: %s", action, call_control_id, result.error)
        if self.db is not None:
            await self.db.try_execute(
                "INSERT INTO call_control_commands (call_control_id, action, command_id, http_status, latency_ms, error)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                call_control_id, action, payload["command_id"], result.status, latency_ms, result.error,
            )
        return result

    async def answer(self, call_control_id: str, stream_url: str | None = None, **extra) -> CommandResult:
        body: dict = dict(extra)
        if stream_url:
            body.update(
                stream_url=stream_url,
                stream_track="inbound_track",
                stream_bidirectional_mode="rtp",
                stream_bidirectional_codec="PCMU",
            )
        return await self.command(call_control_id, "answer", body)

    async def speak(self, call_control_id: str, text: str) -> CommandResult:
        return await self.command(
            call_control_id,
            "speak",
            {
                "payload": text[:3000],
                "voice": self.settings.telnyx_speak_voice,
                "language": self.settings.telnyx_speak_language,
                "payload_type": "text",
            },
        )

    async def transfer(self, call_control_id: str, to: str | None, from_: str | None = None) -> CommandResult:
        body = {"to": to} if to else {}  # no `to`: only with the transfer_no_to fault
        if from_:
            body["from"] = from_
        return await self.command(call_control_id, "transfer", body)

    async def hangup(self, call_control_id: str) -> CommandResult:
        return await self.command(call_control_id, "hangup", {})


def _has_code(data, code: str) -> bool:
    try:
        return any(str(e.get("code")) == code for e in data.get("errors", []))
    except Exception:
        return False
