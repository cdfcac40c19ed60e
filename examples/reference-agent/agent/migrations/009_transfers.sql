-- Call Control transfers (fallback to a human).
CREATE TABLE IF NOT EXISTS transfers (
    id                BIGSERIAL PRIMARY KEY,
    occurred_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    call_control_id   TEXT NOT NULL,
    call_log_id       BIGINT REFERENCES call_logs(id) ON DELETE SET NULL,
    tenant_id         BIGINT REFERENCES tenants(id) ON DELETE SET NULL,
    to_number         TEXT NOT NULL,
    reason            TEXT NOT NULL,
    status            TEXT NOT NULL,     -- sent | failed
    http_status       INTEGER
);
CREATE INDEX IF NOT EXISTS transfers_call_idx ON transfers (call_control_id);
