// A function's env (src/core/env.ts): plain strings by name, read as context.env, a frozen
// plain copy inside the isolate; anything malformed is a VALIDATION_ERROR naming the entry.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { checkedEnv } from '../../src/core/env.ts';
import { failed, makeEngine, run, succeeded } from '../support/engine.ts';

describe('env', () => {
  const engine = makeEngine();
  after(() => engine.close());

  test('the guest reads a frozen copy as context.env, in modules and scripts alike', async () => {
    const env = { API_BASE: 'https://api.example.com', RETRIES: '3' };
    const module = await run(engine, 'export default (params, context) => ({ env: context.env, frozen: Object.isFrozen(context.env) })', { env });
    assert.deepEqual(succeeded(module), { env, frozen: true });
    const script = await run(engine, 'function main(params, context) { return executionContext.env.RETRIES + context.env.API_BASE; }', { env });
    assert.equal(succeeded(script), '3https://api.example.com');
  });

  test('a getter in the caller\'s env runs once, on the host, and the guest gets a plain value', async () => {
    let reads = 0;
    const env = Object.defineProperty({}, 'A', { enumerable: true, get: () => `read ${++reads}` });
    assert.deepEqual(succeeded(await run(engine, 'export default (p, c) => [c.env.A, c.env.A]', { env })), ['read 1', 'read 1']);
  });

  test('a malformed env is a VALIDATION_ERROR that names the entry, and nothing runs', async () => {
    const refusals: Array<[unknown, RegExp]> = [
      [['A'], /env must be an object of string values by name/],
      [{ '1ST': 'x' }, /env name "1ST" must be letters, digits and _, not starting with a digit/],
      [{ A: 7 }, /env\.A must be a string/],
      [{ A: 'a\0b' }, /env\.A must not contain NUL/],
      [{ A: 'é'.repeat(3000) }, /env\.A is 6000 bytes, over the limit of 5120/],
      [Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`V${i}`, 'x'.repeat(5000)])), /env is 35014 bytes in all, over the limit of 32768/],
    ];
    for (const [env, message] of refusals) {
      const result = await run(engine, 'export default () => { console.log("ran"); return 1; }', { env: env as Record<string, string> });
      const error = failed(result, 'VALIDATION_ERROR');
      assert.match(error.message, message);
      assert.deepEqual(result.logs, []);
    }
    assert.deepEqual(checkedEnv(undefined), {});
  });
});
