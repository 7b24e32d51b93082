-- The finished executions of a function, newest first: what keeping the last --history of them
-- reads at every completion (the cutoff is the (history + 1)-th newest). Without it, finding
-- the cutoff walked the function's whole history through the table, reading each row's status.
CREATE INDEX executions_function_finished ON executions (function_id, seq) WHERE status <> 'running';
