-- Every Call Control command the agent sent, with its HTTP outcome.
CREATE TABLE IF NOT EXISTS call_control_commands (
    id                BIGSERIAL PRIMARY KEY,
    sent_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    call_control_id   TEXT NOT NULL,
    action            TEXT NOT NULL,     -- answer | speak | transfer | hangup
    command_id        TEXT NOT NULL,
    http_status       INTEGER,
    latency_ms        INTEGER,
    error             TEXT
);
CREATE INDEX IF NOT EXISTS call_control_commands_call_idx ON call_control_commands (call_control_id);
