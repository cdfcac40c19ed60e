"""Process-wide state shared by the routes and the calls (one per app)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict

from .breaker import BreakerConfig, BreakerRegistry
from .callcontrol import CallControlClient
from .costs import PriceTable
from . import errortrack
from .db import Database
from .metrics import Metrics
from .ratelimit import SlidingWindowLimiter
from .settings import Settings

log = logging.getLogger("agent.runtime")


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.db = Database(settings)
        self.metrics = Metrics(settings.metrics_prefix)
        if not settings.has_fault("no_db_outage_log"):
            self.db.on_failure = lambda: self.metrics.inc("agent_db_errors_total", {})
            self.db.on_recovered = self._on_db_recovered
        self.metrics.declare("agent_db_timeouts_total")
        self.db.on_timeout = lambda: self.metrics.inc("agent_db_timeouts_total", {})
        self.breakers = BreakerRegistry(BreakerConfig.from_settings(settings))
        self.breakers.listeners.append(self._on_breaker_transition)
        self.callcontrol = CallControlClient(settings, self.db, self.metrics)
        self.limiter = SlidingWindowLimiter(settings.rate_limit_per_minute, settings.rate_limit_window_seconds)
        self.prices = PriceTable()
        self.active_calls: dict[str, object] = {}  # call_control_id -> CallSession
        self.tasks: set[asyncio.Task] = set()
        self.seen_events: OrderedDict[str, None] = OrderedDict()  # in-memory dedupe (DB down)
        self.speak_waiters: dict[str, asyncio.Event] = {}  # call.speak.ended
        self.shutting_down = False

    def spawn(self, coro, name: str | None = None) -> asyncio.Task:
        t = asyncio.get_running_loop().create_task(coro, name=name)
        self.tasks.add(t)
        t.add_done_callback(self._task_done)
        return t

    def _task_done(self, t: asyncio.Task) -> None:
        self.tasks.discard(t)
        if not t.cancelled() and t.exception() is not None:
            log.error("background task %s failed: %r", t.get_name(), t.exception())

    def remember_event(self, event_id: str) -> bool:
        """True if the event id is new (in-memory, bounded)."""
        if event_id in self.seen_events:
            return False
        self.seen_events[event_id] = None
        while len(self.seen_events) > 10000:
            self.seen_events.popitem(last=False)
        return True

    def _on_breaker_transition(self, b, frm, to, rate, reason) -> None:
        log.warning("breaker %s: %s -> %s (failure rate %.0f%%, %s)", b.name, frm, to, rate, reason)
        self.metrics.inc("agent_breaker_transitions_total", {"breaker": b.name, "to": to})
        try:
            self.spawn(
                self.db.try_execute(
                    "INSERT INTO circuit_breaker_events (breaker, from_state, to_state, failure_rate, reason)"
                    " VALUES ($1, $2, $3, $4, $5)",
                    b.name, frm, to, rate, reason[:500],
                ),
                name="breaker-event",
            )
        except RuntimeError:  # no running loop (unit tests)
            pass

    def _on_db_recovered(self, seconds: float, failures: int) -> None:
        """A database outage ended: one system_errors row for it (written now that the database is back)."""
        try:
            self.spawn(
                self.record_error(
                    "database", "outage", f"database unreachable for {seconds:.1f} s",
                    details={"seconds": round(seconds, 1), "failed_operations": failures},
                ),
                name="db-outage-log",
            )
        except RuntimeError:  # no running loop (unit tests)
            pass

    async def record_error(
        self, component: str, error_class: str, message: str, *, call_control_id=None, tenant_id=None,
        details: dict | None = None, severity: str = "error",
    ) -> None:
        # Sentry first: it needs no database (the row below may not be written)
        errortrack.report(component, error_class, message, call_id=call_control_id, tenant_id=tenant_id,
                          level=severity if severity in ("warning", "error", "fatal", "info") else "error",
                          extra=details)
        await self.db.try_execute(
            "INSERT INTO system_errors (severity, component, error_class, message, call_control_id, tenant_id, details)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            severity, component, error_class, message[:4000], call_control_id, tenant_id,
            json.loads(json.dumps(details or {}, default=str)),
        )

    async def close(self) -> None:
        from .providers import close_llm_clients

        await close_llm_clients(self)
        await self.callcontrol.close()
        await self.db.close()
