"""Circuit breaker, resilience4j-style (count-based sliding window).

CLOSED:    calls pass; the outcomes of the last ``window_size`` calls are kept.
           Once at least ``minimum_calls`` are recorded and the failure rate
           (percent) is >= ``failure_rate_threshold`` the breaker goes OPEN.
OPEN:      calls are refused (``allow()`` is False) for ``open_seconds``; then the
           next ``allow()`` moves it to HALF_OPEN.
HALF_OPEN: up to ``half_open_calls`` probe calls are let through.  When all of
           them have completed: failure rate >= threshold -> OPEN again, else
           CLOSED (with an empty window).  Any extra call is refused.

Every transition is given to the listeners (``on_transition``); the agent writes
them to ``circuit_breaker_events``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

CLOSED, OPEN, HALF_OPEN = "CLOSED", "OPEN", "HALF_OPEN"
STATE_CODE = {CLOSED: 0, OPEN: 1, HALF_OPEN: 2}


@dataclass(frozen=True)
class BreakerConfig:
    window_size: int = 10
    minimum_calls: int = 3
    failure_rate_threshold: float = 50.0
    open_seconds: float = 30.0
    half_open_calls: int = 1

    @classmethod
    def from_settings(cls, s) -> "BreakerConfig":
        return cls(
            window_size=s.breaker_window_size,
            minimum_calls=s.breaker_minimum_calls,
            failure_rate_threshold=s.breaker_failure_rate_threshold,
            open_seconds=s.breaker_open_seconds,
            half_open_calls=s.breaker_half_open_calls,
        )


Transition = Callable[["CircuitBreaker", str, str, float, str], None]


class CircuitBreaker:
    def __init__(self, name: str, config: BreakerConfig | None = None, clock: Callable[[], float] = time.monotonic):
        self.name = name
        self.config = config or BreakerConfig()
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CLOSED
        self._window: deque[bool] = deque(maxlen=self.config.window_size)  # True = failure
        self._opened_at = 0.0
        self._probes_started = 0
        self._probe_results: list[bool] = []
        self.listeners: list[Transition] = []
        self.failures_total = 0
        self.successes_total = 0
        self.rejected_total = 0

    # -- state
    @property
    def state(self) -> str:
        with self._lock:
            self._maybe_half_open()
            return self._state

    def failure_rate(self) -> float:
        w = self._probe_results if self._state == HALF_OPEN else list(self._window)
        return 100.0 * sum(w) / len(w) if w else 0.0

    def _maybe_half_open(self) -> list:
        if self._state == OPEN and self._clock() - self._opened_at >= self.config.open_seconds:
            return self._transition(HALF_OPEN, "open period elapsed")
        return []

    def _transition(self, to: str, reason: str) -> list:
        frm = self._state
        rate = self.failure_rate()
        self._state = to
        if to == OPEN:
            self._opened_at = self._clock()
        if to == HALF_OPEN:
            self._probes_started = 0
            self._probe_results = []
        if to == CLOSED:
            self._window.clear()
        return [(frm, to, rate, reason)]

    def _notify(self, events: list) -> None:
        for frm, to, rate, reason in events:
            for cb in list(self.listeners):
                try:
                    cb(self, frm, to, rate, reason)
                except Exception:
                    pass

    # -- calls
    def allow(self) -> bool:
        """May a call be made now?  (In HALF_OPEN this reserves a probe slot.)"""
        with self._lock:
            events = self._maybe_half_open()
            if self._state == CLOSED:
                ok = True
            elif self._state == HALF_OPEN and self._probes_started < self.config.half_open_calls:
                self._probes_started += 1
                ok = True
            else:
                self.rejected_total += 1
                ok = False
        self._notify(events)
        return ok

    def record_success(self) -> None:
        self._record(False, "")

    def record_failure(self, reason: str = "") -> None:
        self._record(True, reason)

    def _record(self, failed: bool, reason: str) -> None:
        events: list = []
        with self._lock:
            if failed:
                self.failures_total += 1
            else:
                self.successes_total += 1
            if self._state == CLOSED:
                self._window.append(failed)
                if (
                    len(self._window) >= self.config.minimum_calls
                    and self.failure_rate() >= self.config.failure_rate_threshold
                ):
                    events = self._transition(OPEN, reason or "failure rate above threshold")
            elif self._state == HALF_OPEN:
                self._probe_results.append(failed)
                if len(self._probe_results) >= self.config.half_open_calls:
                    if self.failure_rate() >= self.config.failure_rate_threshold:
                        events = self._transition(OPEN, reason or "half-open probe failed")
                    else:
                        events = self._transition(CLOSED, "half-open probes succeeded")
            # OPEN: late results of calls started before opening are ignored
        self._notify(events)

    def snapshot(self) -> dict:
        return {
            "name": self.name,
            "state": self.state,
            "failure_rate": round(self.failure_rate(), 1),
            "failures_total": self.failures_total,
            "successes_total": self.successes_total,
            "rejected_total": self.rejected_total,
        }


class BreakerRegistry:
    """One breaker per provider (``llm:openai``, ``tts:cartesia`` ...), shared by all calls."""

    def __init__(self, config: BreakerConfig | None = None):
        self.config = config or BreakerConfig()
        self._breakers: dict[str, CircuitBreaker] = {}
        self.listeners: list[Transition] = []

    def get(self, name: str) -> CircuitBreaker:
        b = self._breakers.get(name)
        if b is None:
            b = CircuitBreaker(name, self.config)
            b.listeners.append(self._fanout)
            self._breakers[name] = b
        return b

    def _fanout(self, b, frm, to, rate, reason) -> None:
        for cb in list(self.listeners):
            cb(b, frm, to, rate, reason)

    def all(self) -> list[CircuitBreaker]:
        return list(self._breakers.values())
