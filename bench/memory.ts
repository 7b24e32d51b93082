// Memory measurements: resident set sizes read from /proc (this process and the executor
// processes it started), the memory an idle warm isolate holds, and whether RSS keeps growing
// over many executions.
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import ivm from 'isolated-vm';
import { Engine, Sandbox } from '../src/core/index.ts';
import type { Runner } from './systems/index.ts';
import type { Workload } from './workloads/index.ts';

const MB = 1024 * 1024;

/**
 * A full GC of this process, without --expose-gc on the command line. The flag is switched off
 * again at once: while it is on, every new isolate gets a `gc` global, which teejs's hardening
 * (rightly) refuses to leave in place.
 */
export const collectGarbage: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  try {
    return vm.runInNewContext('gc') as () => void;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
})();

export function rssOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0; // the process ended meanwhile
  }
}

export interface RssSample {
  hostBytes: number;
  /** This process after a full GC (what is really held, not garbage not yet collected). */
  hostAfterGcBytes: number;
  /** The system's own processes (executors), summed. */
  childBytes: number;
  children: number;
}

export async function sampleRss(children: number[]): Promise<RssSample> {
  const hostBytes = process.memoryUsage.rss();
  collectGarbage();
  await delay(200);
  return {
    hostBytes,
    hostAfterGcBytes: process.memoryUsage.rss(),
    childBytes: children.reduce((total, pid) => total + rssOf(pid), 0),
    children: children.length,
  };
}

export interface IdleIsolateMemory {
  count: number;
  /** RSS growth of this process per idle isolate, held all at once. */
  teejsRssPerIsolateBytes: number;
  /** The same for a plain isolated-vm isolate with one empty context (no bootstrap). */
  plainRssPerIsolateBytes: number;
  /** V8 heap of one plain isolate with a context: total and used. */
  plainHeapTotalBytes: number;
  plainHeapUsedBytes: number;
  /** V8 heap in use (plus external) in a bootstrapped teejs isolate after hello world. */
  teejsHeapUsedAfterHelloBytes: number | null;
  teejsCreateMs: number;
}

/**
 * Holds `count` bootstrapped, idle teejs sandboxes (what a warm pool keeps) and reports the RSS
 * they add per isolate; the same for plain isolates for scale.
 */
export async function idleIsolateMemory(count: number, hello: Workload): Promise<IdleIsolateMemory> {
  const engine = new Engine({ limits: { memoryMb: hello.memoryMb } });
  // Warm the code caches and the host's JIT first, so they don't count as per-isolate memory.
  for (let i = 0; i < 3; i++) (await Sandbox.create({ memoryMb: hello.memoryMb, capabilities: engine.capabilities })).dispose();
  const before = await settledRss();
  const created = performance.now();
  const sandboxes: Sandbox[] = [];
  for (let i = 0; i < count; i++) sandboxes.push(await Sandbox.create({ memoryMb: hello.memoryMb, capabilities: engine.capabilities }));
  const teejsCreateMs = (performance.now() - created) / count;
  const teejsRss = (await settledRss()) - before;
  for (const sandbox of sandboxes) sandbox.dispose();

  const helloResult = await engine.execute({ source: hello.source, params: hello.params, memoryMb: hello.memoryMb });
  await engine.close();

  const plainBefore = await settledRss();
  const plain: { isolate: ivm.Isolate; context: ivm.Context }[] = [];
  for (let i = 0; i < count; i++) {
    const isolate = new ivm.Isolate({ memoryLimit: hello.memoryMb });
    plain.push({ isolate, context: await isolate.createContext() });
  }
  const plainRss = (await settledRss()) - plainBefore;
  const heap = await plain[0]!.isolate.getHeapStatistics();
  for (const { isolate } of plain) isolate.dispose();

  return {
    count,
    teejsRssPerIsolateBytes: Math.round(teejsRss / count),
    plainRssPerIsolateBytes: Math.round(plainRss / count),
    plainHeapTotalBytes: heap.total_heap_size,
    plainHeapUsedBytes: heap.used_heap_size,
    teejsHeapUsedAfterHelloBytes: helloResult.status === 'success' ? helloResult.memoryUsedBytes : null,
    teejsCreateMs: Math.round(teejsCreateMs * 1000) / 1000,
  };
}

async function settledRss(): Promise<number> {
  collectGarbage();
  await delay(300);
  collectGarbage();
  return process.memoryUsage.rss();
}

export interface SoakPlan {
  /** Executions before the first sample, and in all. */
  early: number;
  total: number;
  concurrency: number;
  /** Samples after the first one, evenly spaced up to `total`. */
  samples: number;
  /** Pause before each sample, for stopped isolates to finish unwinding. */
  settleMs: number;
}

export interface SoakResult {
  early: number;
  total: number;
  concurrency: number;
  atEarly: RssSample;
  atEnd: RssSample;
  /** Samples along the way (including early and end): a leak grows steadily, warm-up levels off. */
  series: Array<{ executions: number } & RssSample>;
  errors: number;
  firstError: string | null;
  durationMs: number;
}

/**
 * Runs `total` executions at a fixed concurrency and samples RSS after the first `early`, at a
 * few points on the way and at the end: a leak shows as growth that does not level off.
 */
export async function soak(
  runner: Runner,
  workload: Workload,
  marks: SoakPlan,
  progress: (done: number) => void,
): Promise<SoakResult> {
  const { early, total, concurrency } = marks;
  let errors = 0;
  let firstError: string | null = null;
  const started = performance.now();
  let done = 0;
  const runUntil = async (target: number) => {
    let sent = done;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (sent < target) {
          sent++;
          const outcome = await runner.run(workload).catch((error: unknown) => ({ ok: false, error: String(error), logs: [] }));
          if (!outcome.ok) {
            errors++;
            firstError ??= outcome.error ?? 'failed';
          }
          done++;
        }
      }),
    );
  };
  const sampleAt = async (executions: number) => {
    await runUntil(executions);
    await delay(marks.settleMs); // isolates stopped meanwhile finish unwinding
    return { executions, ...(await sampleRss(runner.pids?.() ?? [])) };
  };
  const ticker = setInterval(() => progress(done), 5000);
  try {
    const series = [await sampleAt(early)];
    for (let i = 1; i <= marks.samples; i++) series.push(await sampleAt(Math.round(early + ((total - early) * i) / marks.samples)));
    return {
      early,
      total,
      concurrency,
      atEarly: series[0]!,
      atEnd: series.at(-1)!,
      series,
      errors,
      firstError,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    clearInterval(ticker);
  }
}

/**
 * RSS growth from the first sample to the last, counting the host and the executor processes
 * each on its own: one shrinking (returning earlier garbage) must not hide the other growing.
 */
export function soakGrowth(soak: SoakResult): { host: number; executors: number; counted: number } {
  const host = soak.atEnd.hostBytes - soak.atEarly.hostBytes;
  const executors = soak.atEnd.childBytes - soak.atEarly.childBytes;
  return { host, executors, counted: Math.max(0, host) + Math.max(0, executors) };
}

export function mb(bytes: number): number {
  return Math.round((bytes / MB) * 100) / 100;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
