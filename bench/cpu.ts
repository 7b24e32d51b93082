// The CPU-bound workloads against the same code run directly in Node. The workload times itself
// (Date.now), in all and per part (recursive fib, JSON round trips), so that the report can say
// where a gap comes from, not only how large it is.
import type { Cell, CpuComparison } from './model.ts';
import type { Outcome } from './systems/index.ts';

export interface GuestTiming {
  elapsedMs: number;
  fibMs: number;
  jsonMs: number;
}

/** The CPU workload's own timing from its result, or null for other workloads. */
export function guestTiming(outcome: Outcome): GuestTiming | null {
  const result = outcome.result as Partial<Record<keyof GuestTiming, unknown>> | null;
  if (typeof result?.elapsedMs !== 'number' || typeof result.fibMs !== 'number' || typeof result.jsonMs !== 'number') return null;
  return { elapsedMs: result.elapsedMs, fibMs: result.fibMs, jsonMs: result.jsonMs };
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** Speed relative to plain Node: 1 = as fast, 0.5 = half as fast. */
const speed = (node: number, mine: number) => (mine > 0 ? Math.round((node / mine) * 1000) / 1000 : null);

/** Every system's concurrency-1 cell of each CPU workload, against the `node-direct` cell. */
export function cpuComparison(cells: readonly Cell[], timings: ReadonlyMap<string, GuestTiming[]>): CpuComparison[] {
  return ['cpu', 'cpu-large'].flatMap((workload) => {
    const node = cells.find((c) => c.workload === workload && c.system === 'node-direct' && c.concurrency === 1);
    const nodeTimings = timings.get(`${workload}/node-direct`);
    if (!node?.stats || node.status !== 'ok' || !nodeTimings) return [];
    const nodeMedian = (key: keyof GuestTiming) => median(nodeTimings.map((t) => t[key]));
    return cells
      .filter((c) => c.workload === workload && c.concurrency === 1 && c.stats && c.status === 'ok')
      .map((c) => {
        const mine = timings.get(`${workload}/${c.system}`) ?? [];
        const mineMedian = (key: keyof GuestTiming) => median(mine.map((t) => t[key]));
        return {
          workload,
          system: c.system,
          endToEndP50Ms: c.stats!.p50Ms,
          endToEndSpeed: speed(node.stats!.p50Ms, c.stats!.p50Ms) ?? 0,
          computeMedianMs: mineMedian('elapsedMs'),
          computeSpeed: speed(nodeMedian('elapsedMs'), mineMedian('elapsedMs')),
          fibMedianMs: mineMedian('fibMs'),
          fibSpeed: speed(nodeMedian('fibMs'), mineMedian('fibMs')),
          jsonMedianMs: mineMedian('jsonMs'),
          jsonSpeed: speed(nodeMedian('jsonMs'), mineMedian('jsonMs')),
        };
      });
  });
}
