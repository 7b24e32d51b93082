// The warm pool sizes itself to the load: it grows when executions find it empty and shrinks
// back toward its minimum when it stays idle.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine, WarmPool } from '../../src/core/index.ts';

const until = async (condition: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!condition() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
};

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
    await until(() => pool.stats().ready === 4);
    assert.equal(pool.stats().ready, 4);
    // Idle: the target shrinks one step per idle period down to the minimum.
    await until(() => pool.stats().target === 1 && pool.stats().ready === 1);
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
