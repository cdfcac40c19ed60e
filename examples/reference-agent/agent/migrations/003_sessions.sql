-- API sessions (bearer tokens). Only the SHA-256 of a token is stored.
CREATE TABLE IF NOT EXISTS sessions (
    id            BIGSERIAL PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    username      TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    client_ip     TEXT
);
CREATE INDEX IF NOT EXISTS sessions_expires_idx ON sessions (expires_at);
