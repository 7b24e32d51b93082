// undici, loaded on the first fetch of a process rather than at start: loading it costs a large
// share of what an executor process takes to start (docs/bench.md), and most executions never
// fetch. Executor processes start often (they are recycled, and leased one user at a time).
import type * as Undici from 'undici';

let loading: Promise<typeof Undici> | null = null;

export function loadUndici(): Promise<typeof Undici> {
  loading ??= import('undici');
  return loading;
}
