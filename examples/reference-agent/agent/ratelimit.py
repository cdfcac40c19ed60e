"""Per-client-IP sliding-window rate limit for /api/* (except the Telnyx webhook).

A client may make RATE_LIMIT_PER_MINUTE requests in any RATE_LIMIT_WINDOW_SECONDS
(default 60 s) window.  Over the limit: 429 JSON with ``Retry-After`` (seconds
until the oldest request in the window expires).  /health, /metrics, /media/*
and /api/telnyx/webhook are exempt: Telnyx delivers from a few shared addresses
and retries on 429, so limiting it would only delay calls.
"""

from __future__ import annotations

import math
import time
from collections import deque

from starlette.responses import JSONResponse

EXEMPT = ("/api/telnyx/webhook",)


class SlidingWindowLimiter:
    def __init__(self, limit: int, window: float, clock=time.monotonic):
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque] = {}
        self._blocked: dict[str, float] = {}  # only with the retry_after_ignored fault
        self._last_sweep = clock()

    def hit(self, key: str, penalty: bool = False) -> tuple[bool, int]:
        """Record a request; return (allowed, retry_after_seconds).

        penalty (the retry_after_ignored fault): a refused client stays refused
        for a whole window from its last refusal, while Retry-After still says
        when the oldest request expires: waiting as told is not enough."""
        now = self.clock()
        q = self._hits.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        blocked = penalty and self._blocked.get(key, 0.0) > now
        if len(q) >= self.limit or blocked:
            retry = max(1, math.ceil(q[0] + self.window - now)) if q else 1
            if penalty:
                self._blocked[key] = now + self.window
            return False, retry
        q.append(now)
        if now - self._last_sweep > self.window:
            self._sweep(now)
        return True, 0

    def _sweep(self, now: float) -> None:
        self._last_sweep = now
        for k in [k for k, q in self._hits.items() if not q or q[-1] <= now - self.window]:
            del self._hits[k]


class RateLimitMiddleware:
    """Pure ASGI middleware (no body buffering)."""

    def __init__(self, app, runtime):
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        rt = self.runtime
        if (
            path.startswith("/api/")
            and (path not in EXEMPT or rt.settings.has_fault("rate_limit_webhooks"))
            and not rt.settings.has_fault("no_rate_limit")
        ):
            client = scope.get("client") or ("unknown", 0)
            ok, retry_after = rt.limiter.hit(client[0], rt.settings.has_fault("retry_after_ignored"))
            if not ok:
                rt.metrics.inc("agent_rate_limited_total", {})
                resp = JSONResponse(
                    {"error": "rate_limited", "detail": "Too many requests", "retry_after": retry_after},
                    status_code=429,
                    headers={"Retry-After": str(retry_after)},
                )
                return await resp(scope, receive, send)
        return await self.app(scope, receive, send)
