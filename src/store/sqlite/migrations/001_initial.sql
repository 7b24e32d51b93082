-- teejs service schema, SQLite. Timestamps are ISO-8601 UTC text (sortable as text); JSON
-- values are text; `seq` columns give a stable order for paging.

CREATE TABLE settings (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE users (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT NOT NULL UNIQUE,
  name       TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  user_id      TEXT REFERENCES users (id) ON DELETE CASCADE,
  role         TEXT NOT NULL CHECK (role IN ('admin', 'user')),
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,
  hash         TEXT NOT NULL UNIQUE,
  created_at   TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at   TEXT,
  CHECK ((role = 'admin') = (user_id IS NULL))
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE functions (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  id                TEXT NOT NULL UNIQUE,
  user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name              TEXT NOT NULL,
  description       TEXT NOT NULL,
  version           INTEGER NOT NULL,
  source            TEXT NOT NULL,
  language          TEXT NOT NULL,
  form              TEXT,
  timeout_ms        INTEGER NOT NULL,
  memory_mb         INTEGER NOT NULL,
  allowed_secrets   TEXT NOT NULL,
  allowed_hosts     TEXT NOT NULL,
  execution_count   INTEGER NOT NULL DEFAULT 0,
  last_execution_at TEXT,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  UNIQUE (user_id, name)
);

CREATE TABLE function_versions (
  function_id     TEXT NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
  version         INTEGER NOT NULL,
  source          TEXT NOT NULL,
  language        TEXT NOT NULL,
  form            TEXT,
  timeout_ms      INTEGER NOT NULL,
  memory_mb       INTEGER NOT NULL,
  allowed_secrets TEXT NOT NULL,
  allowed_hosts   TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  PRIMARY KEY (function_id, version)
);

CREATE TABLE secrets (
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  ciphertext BLOB NOT NULL,
  version    INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (user_id, name)
);

CREATE TABLE secret_audit (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  id           TEXT NOT NULL UNIQUE,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  secret_name  TEXT NOT NULL,
  action       TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'read')),
  key_id       TEXT,
  execution_id TEXT,
  at           TEXT NOT NULL
);
CREATE INDEX secret_audit_user ON secret_audit (user_id, seq);

CREATE TABLE executions (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  id                TEXT NOT NULL UNIQUE,
  user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  function_id       TEXT NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
  function_version  INTEGER NOT NULL,
  is_async          INTEGER NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('running', 'success', 'error')),
  phase             TEXT NOT NULL CHECK (phase IN ('queued', 'started', 'done')),
  params            TEXT NOT NULL,
  result            TEXT,
  error             TEXT,
  logs              TEXT NOT NULL DEFAULT '[]',
  network           TEXT NOT NULL DEFAULT '[]',
  secrets_read      TEXT NOT NULL DEFAULT '[]',
  node_id           TEXT,
  lease_expires_at  TEXT,
  created_at        TEXT NOT NULL,
  started_at        TEXT,
  finished_at       TEXT,
  duration_ms       REAL,
  cpu_time_ms       REAL,
  memory_used_bytes INTEGER
);
CREATE INDEX executions_function ON executions (function_id, seq);
CREATE INDEX executions_user_active ON executions (user_id) WHERE status = 'running';
CREATE INDEX executions_phase ON executions (phase, seq) WHERE phase <> 'done';
