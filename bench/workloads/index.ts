// The benchmark's workloads: one guest source each (an ES module with a default export, as
// teejs takes it), the params every system gets, and a check of the answer, so a system that
// returns something else counts as failed instead of looking fast.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Workload {
  id: string;
  label: string;
  /** ES module source with `export default async function main(params, context)`. */
  source: string;
  /** The same file, for running it directly in Node. */
  url: URL;
  params: unknown;
  /** Memory limit given to every system that has one. */
  memoryMb: number;
  timeoutMs: number;
  /** Run only at these concurrencies (all when absent). */
  concurrencies?: readonly number[];
  /** Left out of --quick runs. */
  fullOnly?: boolean;
  /** Null when the result is right, else what is wrong with it. */
  check(result: unknown, logs: readonly string[]): string | null;
}

/** The secret every system's store holds for the benchmark user. */
export const benchSecret = { userId: 'bench-user', name: 'API_KEY', value: 'sk-bench-0123456789abcdef' };

function load(file: string): { source: string; url: URL } {
  const url = new URL(file, import.meta.url);
  return { source: readFileSync(url, 'utf8'), url };
}

function expectFields(expected: Record<string, unknown>) {
  return (result: unknown): string | null => {
    if (typeof result !== 'object' || result === null) return `expected an object, got ${JSON.stringify(result)}`;
    for (const [key, value] of Object.entries(expected)) {
      if ((result as Record<string, unknown>)[key] !== value) return `${key}: expected ${JSON.stringify(value)}, got ${JSON.stringify((result as Record<string, unknown>)[key])}`;
    }
    return null;
  };
}

/**
 * A function as large as a real bundle (1 MiB: zod, cheerio and ethers bundle to 0.2-0.5 MB):
 * thousands of small functions and a data table, of which one call uses a few. What it measures
 * is what a large source costs per execution once compiled (teejs keeps V8's code cache per
 * user and source), against a hello world.
 */
function largeBundle(bytes: number): { source: string; url: URL } {
  const parts = [
    'export default async function main(params) {',
    '  return { total: helper0(params.n) + helper1(params.n) + table.length };',
    '}',
  ];
  let size = parts.join('\n').length;
  for (let i = 0; size < bytes - 4096; i++) {
    const part = `function helper${i}(x) {\n  const values = [x, ${i}, ${i * 7 % 13}];\n  return values.map((v) => v * ${i % 97} + 1).reduce((sum, v) => sum + v, 0);\n}`;
    parts.push(part);
    size += part.length + 1;
  }
  parts.push(`const table = ${JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ id: i, name: `item-${i}` })))};`);
  const source = parts.join('\n').padEnd(bytes - 1, ' ') + '\n';
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'teejs-bench-')), 'bundle-1mb.mjs');
  writeFileSync(file, source);
  return { source, url: pathToFileURL(file) };
}

const bundleBytes = 1024 * 1024 - 1024;

const fibOf = (n: number): number => (n < 2 ? n : fibOf(n - 1) + fibOf(n - 2));

/** The CPU workload's size: about 30 ms in Node on these machines, 0.2 s in QuickJS. */
const cpuParams = { fib: 30, records: 10_000, rounds: 4 };
/**
 * About 4 times as much work: a fresh isolate starts its JIT cold on every call, so the gap to
 * plain Node (whose JIT stays warm) should shrink as the work grows, if warm-up is the cause.
 */
const cpuLargeParams = { fib: 32, records: 40_000, rounds: 4 };
const allocParams = { blocks: 100, blockLength: 65_536 };

export const workloads: readonly Workload[] = [
  {
    id: 'hello',
    label: 'hello world',
    ...load('./hello.mjs'),
    params: { name: 'world' },
    memoryMb: 128,
    timeoutMs: 5000,
    check: expectFields({ message: 'hello, world' }),
  },
  {
    id: 'secret-log',
    label: 'read a secret and log',
    ...load('./secret-log.mjs'),
    params: { user: 'ada' },
    memoryMb: 128,
    timeoutMs: 5000,
    check(result, logs) {
      const wrong = expectFields({ user: 'ada', keyLength: benchSecret.value.length })(result);
      if (wrong) return wrong;
      return logs.some((line) => line.includes('calling upstream for ada')) ? null : `log line missing (got ${JSON.stringify(logs)})`;
    },
  },
  {
    id: 'cpu',
    label: 'CPU-bound (fib + JSON)',
    ...load('./cpu.mjs'),
    params: cpuParams,
    memoryMb: 128,
    timeoutMs: 60_000,
    check: expectFields({ fib: fibOf(cpuParams.fib) }),
  },
  {
    id: 'cpu-large',
    label: 'CPU-bound, 4× the work',
    ...load('./cpu.mjs'),
    params: cpuLargeParams,
    memoryMb: 128,
    timeoutMs: 60_000,
    concurrencies: [1],
    fullOnly: true,
    check: expectFields({ fib: fibOf(cpuLargeParams.fib) }),
  },
  {
    id: 'bundle-1mb',
    label: 'a 1 MB bundle (one call)',
    ...largeBundle(bundleBytes),
    params: { n: 2 },
    memoryMb: 128,
    timeoutMs: 30_000,
    // helper0(2) = 3, helper1(2) = 3 + 2 + 8, and 50 rows.
    check: expectFields({ total: 66 }),
  },
  {
    id: 'alloc-50mb',
    label: 'allocate 50 MB',
    ...load('./alloc-50mb.mjs'),
    params: allocParams,
    memoryMb: 128,
    timeoutMs: 30_000,
    check: expectFields({ blocks: allocParams.blocks }),
  },
];

/**
 * The same function as a classic script for the systems that take scripts: only the entry-point
 * convention changes (`export default` dropped, so the file declares `main`).
 */
export function asScript(source: string): string {
  const script = source.replace(/^export default (?=async function main\()/m, '');
  if (script === source) throw new Error('a workload must start its function with `export default async function main(`');
  return script;
}
