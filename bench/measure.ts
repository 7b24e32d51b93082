// Closed-loop load: N workers, each sends its next request as soon as its last one answered, so
// N requests are in flight at once. Latency is per request (queueing included, as a caller
// sees it); throughput is answered requests per second of wall time.
import type { Outcome, Runner } from './systems/index.ts';
import type { Workload } from './workloads/index.ts';

export interface LoopBudget {
  /** Requests run (unrecorded) before measuring, at the same concurrency, within warmupMs. */
  warmup: number;
  warmupMs: number;
  /** Keep issuing until both this many requests were sent and minMs passed... */
  minRequests: number;
  minMs: number;
  /** ...but never more than this many, and stop issuing once maxMs passed. */
  maxRequests: number;
  maxMs: number;
}

export interface LatencyStats {
  count: number;
  errors: number;
  /** The first failure's message, and whether it was an error result or a wrong answer. */
  firstError: string | null;
  wallMs: number;
  throughput: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export async function closedLoop(
  runner: Runner,
  workload: Workload,
  concurrency: number,
  budget: LoopBudget,
  /** Sees every measured successful outcome (e.g. the CPU workload's own timing). */
  observe?: (outcome: Outcome) => void,
  options: {
    /** Called once the warm-up is over, just before the measured requests start. */
    onMeasureStart?: () => void;
    /**
     * A pause after each answer before the worker's next request: an offered load below what
     * the system can serve (an open door between requests), where a closed loop offers as much
     * as it can take.
     */
    thinkMs?: number;
  } = {},
): Promise<LatencyStats> {
  const think = options.thinkMs ? () => new Promise((resolve) => setTimeout(resolve, options.thinkMs)) : null;
  let firstError: string | null = null;
  let errors = 0;
  let measuring = false;
  const once = async (): Promise<number> => {
    const started = performance.now();
    let failure: string | null;
    try {
      const outcome = await runner.run(workload);
      failure = outcome.ok ? workload.check(outcome.result, outcome.logs) : (outcome.error ?? 'failed');
      if (failure && outcome.ok) failure = `wrong result: ${failure}`;
      if (!failure && measuring) observe?.(outcome);
    } catch (error) {
      failure = `threw: ${error instanceof Error ? error.message : String(error)}`;
    }
    const elapsed = performance.now() - started;
    if (failure) {
      errors++;
      firstError ??= failure;
    }
    return elapsed;
  };

  // Warm-up: JIT of the host side, first-use caches, pools reaching their size under this load.
  let warmupLeft = budget.warmup;
  const warmupUntil = performance.now() + budget.warmupMs;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, budget.warmup) }, async () => {
      while (warmupLeft-- > 0 && performance.now() < warmupUntil) {
        await once();
        if (think) await think();
      }
    }),
  );
  errors = 0;
  firstError = null;
  measuring = true;
  options.onMeasureStart?.();

  const latencies: number[] = [];
  let sent = 0;
  const started = performance.now();
  const mayIssue = () => {
    const elapsed = performance.now() - started;
    if (sent >= budget.maxRequests || elapsed >= budget.maxMs) return false;
    return sent < budget.minRequests || elapsed < budget.minMs;
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (mayIssue()) {
        sent++;
        latencies.push(await once());
        if (think) await think();
      }
    }),
  );
  const wallMs = performance.now() - started;
  return summarize(latencies, errors, firstError, wallMs);
}

export function summarize(latencies: number[], errors: number, firstError: string | null, wallMs: number): LatencyStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    errors,
    firstError,
    wallMs: round(wallMs),
    throughput: round(sorted.length / (wallMs / 1000)),
    meanMs: round(sorted.length ? sum / sorted.length : 0),
    p50Ms: round(percentile(sorted, 0.5)),
    p90Ms: round(percentile(sorted, 0.9)),
    p99Ms: round(percentile(sorted, 0.99)),
    maxMs: round(sorted.at(-1) ?? 0),
  };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
