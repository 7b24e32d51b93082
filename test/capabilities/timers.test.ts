// setTimeout and setInterval (ext/timers): the host keeps the clock, timers due together run in
// order, none outlives its execution, and their number is bounded.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { failed, makeEngine, moduleOf, run, succeeded } from '../support/engine.ts';

const engine = makeEngine();
after(() => engine.drain());

describe('timers', () => {
  const activeTimeouts = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

  test('never outlive the execution, however it ends', async () => {
    const baseline = activeTimeouts();
    // Limits with room for a busy machine, but for the ending that is about time.
    const endings: Array<[string, string, number]> = [
      ['success', 'setTimeout(() => console.log("late"), 60_000); setInterval(() => {}, 5); return 1;', 30_000],
      ['error', 'setTimeout(() => {}, 60_000); throw new Error("ends");', 30_000],
      ['timeout', 'setTimeout(() => {}, 60_000); setInterval(() => {}, 1); for (;;) {}', 200],
    ];
    for (const [ending, body, timeoutMs] of endings) {
      const result = await run(engine, moduleOf(body, { async: false }), { timeoutMs });
      assert.equal(result.status === 'success' ? 'success' : result.error?.code === 'TIMEOUT' ? 'timeout' : 'error', ending);
      assert.equal(activeTimeouts(), baseline, `a host timer outlived an execution that ended in ${ending}`);
    }
  });

  test('timers that come due together keep their order, their promise jobs and their cancellations', async () => {
    const result = await run(
      engine,
      moduleOf(`
        const order = [];
        setTimeout(() => { order.push('a'); Promise.resolve().then(() => order.push('a: promise job')); }, 5);
        setTimeout(() => { order.push('b'); clearTimeout(c); }, 5);
        const c = setTimeout(() => order.push('c: cleared, must not run'), 5);
        setTimeout((x, y) => order.push('d ' + x + y), 5, 'with', 'args');
        let ticks = 0;
        const interval = setInterval(() => { if (++ticks === 3) clearInterval(interval); }, 1);
        await new Promise((resolve) => setTimeout(resolve, 60));
        return { order, ticks };
      `),
    );
    assert.deepEqual(succeeded(result), { order: ['a', 'a: promise job', 'b', 'd withargs'], ticks: 3 });
  });

  test('an uncaught error in a timer callback ends the execution', async () => {
    const result = await run(engine, moduleOf('await new Promise(() => setTimeout(() => { throw new RangeError("in a timer"); }, 5));'));
    assert.match(failed(result, 'RUNTIME_ERROR').message, /RangeError: in a timer/);
  });

  test('at most 1,000 timers at once; cleared ones free their place', async () => {
    const result = await run(
      engine,
      moduleOf(`
        const ids = [];
        for (let i = 0; i < 1000; i++) ids.push(setTimeout(() => {}, 60_000));
        let refused;
        try { setTimeout(() => {}, 1); } catch (e) { refused = e.name + ': ' + e.message; }
        clearTimeout(ids[0]);
        setTimeout(() => {}, 1);
        return refused;
      `, { async: false }),
    );
    assert.equal(succeeded(result), 'RangeError: too many active timers (limit 1000)');
  });
});
