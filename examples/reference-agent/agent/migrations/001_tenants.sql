-- Tenants: one customer of the voice agent.
CREATE TABLE IF NOT EXISTS tenants (
    id               BIGSERIAL PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    greeting         TEXT,
    system_prompt    TEXT,
    fallback_number  TEXT,
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
