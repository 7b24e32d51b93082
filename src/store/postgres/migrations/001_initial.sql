-- teejs service schema, PostgreSQL. Ids are text (a malformed id is simply not found, never a
-- cast error); JSON values keep their exact text (json, not jsonb, which would reorder keys);
-- `seq` columns give a stable order for paging.

CREATE TABLE settings (
  name  text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE users (
  seq        bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id         text PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL
);

CREATE TABLE api_keys (
  id           text PRIMARY KEY,
  user_id      text REFERENCES users (id) ON DELETE CASCADE,
  role         text NOT NULL CHECK (role IN ('admin', 'user')),
  name         text NOT NULL,
  prefix       text NOT NULL,
  hash         text NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at   timestamptz,
  CHECK ((role = 'admin') = (user_id IS NULL))
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE functions (
  seq               bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id                text PRIMARY KEY,
  user_id           text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name              text NOT NULL,
  description       text NOT NULL,
  version           integer NOT NULL,
  source            text NOT NULL,
  language          text NOT NULL,
  form              text,
  timeout_ms        integer NOT NULL,
  memory_mb         integer NOT NULL,
  allowed_secrets   json NOT NULL,
  allowed_hosts     json NOT NULL,
  execution_count   bigint NOT NULL DEFAULT 0,
  last_execution_at timestamptz,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  UNIQUE (user_id, name)
);

CREATE TABLE function_versions (
  function_id     text NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
  version         integer NOT NULL,
  source          text NOT NULL,
  language        text NOT NULL,
  form            text,
  timeout_ms      integer NOT NULL,
  memory_mb       integer NOT NULL,
  allowed_secrets json NOT NULL,
  allowed_hosts   json NOT NULL,
  created_at      timestamptz NOT NULL,
  PRIMARY KEY (function_id, version)
);

CREATE TABLE secrets (
  user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name       text NOT NULL,
  ciphertext bytea NOT NULL,
  version    integer NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, name)
);

CREATE TABLE secret_audit (
  seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id           text NOT NULL UNIQUE,
  user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  secret_name  text NOT NULL,
  action       text NOT NULL CHECK (action IN ('create', 'update', 'delete', 'read')),
  key_id       text,
  execution_id text,
  at           timestamptz NOT NULL
);
CREATE INDEX secret_audit_user ON secret_audit (user_id, seq);

CREATE TABLE executions (
  seq               bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id                text PRIMARY KEY,
  user_id           text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  function_id       text NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
  function_version  integer NOT NULL,
  is_async          boolean NOT NULL,
  status            text NOT NULL CHECK (status IN ('running', 'success', 'error')),
  phase             text NOT NULL CHECK (phase IN ('queued', 'started', 'done')),
  params            json NOT NULL,
  result            json,
  error             json,
  logs              json NOT NULL DEFAULT '[]',
  network           json NOT NULL DEFAULT '[]',
  secrets_read      json NOT NULL DEFAULT '[]',
  node_id           text,
  lease_expires_at  timestamptz,
  created_at        timestamptz NOT NULL,
  started_at        timestamptz,
  finished_at       timestamptz,
  duration_ms       double precision,
  cpu_time_ms       double precision,
  memory_used_bytes bigint
);
CREATE INDEX executions_function ON executions (function_id, seq);
CREATE INDEX executions_user_active ON executions (user_id) WHERE status = 'running';
CREATE INDEX executions_phase ON executions (phase, seq) WHERE phase <> 'done';
