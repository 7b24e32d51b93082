-- A function may be a set of ES modules: `source` stays the entry's text, `modules` holds the
-- other modules by path (JSON), `entry` the entry's path; both NULL for a one-file function.
-- `env` is the function's non-secret configuration (JSON object of strings). Each version keeps
-- all three, like the other code fields.
ALTER TABLE functions ADD COLUMN modules TEXT;
ALTER TABLE functions ADD COLUMN entry TEXT;
ALTER TABLE functions ADD COLUMN env TEXT NOT NULL DEFAULT '{}';
ALTER TABLE function_versions ADD COLUMN modules TEXT;
ALTER TABLE function_versions ADD COLUMN entry TEXT;
ALTER TABLE function_versions ADD COLUMN env TEXT NOT NULL DEFAULT '{}';

-- Console lines of running executions, appended in small batches by the node that runs them,
-- so that a client following the logs on another node sees them live. The execution's own
-- `logs` column stays the record; these rows go when the execution ends (or is deleted).
CREATE TABLE execution_log_lines (
  execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  line         INTEGER NOT NULL,
  entry        TEXT NOT NULL,
  PRIMARY KEY (execution_id, line)
);
