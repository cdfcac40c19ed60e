-- Errors worth an operator's attention (provider failures, fallbacks, crashes).
CREATE TABLE IF NOT EXISTS system_errors (
    id                BIGSERIAL PRIMARY KEY,
    occurred_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    severity          TEXT NOT NULL DEFAULT 'error',
    component         TEXT NOT NULL,
    error_class       TEXT NOT NULL,
    message           TEXT NOT NULL,
    call_control_id   TEXT,
    tenant_id         BIGINT REFERENCES tenants(id) ON DELETE SET NULL,
    details           JSONB
);
CREATE INDEX IF NOT EXISTS system_errors_occurred_idx ON system_errors (occurred_at DESC);
CREATE INDEX IF NOT EXISTS system_errors_component_idx ON system_errors (component, error_class);
