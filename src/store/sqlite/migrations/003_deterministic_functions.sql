-- A function may run deterministically (seeded randomness, a virtual clock, no fetch), which
-- lets `teejs verify --replay` re-run it; like its other code fields, each version keeps it.
ALTER TABLE functions ADD COLUMN deterministic INTEGER NOT NULL DEFAULT 0;
ALTER TABLE function_versions ADD COLUMN deterministic INTEGER NOT NULL DEFAULT 0;
