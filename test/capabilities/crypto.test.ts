// crypto in the guest (ext/crypto): sha256, randomBytes, randomUUID and getRandomValues, computed
// by Node's crypto on the host. The guest refuses what the host would refuse (the capability's
// declared limits) before anything is copied out of the isolate.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { cryptoCapability } from '../../src/core/ext/crypto/index.ts';
import { makeEngine, moduleOf, run, succeeded } from '../support/engine.ts';

const engine = makeEngine();
after(() => engine.drain());
const { maxRandomBytes, maxRandomValuesBytes } = cryptoCapability.limits;

/** The outcome of each body: its value, or the name and message it threw. */
async function outcomes(bodies: string[]): Promise<unknown[]> {
  const result = await run(
    engine,
    moduleOf(`return [${bodies.map((body) => `(() => { try { return ${body}; } catch (e) { return e.name + ': ' + e.message; } })()`).join(', ')}];`, { async: false }),
  );
  return succeeded(result) as unknown[];
}

describe('crypto', () => {
  test('sha256 hashes the UTF-8 bytes of a string, as Node does', async () => {
    const inputs = ['', 'abc', 'héllo wörld ✓', 'x'.repeat(10_000)];
    assert.deepEqual(
      await outcomes(inputs.map((input) => `crypto.sha256(${JSON.stringify(input)})`)),
      inputs.map((input) => createHash('sha256').update(input, 'utf8').digest('hex')),
    );
    assert.deepEqual(await outcomes(['crypto.sha256(42)']), ['TypeError: crypto.sha256(data): data must be a string']);
  });

  test('randomBytes gives base64 of 1 to the declared limit of bytes, and refuses the rest', async () => {
    const [one, most, zero, over, fraction] = await outcomes([
      'crypto.randomBytes(1)',
      `crypto.randomBytes(${maxRandomBytes})`,
      'crypto.randomBytes(0)',
      `crypto.randomBytes(${maxRandomBytes + 1})`,
      'crypto.randomBytes(1.5)',
    ]);
    assert.equal(Buffer.from(one as string, 'base64').length, 1);
    assert.equal(Buffer.from(most as string, 'base64').length, maxRandomBytes);
    const refusal = `RangeError: crypto.randomBytes(n): n must be an integer from 1 to ${maxRandomBytes}`;
    assert.deepEqual([zero, over, fraction], [refusal, refusal, refusal]);
  });

  test('randomUUID gives distinct version 4 UUIDs', async () => {
    const uuids = (await outcomes(['crypto.randomUUID()', 'crypto.randomUUID()'])) as string[];
    for (const uuid of uuids) assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(uuids[0], uuids[1]);
  });

  test('getRandomValues fills integer typed arrays in place, up to the declared limit', async () => {
    const [filled, same, empty, over, floats] = await outcomes([
      'Array.from(crypto.getRandomValues(new Uint32Array(64))).some((n) => n !== 0)',
      '(() => { const a = new Uint8Array(8); return crypto.getRandomValues(a) === a; })()',
      'crypto.getRandomValues(new Uint8Array(0)).length',
      `crypto.getRandomValues(new Uint8Array(${maxRandomValuesBytes + 1}))`,
      'crypto.getRandomValues(new Float64Array(2))',
    ]);
    assert.deepEqual([filled, same, empty], [true, true, 0]);
    assert.equal(over, `RangeError: crypto.getRandomValues: ${maxRandomValuesBytes + 1} bytes requested, the limit is ${maxRandomValuesBytes}`);
    assert.equal(floats, 'TypeError: crypto.getRandomValues: argument must be an integer-typed array');
  });
});
