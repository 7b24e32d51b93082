-- Webhooks: a function's public endpoint (POST /v1/hooks/{id}). The per-hook secret is stored
-- sealed with the master key, like secrets; requests refused for their credentials are audited.

CREATE TABLE hooks (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  id              TEXT NOT NULL UNIQUE,
  user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  function_id     TEXT NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
  auth            TEXT NOT NULL CHECK (auth IN ('token', 'hmac')),
  secret          BLOB NOT NULL,
  rate_per_minute INTEGER NOT NULL,
  created_at      TEXT NOT NULL
);
CREATE INDEX hooks_function ON hooks (function_id, seq);

CREATE TABLE hook_rejections (
  seq     INTEGER PRIMARY KEY AUTOINCREMENT,
  hook_id TEXT NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
  at      TEXT NOT NULL,
  reason  TEXT NOT NULL,
  remote  TEXT NOT NULL
);
CREATE INDEX hook_rejections_hook ON hook_rejections (hook_id, seq);
