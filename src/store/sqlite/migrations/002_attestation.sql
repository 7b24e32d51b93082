-- Signed receipts (issue 12): each finished execution keeps the receipt it was first answered
-- with; each node's signing keys over time, the generated ones sealed under the master key.
ALTER TABLE executions ADD COLUMN receipt TEXT;

CREATE TABLE signing_keys (
  node_id            TEXT NOT NULL,
  key_id             TEXT NOT NULL,
  public_key         TEXT NOT NULL,
  -- PKCS#8 PEM sealed by the master key; NULL for a key given by TEEJS_SIGNING_KEY.
  sealed_private_key BLOB,
  origin             TEXT NOT NULL CHECK (origin IN ('generated', 'environment')),
  created_at         TEXT NOT NULL,
  activated_at       TEXT NOT NULL,
  retired_at         TEXT,
  PRIMARY KEY (node_id, key_id)
);
CREATE UNIQUE INDEX signing_keys_active ON signing_keys (node_id) WHERE retired_at IS NULL;
