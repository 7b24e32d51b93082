// Deterministic executions: the same execution id and start time give the same answers from
// Math.random, crypto's random values and UUIDs and the clock; fetch is refused; the wrappers
// are frozen like every built-in; outside the mode everything is as before. replayResult
// re-runs a receipt's execution and compares its result.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { replayResult } from '../../src/attestation/replay.ts';
import { SigningKey } from '../../src/attestation/keys.ts';
import { signResult } from '../../src/attestation/receipt.ts';
import { verifyResult } from '../../src/attestation/verify.ts';
import { makeEngine, moduleOf, run, succeeded } from '../support/engine.ts';

const engine = makeEngine();
after(() => engine.close());

const probe = moduleOf(`
  const t0 = Date.now();
  const d = new Date();
  const t2 = Date.now();
  return {
    random: [Math.random(), Math.random(), Math.random()],
    clock: [t0, d.getTime(), t2, typeof Date(), new Date(0).getTime(), Date.UTC(2000, 0, 1), Date.parse('2000-01-01T00:00:00Z')],
    shape: [d instanceof Date, Date.prototype.constructor === Date, Date.name, Date.length, Object.getPrototypeOf(d) === Date.prototype],
    uuid: crypto.randomUUID(),
    bytes: crypto.randomBytes(8),
    values: Array.from(crypto.getRandomValues(new Uint32Array(2))),
    context: context.startTime,
  };
`);
const start = '2026-03-04T05:06:07.089Z';
const startMs = Date.parse(start);

describe('deterministic executions', () => {
  test('the same execution id and start time answer the same, down to the clock', async () => {
    const request = { deterministic: true, executionId: 'exec-1', startedAt: start };
    const [first, second] = await Promise.all([run(engine, probe, request), run(engine, probe, request)]);
    const value = succeeded(first) as Record<string, any>;
    assert.deepEqual(succeeded(second), value);
    assert.equal(first.startedAt, start);
    assert.deepEqual(value.clock, [startMs, startMs + 1, startMs + 2, 'string', 0, 946684800000, 946684800000]);
    assert.deepEqual(value.shape, [true, true, 'Date', 7, true]);
    assert.equal(value.context, startMs);
    assert.match(value.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (const number of value.random) assert.ok(number >= 0 && number < 1);
    assert.equal(first.receipt!.claims.deterministic, true);
  });

  test('another execution id gives other random values; the start time moves the clock only', async () => {
    const a = succeeded(await run(engine, probe, { deterministic: true, executionId: 'exec-1', startedAt: start })) as Record<string, any>;
    const b = succeeded(await run(engine, probe, { deterministic: true, executionId: 'exec-2', startedAt: start })) as Record<string, any>;
    const c = succeeded(await run(engine, probe, { deterministic: true, executionId: 'exec-1', startedAt: '2030-01-01T00:00:00.000Z' })) as Record<string, any>;
    assert.notDeepEqual(b.random, a.random);
    assert.notEqual(b.uuid, a.uuid);
    assert.deepEqual(c.random, a.random);
    assert.equal(c.clock[0], Date.parse('2030-01-01T00:00:00.000Z'));
  });

  test('without the mode, randomness and the clock are the system\'s', async () => {
    const before = Date.now();
    const a = succeeded(await run(engine, probe, { executionId: 'exec-1' })) as Record<string, any>;
    const b = succeeded(await run(engine, probe, { executionId: 'exec-1' })) as Record<string, any>;
    assert.notDeepEqual(a.random, b.random);
    assert.ok(a.clock[0] >= before && a.clock[0] <= Date.now());
    assert.deepEqual(a.shape, [true, true, 'Date', 7, true]);
  });

  test('fetch is refused; the wrappers are frozen like every built-in', async () => {
    const fetched = succeeded(await run(engine, moduleOf("try { await fetch('https://example.com/'); return 'fetched'; } catch (error) { return String(error); }"), { deterministic: true }));
    assert.equal(fetched, 'TypeError: fetch is refused in a deterministic execution');
    const frozen = succeeded(
      await run(
        engine,
        moduleOf(`
          const tries = [() => { Math.random = () => 0; }, () => { Date.now = () => 0; }, () => { Date.prototype.getTime = () => 0; }, () => { globalThis.Date.foo = 1; }];
          return [Object.isFrozen(Math), Object.isFrozen(Date), Object.isFrozen(Date.prototype), ...tries.map((t) => { try { t(); return 'changed'; } catch (e) { return e.name; } })];
        `),
        { deterministic: true },
      ),
    );
    assert.deepEqual(frozen, [true, true, true, 'TypeError', 'TypeError', 'TypeError', 'TypeError']);
  });

  test('startedAt is refused outside the mode and when it is not a date', async () => {
    const outside = await run(engine, probe, { startedAt: start });
    assert.equal(outside.error?.code, 'VALIDATION_ERROR');
    assert.match(outside.error!.message, /only for a deterministic execution/);
    const bad = await run(engine, probe, { deterministic: true, startedAt: 'yesterday' });
    assert.equal(bad.error?.code, 'VALIDATION_ERROR');
    const flag = await run(engine, probe, { deterministic: 'yes' as never });
    assert.equal(flag.error?.code, 'VALIDATION_ERROR');
  });
});

describe('replayResult', () => {
  const source = moduleOf("await new Promise((r) => setTimeout(r, 2)); return { pick: Math.floor(Math.random() * 1000), at: Date.now(), key: secrets.get('api-key') + crypto.randomUUID() };");

  test('a deterministic execution replays to the same result; other inputs or results are refused', { timeout: 240_000 }, async () => {
    const original = await run(engine, source, { deterministic: true, params: { a: 1 } });
    succeeded(original);
    const json = JSON.parse(JSON.stringify(original));
    const replayed = await replayResult(json, { source, params: { a: 1 }, secrets: { 'api-key': 'key-of-user-1' } });
    assert.deepEqual(replayed.failures, []);
    assert.deepEqual(replayed.replayed?.result, original.result);

    // A result changed and signed again (by whoever holds a key) does not replay.
    const forged = signResult({ ...json, result: { ...json.result, pick: (json.result.pick + 1) % 1000 } }, { source, params: { a: 1 }, limits: json.receipt.claims.limits, deterministic: true }, SigningKey.generate());
    assert.deepEqual(verifyResult(forged).failures, []);
    assert.deepEqual((await replayResult(forged, { source, params: { a: 1 }, secrets: { 'api-key': 'key-of-user-1' } })).failures, ["replay: the replayed result does not hash to the receipt's resultSha256"]);

    const wrongInputs = await replayResult(json, { source: `${source}\n`, params: { a: 2 } });
    assert.deepEqual(wrongInputs.failures, ['replay: the source given is not the one that ran', 'replay: the params given are not the ones the function got']);
    assert.equal(wrongInputs.replayed, null, 'nothing runs for other inputs');
  });

  test('a non-deterministic execution or a result without a receipt is refused without running', async () => {
    const plain = await run(engine, source, { params: { a: 1 } });
    assert.deepEqual((await replayResult(plain, { source, params: { a: 1 } })).failures, ['replay: the execution did not run deterministically, so its result cannot be reproduced']);
    assert.deepEqual((await replayResult({ status: 'success' }, { source, params: {} })).failures, ['replay: the result carries no receipt claims']);
    assert.deepEqual((await replayResult(null, { source, params: {} })).failures, ['replay: the result carries no receipt claims']);
  });
});
