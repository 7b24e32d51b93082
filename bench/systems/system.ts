// What every system under test looks like to the harness: start it once, run one workload per
// call, close it. A system that cannot start (not built yet, failed) says why instead.
import type { Workload } from '../workloads/index.ts';

export interface Outcome {
  ok: boolean;
  result?: unknown;
  /** Error code and message when not ok. */
  error?: string;
  logs: string[];
}

export interface Runner {
  run(workload: Workload): Promise<Outcome>;
  close(): Promise<void>;
  /** Settings worth printing next to the numbers (pool sizes, process counts). */
  config?: Record<string, unknown>;
  /** Processes besides this one that hold the system's isolates (executor processes). */
  pids?(): number[];
  /** Counters read at the end of the run (restarts, warm-pool hits and misses). */
  stats?(): Record<string, unknown>;
}

export interface System {
  id: string;
  label: string;
  /** A few characters, for chart axes. */
  short: string;
  /** Whether concurrent calls can use more than one core (else they only queue). */
  parallel: boolean;
  /** A speed reference that is not a security boundary, or a comparison only for some workloads. */
  note?: string;
  /** Workloads it runs (all when absent). */
  only?: readonly string[];
  start(): Promise<Runner | { missing: string }>;
}

/** Drops `export default` for the script-based systems. */
export { asScript } from '../workloads/index.ts';

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
