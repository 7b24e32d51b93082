-- A function may be a set of ES modules: `source` stays the entry's text, `modules` holds the
-- other modules by path, `entry` the entry's path; both NULL for a one-file function. `env` is
-- the function's non-secret configuration (an object of strings). Each version keeps all three,
-- like the other code fields. (json, not jsonb: the modules keep their order.)
ALTER TABLE functions ADD COLUMN modules json;
ALTER TABLE functions ADD COLUMN entry text;
ALTER TABLE functions ADD COLUMN env json NOT NULL DEFAULT '{}';
ALTER TABLE function_versions ADD COLUMN modules json;
ALTER TABLE function_versions ADD COLUMN entry text;
ALTER TABLE function_versions ADD COLUMN env json NOT NULL DEFAULT '{}';

-- Console lines of running executions, appended in small batches by the node that runs them,
-- so that a client following the logs on another node sees them live. The execution's own
-- `logs` column stays the record; these rows go when the execution ends (or is deleted).
CREATE TABLE execution_log_lines (
  execution_id text NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  line         integer NOT NULL,
  entry        json NOT NULL,
  PRIMARY KEY (execution_id, line)
);
