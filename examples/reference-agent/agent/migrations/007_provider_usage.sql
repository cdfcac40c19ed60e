-- Usage and cost per provider call, attributed to a call and a tenant.
CREATE TABLE IF NOT EXISTS provider_usage (
    id                 BIGSERIAL PRIMARY KEY,
    occurred_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    call_control_id    TEXT,
    tenant_id          BIGINT REFERENCES tenants(id) ON DELETE SET NULL,
    provider           TEXT NOT NULL,   -- openai | gemini | anthropic | deepgram | cartesia | elevenlabs
    service            TEXT NOT NULL,   -- llm | stt | tts
    model              TEXT,
    input_tokens       INTEGER NOT NULL DEFAULT 0,
    output_tokens      INTEGER NOT NULL DEFAULT 0,
    characters         INTEGER NOT NULL DEFAULT 0,
    audio_seconds      DOUBLE PRECISION NOT NULL DEFAULT 0,
    cost_usd           NUMERIC(14, 8) NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS provider_usage_call_idx ON provider_usage (call_control_id);
CREATE INDEX IF NOT EXISTS provider_usage_tenant_idx ON provider_usage (tenant_id, occurred_at DESC);
