-- Every circuit-breaker state transition.
CREATE TABLE IF NOT EXISTS circuit_breaker_events (
    id             BIGSERIAL PRIMARY KEY,
    occurred_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    breaker        TEXT NOT NULL,       -- e.g. llm:openai, tts:cartesia
    from_state     TEXT NOT NULL,       -- CLOSED | OPEN | HALF_OPEN
    to_state       TEXT NOT NULL,
    failure_rate   DOUBLE PRECISION,
    reason         TEXT
);
CREATE INDEX IF NOT EXISTS circuit_breaker_events_breaker_idx ON circuit_breaker_events (breaker, occurred_at DESC);
