-- Price table used by agent/costs.py (list prices in USD; edit rows to change them).
CREATE TABLE IF NOT EXISTS provider_prices (
    provider         TEXT NOT NULL,
    model            TEXT NOT NULL,    -- '*' = any model of that provider
    unit             TEXT NOT NULL,    -- input_token | output_token | character | audio_second
    usd_per_unit     NUMERIC(18, 12) NOT NULL,
    PRIMARY KEY (provider, model, unit)
);
INSERT INTO provider_prices (provider, model, unit, usd_per_unit) VALUES
    ('openai',     'gpt-4o',            'input_token',  0.0000025),
    ('openai',     'gpt-4o',            'output_token', 0.00001),
    ('openai',     'gpt-4o-mini',       'input_token',  0.00000015),
    ('openai',     'gpt-4o-mini',       'output_token', 0.0000006),
    ('gemini',     'gemini-2.5-flash',  'input_token',  0.0000003),
    ('gemini',     'gemini-2.5-flash',  'output_token', 0.0000025),
    ('anthropic',  '*',                 'input_token',  0.000003),
    ('anthropic',  '*',                 'output_token', 0.000015),
    ('deepgram',   '*',                 'audio_second', 0.00008),
    ('cartesia',   '*',                 'character',    0.00005),
    ('elevenlabs', '*',                 'character',    0.00005)
ON CONFLICT DO NOTHING;
CREATE OR REPLACE VIEW call_costs AS
    SELECT call_control_id, tenant_id, sum(cost_usd) AS cost_usd,
           sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
           sum(characters) AS characters, sum(audio_seconds) AS audio_seconds
      FROM provider_usage GROUP BY call_control_id, tenant_id;
