// What the noisy-neighbour benchmark's tenants run: the quiet tenant's hello world, and the
// abusive kinds, each with the time and memory limits its function is created with and the
// error code it should end with.

export type AbuseCategory = 'memory bomb' | 'infinite loop' | 'sleeper' | 'microtask storm' | 'console flood';

export interface AbuseKind {
  id: string;
  category: AbuseCategory;
  label: string;
  source: string;
  timeoutMs: number;
  memoryMb: number;
  /** The error code a well-behaved service ends it with. */
  expected: 'MEMORY_LIMIT' | 'TIMEOUT';
}

export interface AbusiveTenant {
  name: string;
  /** Its client loops take these kinds in turn (loop i starts at kind i mod length). */
  kinds: AbuseKind[];
}

export const helloSource = "export default (params) => ({ hello: params.name ?? 'world' })\n";

export interface AbuseLimits {
  bombTimeoutMs: number;
  bombMemoryMb: number;
  loopTimeoutMs: number;
  sleeperTimeoutMs: number;
}

export const fullLimits: AbuseLimits = { bombTimeoutMs: 10_000, bombMemoryMb: 128, loopTimeoutMs: 2000, sleeperTimeoutMs: 20_000 };
export const quickLimits: AbuseLimits = { bombTimeoutMs: 4000, bombMemoryMb: 128, loopTimeoutMs: 1000, sleeperTimeoutMs: 4000 };

export function abuseKinds(limits: AbuseLimits): AbuseKind[] {
  const bomb = { category: 'memory bomb' as const, timeoutMs: limits.bombTimeoutMs, memoryMb: limits.bombMemoryMb, expected: 'MEMORY_LIMIT' as const };
  const loop = { timeoutMs: limits.loopTimeoutMs, memoryMb: 128, expected: 'TIMEOUT' as const };
  return [
    {
      ...bomb,
      id: 'bomb-arrays',
      label: 'arrays of 60M numbers, pushed forever',
      source: 'export default function () {\n  const a = [];\n  for (;;) a.push(new Array(60_000_000).fill(0));\n}\n',
    },
    {
      ...bomb,
      id: 'bomb-string',
      label: "a 256 MiB string ('x'.repeat(2 ** 28)), searched",
      source: "export default function () {\n  const s = 'x'.repeat(2 ** 28);\n  return s.indexOf('y');\n}\n",
    },
    {
      ...bomb,
      id: 'bomb-buffers',
      // Filled, so that their pages are resident: an untouched buffer is lazily zeroed memory.
      label: '64 MiB ArrayBuffers, each filled and kept alive, forever',
      source:
        'export default function () {\n  const kept = [];\n  for (;;) {\n    const buffer = new ArrayBuffer(64 * 1024 * 1024);\n    new Uint8Array(buffer).fill(1);\n    kept.push(buffer);\n  }\n}\n',
    },
    {
      ...bomb,
      id: 'bomb-copy',
      label: 'a 100 MiB ArrayBuffer copied element by element into an Array (aborted V8)',
      source:
        'export default function () {\n  const bytes = new Uint8Array(new ArrayBuffer(100 * 1024 * 1024));\n  const copy = [];\n  for (let i = 0; i < bytes.length; i++) copy.push(bytes[i]);\n  return copy.length;\n}\n',
    },
    { ...loop, id: 'loop', category: 'infinite loop', label: 'for (;;) {}', source: 'export default function () {\n  for (;;) {}\n}\n' },
    {
      id: 'sleeper',
      category: 'sleeper',
      label: 'awaits a one-hour timer',
      timeoutMs: limits.sleeperTimeoutMs,
      memoryMb: 128,
      expected: 'TIMEOUT',
      source: 'export default async function () {\n  await new Promise((resolve) => setTimeout(resolve, 3_600_000));\n  return "woke";\n}\n',
    },
    {
      ...loop,
      id: 'microtask-await',
      category: 'microtask storm',
      label: 'for (;;) await null',
      source: 'export default async function () {\n  for (;;) await null;\n}\n',
    },
    {
      ...loop,
      id: 'microtask-queue',
      category: 'microtask storm',
      label: 'a queueMicrotask chain that requeues itself',
      source: 'export default async function () {\n  const again = () => queueMicrotask(again);\n  again();\n  await new Promise(() => {});\n}\n',
    },
    {
      ...loop,
      id: 'console-flood',
      category: 'console flood',
      label: 'console.log of 200 characters, forever',
      source: "export default function () {\n  const line = 'x'.repeat(200);\n  for (let i = 0; ; i++) console.log('flood', i, line);\n}\n",
    },
  ];
}

/** One tenant per category; the memory bomber takes every kind of bomb in turn. */
export function abusiveTenants(kinds: AbuseKind[]): AbusiveTenant[] {
  const of = (category: AbuseCategory) => kinds.filter((kind) => kind.category === category);
  return [
    { name: 'bomber', kinds: of('memory bomb') },
    { name: 'looper', kinds: of('infinite loop') },
    { name: 'sleeper', kinds: of('sleeper') },
    { name: 'microtasker', kinds: of('microtask storm') },
    { name: 'flooder', kinds: of('console flood') },
  ];
}
