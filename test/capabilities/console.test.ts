// console in the guest (ext/console): how values are formatted, every level, and the bounds on
// what an execution keeps (entries, bytes), with a visible marker past them.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { makeEngine, moduleOf, run, succeeded } from '../support/engine.ts';

const engine = makeEngine();
after(() => engine.drain());

describe('logs', () => {
  test('every level, in order, with times inside the execution', async () => {
    const result = await run(
      engine,
      moduleOf(`
        console.log('plain', 1, true, null, undefined);
        console.info({ a: [1, 2], nested: { deep: { deeper: { deepest: {} } } } });
        console.warn('quoted inside:', ['x', "y"]);
        console.error(new RangeError('logged error'));
        console.debug(10n, Symbol('s'), function named() {}, () => {});
        return 'logged';
      `),
    );
    assert.equal(succeeded(result), 'logged');
    assert.deepEqual(
      result.logs.map((entry) => entry.level),
      ['log', 'info', 'warn', 'error', 'debug'],
    );
    const [plain, info, warn, error, debug] = result.logs.map((entry) => entry.message);
    assert.equal(plain, 'plain 1 true null undefined');
    assert.equal(info, '{ a: [ 1, 2 ], nested: { deep: { deeper: { deepest: [Object] } } } }');
    assert.equal(warn, 'quoted inside: [ "x", "y" ]');
    assert.match(error!, /^RangeError: logged error\n    at default \(function\.mjs:6:23\)/);
    assert.equal(debug, '10n Symbol(s) [Function named] [Function (anonymous)]');
    const start = Date.parse(result.startedAt);
    const end = Date.parse(result.finishedAt);
    for (const entry of result.logs) assert.ok(entry.time >= start && entry.time <= end, `log time ${entry.time}`);
  });
});

describe('console output', () => {
  test('keeps 1,000 entries, then a visible truncation marker', async () => {
    const result = await run(engine, moduleOf('for (let i = 0; i < 1500; i++) console.log("line", i); return "done";'));
    assert.equal(succeeded(result), 'done');
    assert.equal(result.logs.length, 1001);
    assert.equal(result.logs[999]!.message, 'line 999');
    const marker = result.logs[1000]!;
    assert.equal(marker.level, 'warn');
    assert.match(marker.message, /truncated: 500 more entries dropped/);
  });

  test('keeps 1 MB of text, then a visible truncation marker', async () => {
    const result = await run(engine, moduleOf('for (let i = 0; i < 3; i++) console.log("x".repeat(400 * 1024)); console.log("small"); return 1;'));
    succeeded(result);
    assert.equal(result.logs.length, 3);
    assert.equal(result.logs[0]!.message.length, 400 * 1024);
    assert.equal(result.logs[1]!.message.length, 400 * 1024);
    assert.match(result.logs[2]!.message, /console output truncated: 2 more entries dropped/);
  });

  test('the bounds are the engine\'s to choose', async () => {
    const small = makeEngine({ limits: { maxLogEntries: 3 } });
    const result = await run(small, moduleOf('for (let i = 0; i < 10; i++) console.info(i); return 1;'));
    assert.deepEqual(
      result.logs.map((entry) => entry.message),
      ['0', '1', '2', '[teejs: console output truncated: 7 more entries dropped (limits: 3 entries, 1048576 bytes)]'],
    );
    await small.drain();
  });
});
