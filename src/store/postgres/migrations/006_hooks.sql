-- Webhooks: a function's public endpoint (POST /v1/hooks/{id}). The per-hook secret is stored
-- sealed with the master key, like secrets; requests refused for their credentials are audited.

CREATE TABLE hooks (
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id              text PRIMARY KEY,
  user_id         text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  function_id     text NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
  auth            text NOT NULL CHECK (auth IN ('token', 'hmac')),
  secret          bytea NOT NULL,
  rate_per_minute integer NOT NULL,
  created_at      timestamptz NOT NULL
);
CREATE INDEX hooks_function ON hooks (function_id, seq);

CREATE TABLE hook_rejections (
  seq     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  hook_id text NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
  at      timestamptz NOT NULL,
  reason  text NOT NULL,
  remote  text NOT NULL
);
CREATE INDEX hook_rejections_hook ON hook_rejections (hook_id, seq);
