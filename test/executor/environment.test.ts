// What an executor process starts with: an environment holding only the allocator setting the
// pool chooses (nothing of the host's, even where the host sets the same variable), and the V8
// flag for its own heap.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { ExecutorPool } from '../../src/executor/index.ts';
import { executorEnvironment, executorV8Flags } from '../../src/executor/executor-process.ts';

let pool: ExecutorPool;

before(async () => {
  process.env.TEEJS_TEST_ENV_CANARY = 'host-only-value';
  // The host's own value of the same variable must not be what an executor gets.
  process.env.MALLOC_ARENA_MAX = '7';
  pool = await ExecutorPool.start({ processes: 1, warm: false, log: () => {} });
});

after(async () => {
  await pool.close();
  delete process.env.TEEJS_TEST_ENV_CANARY;
  delete process.env.MALLOC_ARENA_MAX;
});

/** An executor's environment, less the IPC variables Node's fork() adds for its own channel. */
function environmentOf(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .filter(Boolean)
    .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)] as const);
  return Object.fromEntries(entries.filter(([name]) => !name.startsWith('NODE_CHANNEL_')));
}

test('an executor gets exactly MALLOC_ARENA_MAX=2 and nothing from the host environment', () => {
  assert.deepEqual({ ...executorEnvironment }, { MALLOC_ARENA_MAX: '2' });
  const [executor] = pool.stats().executors;
  assert.ok(executor?.pid);
  assert.deepEqual(environmentOf(executor.pid), { MALLOC_ARENA_MAX: '2' });
});

test("an executor's own heap is started with a small young generation", () => {
  const [executor] = pool.stats().executors;
  const cmdline = readFileSync(`/proc/${executor!.pid}/cmdline`, 'utf8').split('\0');
  assert.deepEqual([...executorV8Flags], ['--max-semi-space-size=2']);
  for (const flag of executorV8Flags) assert.ok(cmdline.includes(flag), `${flag} is on the command line`);
});

test('guests still run, and still get the memory they ask for', async () => {
  // 100 arrays of 65,536 doubles, about 50 MB held at once, within a 128 MB limit: the executor's
  // young-generation flag does not reach the guest isolates (isolated-vm sets their heap sizes).
  const result = await pool.execute({
    source: `export default function () {
      const blocks = [];
      for (let i = 0; i < 100; i++) blocks.push(new Float64Array(65536).fill(i));
      return blocks.reduce((sum, block) => sum + block[0], 0);
    }`,
    memoryMb: 128,
  });
  assert.equal(result.status, 'success', JSON.stringify(result.error));
  assert.equal(result.result, 4950);
  const tooMuch = await pool.execute({
    source: `export default function () { const blocks = []; for (;;) blocks.push(new Array(1e5).fill({})); }`,
    memoryMb: 16,
    timeoutMs: 20_000,
  });
  assert.equal(tooMuch.error?.code, 'MEMORY_LIMIT', JSON.stringify(tooMuch.error));
});
