-- One row per conversational turn: user stopped speaking -> first bot audio.
CREATE TABLE IF NOT EXISTS call_turns (
    id                 BIGSERIAL PRIMARY KEY,
    call_log_id        BIGINT NOT NULL REFERENCES call_logs(id) ON DELETE CASCADE,
    turn_index         INTEGER NOT NULL,
    kind               TEXT NOT NULL DEFAULT 'turn',  -- 'greeting' | 'turn'
    user_text          TEXT,
    bot_text           TEXT,
    latency_ms         INTEGER,
    llm_ttfb_ms        INTEGER,
    tts_ttfb_ms        INTEGER,
    llm_provider       TEXT,
    tts_provider       TEXT,
    interrupted        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (call_log_id, turn_index)
);
