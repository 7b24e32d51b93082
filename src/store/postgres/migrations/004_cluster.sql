-- Several nodes on one database: who is alive (nodes), and requests a client may safely retry
-- (idempotency_keys). A queued execution with a node_id is a sync one waiting for a slot on that
-- node (its client waits there); one without is async, for any node to claim.

CREATE TABLE nodes (
  id           text PRIMARY KEY,
  -- A random id of one start of the node: a second process with the same node id is told apart.
  instance     text NOT NULL,
  version      text NOT NULL,
  started_at   timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL,
  stopped_at   timestamptz,
  draining     boolean NOT NULL DEFAULT false,
  running      integer NOT NULL DEFAULT 0,
  slots        integer NOT NULL DEFAULT 0
);

CREATE TABLE idempotency_keys (
  user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key         text NOT NULL,
  -- What the key was first used for (method and route) and a hash of the body.
  scope       text NOT NULL,
  fingerprint text NOT NULL,
  resource_id text NOT NULL,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

ALTER TABLE executions ADD COLUMN trigger text NOT NULL DEFAULT 'api';
CREATE INDEX executions_lease ON executions (lease_expires_at) WHERE phase <> 'done';
