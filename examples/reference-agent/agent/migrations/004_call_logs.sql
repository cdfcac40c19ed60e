-- One row per call (Telnyx call_control_id), finalised when the call ends.
CREATE TABLE IF NOT EXISTS call_logs (
    id                BIGSERIAL PRIMARY KEY,
    call_control_id   TEXT NOT NULL UNIQUE,
    call_session_id   TEXT,
    tenant_id         BIGINT REFERENCES tenants(id) ON DELETE SET NULL,
    from_number       TEXT,
    to_number         TEXT,
    direction         TEXT NOT NULL DEFAULT 'incoming',
    status            TEXT NOT NULL DEFAULT 'initiated',
    started_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    answered_at       TIMESTAMPTZ,
    media_started_at  TIMESTAMPTZ,
    ended_at          TIMESTAMPTZ,
    duration_ms       INTEGER,
    first_reply_ms    INTEGER,
    turn_count        INTEGER NOT NULL DEFAULT 0,
    end_reason        TEXT,
    hangup_cause      TEXT,
    hangup_source     TEXT,
    llm_provider      TEXT,
    tts_provider      TEXT,
    transferred_to    TEXT,
    error             TEXT
);
CREATE INDEX IF NOT EXISTS call_logs_tenant_started_idx ON call_logs (tenant_id, started_at DESC);
CREATE INDEX IF NOT EXISTS call_logs_status_idx ON call_logs (status);
