"""GET /metrics: Prometheus text exposition (no client library needed).

Series (all prefixed ``agent_``):
  agent_active_calls                         gauge
  agent_calls_total{outcome}                 counter  (completed | error | fallback)
  agent_turns_total                          counter
  agent_turn_latency_ms_sum / _count         counter  (user stopped -> first bot audio)
  agent_breaker_state{breaker}               gauge    0 CLOSED, 1 OPEN, 2 HALF_OPEN
  agent_provider_errors_total{provider,error_class} counter
  agent_provider_failovers_total{service,from,to}   counter
  agent_webhooks_total{event_type,result}    counter
  agent_call_control_commands_total{action,ok} counter
  agent_rate_limited_total                   counter
  agent_fallback_transfers_total             counter
  agent_db_pool_size / agent_db_pool_idle    gauge
  agent_db_errors_total                      counter  (database operations failed for connectivity)
  agent_db_timeouts_total                    counter  (database connects, pool acquires and statements that
                                                       timed out; exported from 0)
  agent_process_rss_bytes                    gauge
  agent_background_tasks                     gauge
  agent_vad_seconds_sum / _count             counter  (Silero VAD analysis: seconds, analyzed chunks)
  agent_turn_analyzer_seconds_sum / _count   counter  (Smart Turn inference: seconds, analyses; absent
                                                       while SMART_TURN_ENABLED=false)
"""

from __future__ import annotations

import os
import threading

from .breaker import STATE_CODE


def rss_bytes() -> int:
    try:
        with open(f"/proc/{os.getpid()}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except Exception:
        return 0


def _renamed(line: str, prefix: str) -> str:
    """One exposition line with its series name's ``agent_`` replaced."""
    if line.startswith("# TYPE agent_"):
        return "# TYPE " + prefix + line[len("# TYPE agent_"):]
    if line.startswith("agent_"):
        return prefix + line[len("agent_"):]
    return line


def _labels(labels: dict) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_esc(str(v))}"' for k, v in sorted(labels.items()))
    return "{" + inner + "}"


def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    def __init__(self, prefix: str = "agent_"):
        self._prefix = prefix
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, tuple], float] = {}

    def inc(self, name: str, labels: dict | None = None, value: float = 1.0) -> None:
        key = (name, tuple(sorted((labels or {}).items())))
        with self._lock:
            self._counters[key] = self._counters.get(key, 0.0) + value

    def declare(self, name: str) -> None:
        """An unlabelled counter exported at 0 before its first increment."""
        with self._lock:
            self._counters.setdefault((name, ()), 0.0)

    def get(self, name: str, labels: dict | None = None) -> float:
        return self._counters.get((name, tuple(sorted((labels or {}).items()))), 0.0)

    def render(self, rt) -> str:
        lines: list[str] = []
        gauges = [
            ("agent_active_calls", len(rt.active_calls), {}),
            ("agent_process_rss_bytes", rss_bytes(), {}),
            ("agent_background_tasks", len(rt.tasks), {}),
        ]
        pool = rt.db.pool_stats()
        gauges += [("agent_db_pool_size", pool["size"], {}), ("agent_db_pool_idle", pool["idle"], {})]
        for b in rt.breakers.all():
            gauges.append(("agent_breaker_state", STATE_CODE[b.state], {"breaker": b.name}))
        seen = set()
        for name, val, lab in gauges:
            if name not in seen:
                lines.append(f"# TYPE {name} gauge")
                seen.add(name)
            lines.append(f"{name}{_labels(lab)} {val}")
        with self._lock:
            items = sorted(self._counters.items())
        for (name, lab), val in items:
            if name not in seen:
                lines.append(f"# TYPE {name} counter")
                seen.add(name)
            v = int(val) if float(val).is_integer() else val
            lines.append(f"{name}{_labels(dict(lab))} {v}")
        if self._prefix != "agent_":
            lines = [_renamed(line, self._prefix) for line in lines]
        return "\n".join(lines) + "\n"
