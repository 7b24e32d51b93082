// The ExecutionResult model: error codes with positions and guest stacks, the context a function
// sees, measurements, and both forms of source (ES module and classic script with main()). Logs
// are console's (test/capabilities/console.test.ts), SECRET_NOT_FOUND secrets' (secrets.test.ts).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { failed, makeEngine, moduleOf, run, succeeded } from '../support/engine.ts';
import { projectRoot } from '../support/spawn.ts';

const engine = makeEngine();
after(() => engine.drain());

/** A stack a user may see: the guest's own frames, no runtime internals, nothing of the host. */
function assertGuestOnlyStack(stack: string | undefined, filename: string): string[] {
  assert.ok(stack, 'a stack is reported');
  assert.ok(!stack.includes(projectRoot), stack);
  assert.doesNotMatch(stack, /teejs:internal|file:\/\/|node:|isolated-vm|\.ts:/);
  const frames = stack.split('\n').slice(1);
  assert.ok(frames.length > 0, 'at least one frame');
  for (const frame of frames) assert.match(frame, new RegExp(`^    at .*${filename.replace('.', '\\.')}:\\d+:\\d+\\)?$`), frame);
  return frames;
}

describe('SYNTAX_ERROR', () => {
  test('reports the line and column in a module', async () => {
    const error = failed(await run(engine, 'export default function () {\n  return 1;\n  foo(;\n}\n'), 'SYNTAX_ERROR');
    assert.equal(error.line, 3);
    assert.equal(error.column, 7);
    assert.match(error.message, /^SyntaxError: .*\(function\.mjs:3:7\)$/);
  });

  test('reports the line and column in a script, as the user wrote it', async () => {
    const first = failed(await run(engine, 'function main() { return 1 +; }'), 'SYNTAX_ERROR');
    assert.deepEqual([first.line, first.column], [1, 29]);
    const later = failed(await run(engine, '// comment\n\nfunction main() {\n  return [1, 2;\n}\n', { filename: 'price.js' }), 'SYNTAX_ERROR');
    assert.equal(later.line, 4);
    assert.match(later.message, /\(price\.js:4:\d+\)$/);
  });

  test('sloppy-only syntax is a syntax error: scripts run as strict code', async () => {
    failed(await run(engine, 'function main() { with (Math) { return max(1, 2); } }'), 'SYNTAX_ERROR');
    failed(await run(engine, 'function main() { return 010; }'), 'SYNTAX_ERROR');
  });
});

describe('RUNTIME_ERROR', () => {
  test("carries the guest's own stack, in the guest's line numbers, in a module", async () => {
    const source = [
      'function inner(n) {',
      '  if (n > 1) return inner(n - 1);',
      "  throw new TypeError('deep failure');",
      '}',
      'export default function entry() {',
      '  return inner(3);',
      '}',
    ].join('\n');
    const error = failed(await run(engine, source, { filename: 'orders.mjs' }), 'RUNTIME_ERROR');
    assert.equal(error.message, 'TypeError: deep failure');
    const frames = assertGuestOnlyStack(error.stack, 'orders.mjs');
    assert.match(frames[0]!, /at inner \(orders\.mjs:3:9\)/);
    assert.match(frames.at(-1)!, /at entry \(orders\.mjs:6:10\)/);
    assert.ok(error.stack!.startsWith('TypeError: deep failure\n'));
  });

  test('carries the guest stack in a script, lines counted from the first line of the file', async () => {
    const source = ['// line 1', 'function helper() {', "  null.property; // line 3", '}', 'function main() {', '  helper();', '}'].join('\n');
    const error = failed(await run(engine, source), 'RUNTIME_ERROR');
    assert.match(error.message, /^TypeError: Cannot read properties of null/);
    const frames = assertGuestOnlyStack(error.stack, 'function.js');
    assert.match(frames[0]!, /at helper \(function\.js:3:8\)/);
    assert.match(frames[1]!, /at main \(function\.js:6:3\)/);
  });

  test('shows only the base name of a given filename', async () => {
    const error = failed(await run(engine, moduleOf("throw new Error('x');"), { filename: '/home/someone/project/src/secret-dir/job.mjs' }), 'RUNTIME_ERROR');
    assert.doesNotMatch(error.stack!, /someone|secret-dir/);
    assertGuestOnlyStack(error.stack, 'job.mjs');
  });

  test('a throw at the top level of a module or a script', async () => {
    const moduleError = failed(await run(engine, "const x = 1;\nthrow new RangeError('at the top');\nexport default () => x;"), 'RUNTIME_ERROR');
    assert.equal(moduleError.message, 'RangeError: at the top');
    assert.match(assertGuestOnlyStack(moduleError.stack, 'function.mjs')[0]!, /function\.mjs:2:7/);
    const scriptError = failed(await run(engine, "const x = 1;\n\nthrow new RangeError('at the top');\nfunction main() {}"), 'RUNTIME_ERROR');
    assert.equal(scriptError.message, 'RangeError: at the top');
    assert.match(assertGuestOnlyStack(scriptError.stack, 'function.js')[0]!, /function\.js:3:7/);
    const afterAwait = failed(await run(engine, "await null;\nthrow new Error('after await');\nexport default () => 1;"), 'RUNTIME_ERROR');
    assert.equal(afterAwait.message, 'Error: after await');
  });

  test('values that are not Errors, thrown or rejected', async () => {
    const cases: Array<[string, RegExp]> = [
      ["throw 'a plain string';", /^Error: Uncaught a plain string$/],
      ['throw 42;', /^Error: Uncaught 42$/],
      ['throw null;', /^Error: Uncaught null$/],
      ['throw undefined;', /^Error: Uncaught undefined$/],
      ["throw { reason: 'object' };", /^Error: Uncaught \{"reason":"object"\}$/],
      ['return Promise.reject([1, 2]);', /^Error: Uncaught \[1,2\]$/],
      ["return Promise.reject(new URIError('rejected'));", /^URIError: rejected$/],
      ["throw Object.assign(Object.create(Error.prototype), { message: 'hand-made' });", /^Error: hand-made$/],
    ];
    for (const [body, message] of cases) assert.match(failed(await run(engine, moduleOf(body)), 'RUNTIME_ERROR').message, message, body);
    const topLevel = failed(await run(engine, "throw 'top-level string';\nexport default () => 1;"), 'RUNTIME_ERROR');
    assert.match(topLevel.message, /top-level string/);
    const symbol = failed(await run(engine, "throw Symbol('s');\nexport default () => 1;"), 'RUNTIME_ERROR');
    assert.doesNotMatch(symbol.message, /isolated-vm/);
  });
});

describe('identity and context', () => {
  test('executionId is unique per run and is the one the function sees', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const result = await run(engine, moduleOf('return [context.executionId, executionContext.executionId];', { async: false }));
      const [fromContext, fromGlobal] = succeeded(result) as [string, string];
      assert.equal(fromContext, result.executionId);
      assert.equal(fromGlobal, result.executionId);
      assert.match(result.executionId, /^[0-9a-f-]{36}$/);
      ids.add(result.executionId);
    }
    assert.equal(ids.size, 20);
    const chosen = await run(engine, moduleOf('return context.executionId;'), { executionId: 'caller-chosen-id' });
    assert.equal(chosen.executionId, 'caller-chosen-id');
    assert.equal(succeeded(chosen), 'caller-chosen-id');
  });

  test('the context is frozen and complete', async () => {
    const result = await run(
      engine,
      moduleOf(`
        let write;
        try { context.userId = 'admin'; write = 'changed'; } catch (e) { write = e.name; }
        return {
          same: context === executionContext,
          frozen: Object.isFrozen(context),
          write,
          keys: Object.keys(context).sort(),
          context,
        };
      `),
      { userId: 'user-1', functionId: 'fn-ctx' },
    );
    const value = succeeded(result) as { same: boolean; frozen: boolean; write: string; keys: string[]; context: Record<string, unknown> };
    assert.deepEqual([value.same, value.frozen, value.write], [true, true, 'TypeError']);
    assert.deepEqual(value.keys, ['env', 'executionId', 'functionId', 'startTime', 'userId']);
    assert.deepEqual(value.context.env, {}, 'no env given: an empty one');
    assert.equal(value.context.userId, 'user-1');
    assert.equal(value.context.functionId, 'fn-ctx');
    assert.equal(value.context.startTime, Date.parse(result.startedAt));
    assert.equal(result.userId, 'user-1');
    assert.equal(result.functionId, 'fn-ctx');
  });

  test('ids default to "anonymous" and are always strings', async () => {
    const anonymous = await engine.execute({ source: moduleOf('return [context.userId, context.functionId];') });
    assert.deepEqual(succeeded(anonymous), ['anonymous', 'anonymous']);
    const numeric = await engine.execute({ source: moduleOf('return typeof context.userId;'), userId: 7 as unknown as string });
    assert.equal(succeeded(numeric), 'string');
    assert.equal(numeric.userId, '7');
  });
});

describe('measurements', () => {
  test('times, CPU time and memory are numbers that fit the execution', async () => {
    const result = await run(engine, moduleOf('const a = new Array(200_000).fill(1); let s = 0; for (const x of a) s += x; return s;'));
    assert.equal(succeeded(result), 200_000);
    for (const key of ['durationMs', 'cpuTimeMs', 'memoryUsedBytes'] as const) {
      assert.equal(typeof result[key], 'number', key);
      assert.ok(Number.isFinite(result[key]) && result[key] >= 0, `${key} = ${result[key]}`);
    }
    assert.ok(result.cpuTimeMs > 0);
    assert.ok(result.memoryUsedBytes > 200_000 * 4, `memory ${result.memoryUsedBytes}`);
    const started = Date.parse(result.startedAt);
    const finished = Date.parse(result.finishedAt);
    assert.ok(finished >= started);
    assert.ok(result.durationMs >= 0 && result.durationMs <= finished - started + 2);
    assert.ok(result.cpuTimeMs <= result.durationMs + 1);
  });

  test('failed executions carry the same fields', async () => {
    for (const result of [
      await run(engine, moduleOf("throw new Error('x');")),
      await run(engine, 'export default (;'),
      await run(engine, moduleOf('for (;;) {}'), { timeoutMs: 100 }),
      await run(engine, moduleOf('return 1;'), { params: { f: Symbol('x') } }),
    ]) {
      assert.equal(result.status, 'error');
      assert.equal(result.result, null);
      for (const key of ['durationMs', 'cpuTimeMs', 'memoryUsedBytes'] as const) assert.ok(Number.isFinite(result[key]) && result[key] >= 0, key);
      for (const key of ['executionId', 'functionId', 'userId', 'startedAt', 'finishedAt'] as const) assert.equal(typeof result[key], 'string', key);
      assert.ok(Array.isArray(result.logs) && Array.isArray(result.network) && Array.isArray(result.secretsRead));
    }
  });
});

describe('source forms', () => {
  test('ES modules: default export, sync or async, or a named main', async () => {
    assert.equal(succeeded(await run(engine, 'export default (params) => params.n * 2;', { params: { n: 21 } })), 42);
    assert.equal(succeeded(await run(engine, 'export default async function (params, context) { return context.userId; }')), 'user-1');
    assert.equal(succeeded(await run(engine, 'export function main(params) { return params.n + 1; }', { params: { n: 1 } })), 2);
    assert.match(failed(await run(engine, 'export const notAFunction = 1;'), 'VALIDATION_ERROR').message, /export a default function/);
  });

  test('modules with top-level await, on timers and on host calls', async () => {
    const source = [
      "const late = await new Promise((resolve) => setTimeout(() => resolve('timer'), 20));",
      "const key = await Promise.resolve(secrets.get('api-key'));",
      'export default () => [late, key];',
    ].join('\n');
    assert.deepEqual(succeeded(await run(engine, source)), ['timer', 'key-of-user-1']);
    // Top-level await makes a file a module even without `export`, and a module needs a default export.
    const bare = await run(engine, 'const v = await Promise.resolve(5);\nfunction main() { return v; }');
    assert.match(failed(bare, 'VALIDATION_ERROR').message, /must export a default function/);
  });

  test('classic scripts: main() sync or async, with params and executionContext as globals and arguments', async () => {
    const sync = 'function main(p, context) { return [params.n, p.n, executionContext.userId, context.functionId]; }';
    assert.deepEqual(succeeded(await run(engine, sync, { params: { n: 3 }, functionId: 'fn-s' })), [3, 3, 'user-1', 'fn-s']);
    const asyncMain = 'async function main() { await new Promise((r) => setTimeout(r, 5)); return params.n + 1; }';
    assert.equal(succeeded(await run(engine, asyncMain, { params: { n: 3 } })), 4);
    assert.match(failed(await run(engine, 'var notMain = 1;'), 'VALIDATION_ERROR').message, /define a function main/);
  });

  test('the form given by the caller or the file name wins over detection', async () => {
    const ambiguous = 'globalThis.main = () => "script"; var x = 1;';
    assert.equal(succeeded(await run(engine, ambiguous)), 'script');
    failed(await run(engine, ambiguous, { form: 'module' }), 'VALIDATION_ERROR');
    assert.equal(succeeded(await run(engine, 'export default () => "module";', { filename: 'f.mjs' })), 'module');
    failed(await run(engine, 'export default () => 1;', { form: 'script' }), 'SYNTAX_ERROR');
    // A .cjs file is a script: `this` at the top level is the global object.
    assert.equal(succeeded(await run(engine, 'var self = this;\nfunction main() { return self === globalThis; }', { filename: 'f.cjs' })), true);
  });

  test('each execution gets params of its own', async () => {
    const source = moduleOf('params.list.push(context.userId); return params.list;', { async: false });
    const shared = { list: ['caller'] };
    assert.deepEqual(succeeded(await run(engine, source, { params: shared, userId: 'a' })), ['caller', 'a']);
    assert.deepEqual(succeeded(await run(engine, source, { params: shared, userId: 'b' })), ['caller', 'b']);
    assert.deepEqual(shared, { list: ['caller'] });
  });
});

test('a classic script may start with a hashbang; its line numbers stay the file\'s own', async () => {
  const { Engine } = await import('../../src/core/index.ts');
  const engine = new Engine();
  try {
    const ok = await engine.execute({ source: '#!/usr/bin/env teejs\nfunction main() { return 7; }', form: 'script' });
    assert.equal(ok.status, 'success', JSON.stringify(ok.error));
    assert.equal(ok.result, 7);
    const thrown = await engine.execute({ source: '#!/usr/bin/env teejs\nfunction main() {\n  throw new Error("line 3");\n}', form: 'script', filename: 'bang.js' });
    assert.match(thrown.error!.stack!, /bang\.js:3:/);
  } finally {
    await engine.close();
  }
});
