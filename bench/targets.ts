// The numbers issue 4 asks for, checked against one run: each target with what was measured,
// whether it holds and by how much.
import { mb, soakGrowth } from './memory.ts';
import type { BenchResults } from './model.ts';

export interface TargetCheck {
  target: string;
  measured: string;
  /** null: could not be measured in this run (system missing, failed, skipped). */
  holds: boolean | null;
  byHowMuch: string;
}

const x = (value: number) => `${value.toFixed(2)}×`;
const signedMb = (bytes: number) => `${bytes >= 0 ? '+' : ''}${mb(bytes)} MB`;

export function checkTargets(results: BenchResults, systemId: string): TargetCheck[] {
  const stats = (workload: string, system: string, concurrency: number) => {
    const cell = results.cells.find((c) => c.workload === workload && c.system === system && c.concurrency === concurrency);
    return cell?.stats && cell.status === 'ok' ? cell.stats : null;
  };
  const missing = (why: string): Pick<TargetCheck, 'measured' | 'holds' | 'byHowMuch'> => ({ measured: why, holds: null, byHowMuch: '—' });
  const system = results.systems.find((s) => s.id === systemId);
  const unavailable = !system ? 'not in this run' : system.status === 'missing' ? 'system missing' : null;
  const checks: TargetCheck[] = [];

  const throughputRatio = (other: string, atLeast: number, target: string) => {
    const ratios = results.plan.concurrencies.map((c) => {
      const mine = stats('hello', systemId, c);
      const theirs = stats('hello', other, c);
      return { c, ratio: mine && theirs ? mine.throughput / theirs.throughput : null };
    });
    const measured = ratios.filter((r) => r.ratio !== null);
    if (unavailable || measured.length === 0) {
      checks.push({ target, ...missing(unavailable ?? 'no hello-world cells to compare') });
      return;
    }
    const worst = Math.min(...measured.map((r) => r.ratio!));
    checks.push({
      target,
      measured: ratios.map((r) => `c=${r.c}: ${r.ratio === null ? 'n/a' : x(r.ratio)}`).join(', '),
      holds: measured.length === ratios.length ? worst >= atLeast : worst >= atLeast ? null : false,
      byHowMuch: worst >= atLeast ? `worst ${x(worst)}, ${x(worst / atLeast)} the target` : `worst ${x(worst)}: ${((1 - worst / atLeast) * 100).toFixed(0)}% short`,
    });
  };
  throughputRatio('isolated-vm', 4, 'hello-world throughput ≥ 4× plain isolated-vm, same concurrency');
  throughputRatio('node-vm', 0.5, 'hello-world throughput within 2× of node:vm fresh contexts (≥ 0.5×)');

  const single = stats('hello', systemId, 1);
  const latency = (key: 'p50Ms' | 'p99Ms', limit: number, target: string) => {
    if (unavailable || !single) return checks.push({ target, ...missing(unavailable ?? 'hello at c=1 not measured') });
    const value = single[key];
    return checks.push({
      target,
      measured: `${value.toFixed(3)} ms`,
      holds: value <= limit,
      byHowMuch: value <= limit ? `${(limit - value).toFixed(3)} ms under` : `${(value - limit).toFixed(3)} ms over (${x(value / limit)} the limit)`,
    });
  };
  latency('p50Ms', 1, 'hello-world latency at c=1: p50 ≤ 1 ms');
  latency('p99Ms', 3, 'hello-world latency at c=1: p99 ≤ 3 ms');

  const cpu = results.cpu.find((c) => c.workload === 'cpu' && c.system === systemId);
  const speed = (value: number | null | undefined, target: string) => {
    if (unavailable || value === null || value === undefined) return checks.push({ target, ...missing(unavailable ?? 'CPU workload not compared') });
    return checks.push({
      target,
      measured: `${x(value)} plain Node`,
      holds: value >= 0.9,
      byHowMuch: value >= 0.9 ? `${((value / 0.9 - 1) * 100).toFixed(0)}% above` : `${((1 - value / 0.9) * 100).toFixed(0)}% short`,
    });
  };
  speed(cpu?.computeSpeed, 'CPU-bound speed ≥ 0.9× plain Node (the function’s own compute time)');
  speed(cpu?.endToEndSpeed, 'CPU-bound speed ≥ 0.9× plain Node (end to end, c=1 p50, stricter)');

  const idle = results.idle;
  checks.push(
    idle
      ? {
          target: 'idle warm isolate ≤ 3 MB (RSS per bootstrapped sandbox)',
          measured: `${mb(idle.teejsRssPerIsolateBytes)} MB`,
          holds: idle.teejsRssPerIsolateBytes <= 3 * 2 ** 20,
          byHowMuch:
            idle.teejsRssPerIsolateBytes <= 3 * 2 ** 20
              ? `${mb(3 * 2 ** 20 - idle.teejsRssPerIsolateBytes)} MB under`
              : `${mb(idle.teejsRssPerIsolateBytes - 3 * 2 ** 20)} MB over`,
        }
      : { target: 'idle warm isolate ≤ 3 MB', ...missing('not measured in this run') },
  );

  const soak = results.soaks[systemId];
  const { early, total } = results.plan.soak;
  const rssTarget = `RSS after ${total.toLocaleString('en')} executions within 50 MB of RSS after ${early.toLocaleString('en')}`;
  if (!soak || 'missing' in soak) {
    checks.push({ target: rssTarget, ...missing(soak ? 'system missing' : 'not measured in this run') });
  } else {
    // The executors hold the isolates: their growth counts with the host's.
    const growth = soakGrowth(soak);
    const limit = 50 * 2 ** 20;
    const parts = soak.atEnd.children ? ` (host ${signedMb(growth.host)}, executors ${signedMb(growth.executors)})` : '';
    checks.push({
      target: rssTarget + (soak.atEnd.children ? ' (host + executor processes)' : ' (host)'),
      measured: `${signedMb(growth.counted)}${parts}`,
      holds: growth.counted <= limit,
      byHowMuch: growth.counted <= limit ? `${mb(limit - growth.counted)} MB of headroom` : `${mb(growth.counted - limit)} MB over`,
    });
  }
  return checks;
}

/** The mean of the floor measurements of one run (before and after the cells), or null. */
export function floorOf(results: BenchResults): { sandboxCpuMs: number; defaultContextCpuMs: number; bareCpuMs: number; snapshotContextCpuMs: number } | null {
  const floors = results.floor ?? [];
  if (floors.length === 0) return null;
  const mean = (pick: (f: (typeof floors)[number]) => number) => floors.reduce((sum, f) => sum + pick(f), 0) / floors.length;
  return {
    sandboxCpuMs: mean((f) => f.sandboxCpuMs),
    // What our context costs beyond an empty snapshot's context: isolated-vm pays it a second
    // time for the default context it makes in every `new Isolate` (see bench/floor.ts).
    defaultContextCpuMs: mean((f) => f.snapshotContextCpuMs - f.snapshotIsolateCpuMs - (f.emptySnapshotContextCpuMs - f.emptySnapshotIsolateCpuMs)),
    bareCpuMs: mean((f) => f.bareCpuMs),
    snapshotContextCpuMs: mean((f) => f.snapshotContextCpuMs),
  };
}

/** Issue 14's targets for the executor pool, against the same run. */
export function checkIssue14(results: BenchResults, systemId = 'teejs-pool'): TargetCheck[] {
  const cell = (workload: string, system: string, concurrency: number) =>
    results.cells.find((c) => c.workload === workload && c.system === system && c.concurrency === concurrency && c.status === 'ok');
  const missing = (target: string, why: string): TargetCheck => ({ target, measured: why, holds: null, byHowMuch: '—' });
  const checks: TargetCheck[] = [];

  for (const [concurrency, atLeast] of [[8, 1.5], [1, 1]] as const) {
    const target = `hello-world throughput ≥ ${atLeast}× plain isolated-vm at c=${concurrency}`;
    const mine = cell('hello', systemId, concurrency)?.stats;
    const theirs = cell('hello', 'isolated-vm', concurrency)?.stats;
    if (!mine || !theirs) {
      checks.push(missing(target, 'not both measured'));
      continue;
    }
    const ratio = mine.throughput / theirs.throughput;
    checks.push({
      target,
      measured: `${x(ratio)} (${mine.throughput.toFixed(0)} against ${theirs.throughput.toFixed(0)}/s)`,
      holds: ratio >= atLeast,
      byHowMuch: ratio >= atLeast ? `${x(ratio / atLeast)} the target` : `${((1 - ratio / atLeast) * 100).toFixed(0)}% short`,
    });
  }

  const floor = floorOf(results);
  for (const concurrency of [8, 1]) {
    const target = `CPU per hello-world execution at c=${concurrency} ≤ 1.5× the bare floor (snapshot isolate + attach + dispose, same run)`;
    const cpu = cell('hello', systemId, concurrency)?.cpu;
    if (!floor || !cpu) {
      checks.push(missing(target, !floor ? 'floor not measured' : 'no CPU figures'));
      continue;
    }
    const ratio = cpu.perRequestMs / floor.sandboxCpuMs;
    const plain = cell('hello', 'isolated-vm', concurrency)?.cpu?.perRequestMs;
    checks.push({
      target,
      measured: `${cpu.perRequestMs.toFixed(2)} ms (host ${cpu.hostPerRequestMs.toFixed(2)}) against a floor of ${floor.sandboxCpuMs.toFixed(2)} ms: ${x(ratio)}${plain === undefined ? '' : `; plain isolated-vm's whole call ${plain.toFixed(2)} ms`}`,
      holds: ratio <= 1.5,
      byHowMuch: ratio <= 1.5 ? `${x(1.5 / ratio)} of headroom` : `${((ratio / 1.5 - 1) * 100).toFixed(0)}% over`,
    });
  }

  const single = cell('hello', systemId, 1)?.stats;
  for (const [key, limit] of [['p50Ms', 1.5], ['p99Ms', 4]] as const) {
    const target = `hello-world latency at c=1: ${key.slice(0, 3)} ≤ ${limit} ms`;
    if (!single) {
      checks.push(missing(target, 'not measured'));
      continue;
    }
    const value = single[key];
    checks.push({
      target,
      measured: `${value.toFixed(3)} ms`,
      holds: value <= limit,
      byHowMuch: value <= limit ? `${(limit - value).toFixed(3)} ms under` : `${(value - limit).toFixed(3)} ms over`,
    });
  }

  const paced = (results.paced ?? []).find((p) => p.system === systemId && p.status === 'ok');
  const hitTarget = 'warm hit rate ≥ 95% below capacity (hello, c=1 with a pause between requests)';
  if (!paced?.warm || !paced.stats) {
    checks.push(missing(hitTarget, 'not measured'));
  } else {
    const total = paced.warm.hits + paced.warm.misses;
    const rate = total ? paced.warm.hits / total : 0;
    checks.push({
      target: hitTarget,
      measured: `${(rate * 100).toFixed(1)}% of ${total} (think ${paced.thinkMs} ms; p50 ${paced.stats.p50Ms.toFixed(3)} ms, p99 ${paced.stats.p99Ms.toFixed(3)} ms)`,
      holds: rate >= 0.95,
      byHowMuch: rate >= 0.95 ? `${((rate - 0.95) * 100).toFixed(1)} points above` : `${((0.95 - rate) * 100).toFixed(1)} points short`,
    });
  }

  for (const workload of ['cpu', 'cpu-large']) {
    const target = `CPU-bound (${workload}) compute at least as fast as Node's first run in a fresh worker`;
    const mine = results.cpu.find((c) => c.workload === workload && c.system === systemId);
    const worker = results.cpu.find((c) => c.workload === workload && c.system === 'node-worker');
    if (!mine?.computeSpeed || !worker?.computeSpeed) {
      checks.push(missing(target, 'not both measured'));
      continue;
    }
    const ratio = mine.computeSpeed / worker.computeSpeed;
    checks.push({
      target,
      measured: `${x(mine.computeSpeed)} against the worker's ${x(worker.computeSpeed)} of warm Node (${mine.computeMedianMs} against ${worker.computeMedianMs} ms)`,
      holds: ratio >= 1,
      byHowMuch: ratio >= 1 ? `${((ratio - 1) * 100).toFixed(0)}% faster` : `${((1 - ratio) * 100).toFixed(0)}% slower`,
    });
  }
  return checks;
}
