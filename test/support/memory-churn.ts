// Runs many executions that each allocate megabytes, then reports how the host's heap and RSS
// moved, as one JSON document on stdout. Started by test/core/memory-release.test.ts in a child
// process of its own (with --expose-gc), so that the numbers are this workload's alone.
//   node --no-node-snapshot --expose-gc test/support/memory-churn.ts [EXECUTIONS] [WARMUP]
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Engine } from '../../src/core/index.ts';

const executions = Number(process.argv[2] ?? 2000);
const warmup = Number(process.argv[3] ?? 200);
// Several executions at once, as a service runs them: a disposal deferred to a later turn of the
// event loop kept about 2 MB per isolate under concurrency (never one at a time), 1.8 GB over
// 2,000 executions.
const concurrency = 8;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

// About 5 MB per execution: typed arrays (memory outside the V8 heap), an array and strings on it.
const allocating = `export default function (params) {
  const buffers = [];
  for (let i = 0; i < 4; i++) buffers.push(new Float64Array(131072).fill(params.n + i));
  const numbers = new Array(100000).fill(params.n);
  const text = 'teejs '.repeat(50000) + params.n;
  console.log('allocated', buffers.length, numbers.length, text.length);
  return { buffers: buffers.length, numbers: numbers.length, text: text.length };
}`;
// Every path that ends an execution must release its isolate, not only success.
const overMemory = 'export default function () { const keep = []; for (;;) keep.push(new Array(100000).fill(0.5)); }';
// Holds memory and spins without growing: growing, it could reach its memory limit before a
// late timer (on a loaded machine) ends it, and end MEMORY_LIMIT (seen once in CI).
const overTime = 'export default function () { const keep = new Array(200000).fill(1); for (;;) keep[0]++; }';

function requestFor(n: number) {
  if (n % 200 === 50) return { source: overMemory, memoryMb: 16, expect: 'MEMORY_LIMIT' };
  if (n % 200 === 150) return { source: overTime, timeoutMs: 30, expect: 'TIMEOUT' };
  return { source: allocating, params: { n }, expect: 'success' };
}

async function measure() {
  for (let i = 0; i < 3; i++) {
    gc!();
    await nextTurn();
  }
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, rss: usage.rss, external: usage.external, arrayBuffers: usage.arrayBuffers };
}

// A limit only against a hang (but for the executions about time): on a busy machine an execution
// starved of CPU takes many times longer, and the bombs must still end MEMORY_LIMIT.
const engine = new Engine({ limits: { timeoutMs: 120_000 } });
let next = 0;
let unexpected = 0;
const outcomes: Record<string, number> = {};

async function worker(until: number): Promise<void> {
  while (next < until) {
    const n = next++;
    const { expect, ...request } = requestFor(n);
    const result = await engine.execute(request);
    const outcome = result.status === 'success' ? 'success' : (result.error?.code ?? 'unknown');
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (outcome !== expect) unexpected++;
  }
}

async function runUntil(until: number): Promise<void> {
  await Promise.all(Array.from({ length: concurrency }, () => worker(until)));
  await engine.drain();
}

const started = performance.now();
await runUntil(warmup);
const baseline = await measure();
await runUntil(executions);
const end = await measure();
const report = { executions, warmup, outcomes, unexpected, baseline, end, seconds: (performance.now() - started) / 1000 };
process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
