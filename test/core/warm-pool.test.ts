// The warm pool (src/core/warm-pool.ts): a sandbox from it and one made cold behave alike (the
// guest cannot tell), and it sizes itself to the load: it grows when executions find it empty and
// shrinks back toward its minimum when it stays idle.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine, InMemorySecretStore, WarmPool, type ExecutionResult } from '../../src/core/index.ts';
import { until } from '../support/wait.ts';

const probes: Record<string, string> = {
  globals: `export default () => Object.getOwnPropertyNames(globalThis).sort()`,
  frozen: `export default () => [Object, Array, Promise, Function, Error, JSON, Math, console, crypto, secrets]
    .map((o) => Object.isFrozen(o) && (typeof o !== 'function' || Object.isFrozen(o.prototype)))`,
  codegen: `export default () => { try { return eval('1') } catch (e) { return e.name + ': ' + e.message } }`,
  implicitGlobal: `function main() { leaked = (typeof leaked === 'undefined' ? 0 : leaked) + 1; return leaked; }`,
  overrideTaming: `export default () => { const o = {}; o.toString = () => 'mine'; return String(o); }`,
  context: `export default (params, context) => ({ keys: Object.keys(context).sort(), frozen: Object.isFrozen(context), params })`,
  secret: `export default () => secrets.get('token')`,
  timer: `export default () => new Promise((resolve) => setTimeout(() => resolve('tick'), 5))`,
  stack: `export default () => { try { null.x } catch (e) { return e.stack.split('\\n').slice(0, 2) } }`,
};

function comparable(result: ExecutionResult) {
  return { status: result.status, result: result.result, error: result.error, logs: result.logs.map((l) => l.message) };
}

test('executions from the warm pool and from cold sandboxes are indistinguishable to the guest', async () => {
  const secrets = new InMemorySecretStore({ u: { token: 't' } });
  const cold = new Engine({ secrets });
  const warm = new Engine({ secrets, pool: { size: 3 } });
  await warm.warm();
  try {
    for (const [name, source] of Object.entries(probes)) {
      const request = { source, userId: 'u', functionId: 'f', params: { a: [1, { b: null }] }, filename: 'probe.js' };
      const fromCold = await cold.execute(request);
      // Refilled before each probe, so that every warm execution takes a pooled sandbox. Waits for
      // a ready sandbox itself: warm() gives up after 10 s, which a busy machine can exceed.
      await until('the warm pool holds a ready sandbox', () => warm.poolStats()!.ready > 0, { timeoutMs: 90_000 });
      const fromWarm = await warm.execute(request);
      assert.equal(fromCold.status, 'success', `${name}: ${JSON.stringify(fromCold.error)}`);
      assert.deepEqual(comparable(fromWarm), comparable(fromCold), name);
    }
    const stats = warm.poolStats()!;
    assert.equal(stats.hits, Object.keys(probes).length, `the warm engine used pooled sandboxes (${JSON.stringify(stats)})`);
  } finally {
    await Promise.all([cold.close(), warm.close()]);
  }
});

test('each pooled sandbox serves exactly one execution', async () => {
  const engine = new Engine({ pool: { size: 2 } });
  await engine.warm();
  try {
    const source = `function main() { counter = (typeof counter === 'undefined' ? 0 : counter) + 1; return counter; }`;
    const results = await Promise.all(Array.from({ length: 10 }, () => engine.execute({ source })));
    assert.deepEqual(
      results.map((result) => result.result),
      Array(10).fill(1),
    );
  } finally {
    await engine.close();
  }
});

test('grows on misses, up to its maximum, and shrinks to its minimum when idle', async () => {
  const { capabilities } = new Engine();
  const pool = new WarmPool(capabilities, { memoryMb: 64, min: 1, max: 4, idleShrinkMs: 200 });
  try {
    await pool.warm();
    assert.equal(pool.stats().ready, 1);
    // A burst larger than the stock: every acquisition past the first is a miss.
    const burst = await Promise.all(Array.from({ length: 6 }, () => pool.acquire(64)));
    for (const sandbox of burst) sandbox.dispose();
    const grown = pool.stats();
    assert.ok(grown.misses >= 5, JSON.stringify(grown));
    assert.equal(grown.target, 4, 'the target grew to the maximum');
    await until('the pool refilled to its maximum', () => pool.stats().ready === 4);
    assert.equal(pool.stats().ready, 4);
    // Idle: the target shrinks one step per idle period down to the minimum.
    await until('the idle pool shrank to its minimum', () => pool.stats().target === 1 && pool.stats().ready === 1);
    assert.deepEqual([pool.stats().target, pool.stats().ready], [1, 1]);
  } finally {
    pool.close();
  }
});

test('a request for another memory limit gets a cold sandbox and leaves the stock alone', async () => {
  const { capabilities } = new Engine();
  const pool = new WarmPool(capabilities, { memoryMb: 64, min: 2, max: 2 });
  try {
    await pool.warm();
    const other = await pool.acquire(32);
    assert.equal(other.memoryMb, 32);
    other.dispose();
    assert.equal(pool.stats().ready, 2);
    assert.equal(pool.stats().hits + pool.stats().misses, 0);
  } finally {
    pool.close();
  }
});
