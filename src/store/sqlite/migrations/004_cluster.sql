-- Nodes (SQLite has one, registered as on PostgreSQL, so the admin API and history read alike),
-- and requests a client may safely retry (idempotency_keys). A queued execution with a node_id
-- is a sync one waiting for a slot on that node (its client waits there); one without is async.

CREATE TABLE nodes (
  id           TEXT PRIMARY KEY,
  -- A random id of one start of the node: a second process with the same node id is told apart.
  instance     TEXT NOT NULL,
  version      TEXT NOT NULL,
  started_at   TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL,
  stopped_at   TEXT,
  draining     INTEGER NOT NULL DEFAULT 0,
  running      INTEGER NOT NULL DEFAULT 0,
  slots        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE idempotency_keys (
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key         TEXT NOT NULL,
  -- What the key was first used for (method and route) and a hash of the body.
  scope       TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

ALTER TABLE executions ADD COLUMN trigger TEXT NOT NULL DEFAULT 'api';
CREATE INDEX executions_lease ON executions (lease_expires_at) WHERE phase <> 'done';
