-- Received Telnyx webhook events, keyed by data.id for de-duplication.
CREATE TABLE IF NOT EXISTS webhook_events (
    event_id          TEXT PRIMARY KEY,
    event_type        TEXT NOT NULL,
    call_control_id   TEXT,
    received_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempt           INTEGER,
    payload           JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_events_call_idx ON webhook_events (call_control_id);
