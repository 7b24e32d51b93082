-- Cron schedules of functions. A schedule's next_at is the tick it fires next; a node fires it
-- by moving next_at on in the same transaction that records the execution, only if next_at is
-- still that tick, so each tick fires once however many nodes look. The unique index on
-- (schedule_id, scheduled_at) of executions says the same in the data.

CREATE TABLE schedules (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  id                TEXT NOT NULL UNIQUE,
  user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  function_id       TEXT NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
  cron              TEXT NOT NULL,
  timezone          TEXT NOT NULL,
  params            TEXT NOT NULL,
  enabled           INTEGER NOT NULL,
  next_at           TEXT,
  last_fired_at     TEXT,
  last_execution_id TEXT,
  -- What the last tick did: queued, or skipped and why (quota).
  last_outcome      TEXT,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL
);
CREATE INDEX schedules_function ON schedules (function_id, seq);
CREATE INDEX schedules_due ON schedules (next_at) WHERE enabled;

ALTER TABLE executions ADD COLUMN schedule_id TEXT;
ALTER TABLE executions ADD COLUMN scheduled_at TEXT;
CREATE UNIQUE INDEX executions_tick ON executions (schedule_id, scheduled_at) WHERE schedule_id IS NOT NULL;
