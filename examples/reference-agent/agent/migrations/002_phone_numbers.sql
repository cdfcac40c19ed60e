-- Phone numbers (E.164) routed to a tenant; fallback_number overrides the tenant's.
CREATE TABLE IF NOT EXISTS phone_numbers (
    id               BIGSERIAL PRIMARY KEY,
    number           TEXT NOT NULL UNIQUE,
    tenant_id        BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    fallback_number  TEXT,
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS phone_numbers_tenant_idx ON phone_numbers (tenant_id);
