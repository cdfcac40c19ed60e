from agent.breaker import CLOSED, HALF_OPEN, OPEN, BreakerConfig, CircuitBreaker


def make(**kw):
    now = [0.0]
    cfg = BreakerConfig(**{"window_size": 4, "minimum_calls": 4, "failure_rate_threshold": 50, "open_seconds": 10,
                           "half_open_calls": 2, **kw})
    b = CircuitBreaker("llm:test", cfg, clock=lambda: now[0])
    events = []
    b.listeners.append(lambda br, f, t, rate, reason: events.append((f, t)))
    return b, now, events


def test_closed_until_minimum_calls_then_opens_on_rate():
    b, now, events = make()
    for _ in range(3):
        assert b.allow()
        b.record_failure()
    assert b.state == CLOSED  # only 3 < minimum_calls
    b.allow()
    b.record_success()  # 3/4 = 75% >= 50%
    assert b.state == OPEN and events == [(CLOSED, OPEN)]
    assert not b.allow()
    assert b.rejected_total == 1


def test_sliding_window_counts_only_recent_calls():
    b, now, _ = make(window_size=3, minimum_calls=3, failure_rate_threshold=66)
    for ok in (False, True, True, True, False):
        b.allow()
        b.record_success() if ok else b.record_failure()
    assert b.state == CLOSED and round(b.failure_rate()) == 33  # window = S,S,F
    b.allow()
    b.record_failure()  # window = S,F,F -> 67% (cumulative would be 50%)
    assert b.state == OPEN


def test_open_half_open_closed():
    b, now, events = make()
    for _ in range(4):
        b.allow()
        b.record_failure()
    assert b.state == OPEN
    now[0] = 9.9
    assert not b.allow()
    now[0] = 10.0
    assert b.allow() and b.state == HALF_OPEN  # probe 1
    assert b.allow()  # probe 2
    assert not b.allow()  # no third probe
    b.record_success()
    assert b.state == HALF_OPEN
    b.record_success()
    assert b.state == CLOSED
    assert events == [(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED)]
    assert b.allow()


def test_half_open_probe_failure_reopens():
    b, now, events = make(half_open_calls=1)
    for _ in range(4):
        b.allow()
        b.record_failure()
    now[0] = 11
    assert b.allow()
    b.record_failure()
    assert b.state == OPEN
    assert events[-1] == (HALF_OPEN, OPEN)
    now[0] = 15
    assert not b.allow()  # open period restarted at t=11
    now[0] = 21
    assert b.allow()
