// The shape of one benchmark run's results, as written to bench/results/<mode>.json.
import type { MachineInfo } from './machine.ts';
import type { LatencyStats, LoopBudget } from './measure.ts';
import type { IdleIsolateMemory, SoakPlan, SoakResult } from './memory.ts';
import type { FloorMeasurement } from './floor.ts';

export interface SystemEntry {
  id: string;
  label: string;
  short: string;
  note?: string | undefined;
  status: 'ok' | 'missing';
  /** Why a system is missing. */
  reason?: string;
  config?: Record<string, unknown> | undefined;
  /** The system's own counters at the end of the run. */
  stats?: Record<string, unknown> | undefined;
}

export type CellStatus = 'ok' | 'errors' | 'failed' | 'skipped' | 'missing' | 'not-applicable';

export interface Cell {
  workload: string;
  system: string;
  concurrency: number;
  /** ok: no failure; errors: some requests failed; failed: all did. */
  status: CellStatus;
  reason?: string;
  stats?: LatencyStats;
  /** CPU spent per answered request while the cell was measured (this process, and the system's own processes). */
  cpu?: CellCpu;
  /** Warm-pool hits and misses while the cell was measured (systems with a warm pool). */
  warm?: { hits: number; misses: number };
}

export interface CellCpu {
  /** All of it: this process plus the system's processes, per answered request. */
  perRequestMs: number;
  /** This (the benchmark's) process alone: for the executor pool, its host side. */
  hostPerRequestMs: number;
  /** The system's own processes (executors), null for in-process systems. */
  childrenPerRequestMs: number | null;
}

/** Hello world at concurrency 1 with a pause between requests: an offered load below capacity. */
export interface PacedCell {
  workload: string;
  system: string;
  thinkMs: number;
  status: CellStatus;
  stats?: LatencyStats;
  cpu?: CellCpu;
  warm?: { hits: number; misses: number };
}

export interface CpuComparison {
  workload: string;
  system: string;
  endToEndP50Ms: number;
  /** The workload's own timing (Date.now inside the function), median. */
  computeMedianMs: number;
  /** Speed relative to plain Node (1 = as fast), end to end at concurrency 1 (p50). */
  endToEndSpeed: number;
  /** Speed relative to plain Node of the function's own compute. */
  computeSpeed: number | null;
  /** The same for each part: the recursive fib, then the JSON round trips (allocation-heavy). */
  fibMedianMs: number;
  fibSpeed: number | null;
  jsonMedianMs: number;
  jsonSpeed: number | null;
}

export interface BenchResults {
  mode: 'quick' | 'full';
  machine: MachineInfo;
  loadAverageAtEnd: number[];
  durationMs: number;
  plan: {
    concurrencies: number[];
    budgets: Record<string, LoopBudget>;
    maxRoundMs: number;
    idleIsolates: number;
    soak: SoakPlan;
    quickSkips: string | null;
  };
  systems: SystemEntry[];
  workloads: { id: string; label: string; params: unknown; memoryMb: number }[];
  cells: Cell[];
  cpu: CpuComparison[];
  idle: IdleIsolateMemory | null;
  /** The bare floor of a teejs execution, measured before and after the cells (bench/floor.ts); absent in the service's report. */
  floor?: FloorMeasurement[];
  paced?: PacedCell[];
  soaks: Record<string, SoakResult | { missing: string }>;
}
