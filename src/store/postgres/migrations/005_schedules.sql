-- Cron schedules of functions. A schedule's next_at is the tick it fires next; a node fires it
-- by moving next_at on in the same transaction that records the execution, only if next_at is
-- still that tick, so each tick fires once however many nodes look. The unique index on
-- (schedule_id, scheduled_at) of executions says the same in the data.

CREATE TABLE schedules (
  seq               bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id                text PRIMARY KEY,
  user_id           text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  function_id       text NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
  cron              text NOT NULL,
  timezone          text NOT NULL,
  params            json NOT NULL,
  enabled           boolean NOT NULL,
  next_at           timestamptz,
  last_fired_at     timestamptz,
  last_execution_id text,
  -- What the last tick did: queued, or skipped and why (quota).
  last_outcome      text,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL
);
CREATE INDEX schedules_function ON schedules (function_id, seq);
CREATE INDEX schedules_due ON schedules (next_at) WHERE enabled;

ALTER TABLE executions ADD COLUMN schedule_id text;
ALTER TABLE executions ADD COLUMN scheduled_at timestamptz;
CREATE UNIQUE INDEX executions_tick ON executions (schedule_id, scheduled_at) WHERE schedule_id IS NOT NULL;
