// Fuzzing the host bridge: every operation a guest can reach (console, secrets, crypto, subtle,
// timers, fetch, URL, encoding, structuredClone and the web globals) called with hostile values
// that fast-check describes and the guest builds (test/support/hostile.ts, hostile-guest.js).
// One execution runs a batch of calls and reports each outcome as data. What must hold:
// - the execution ends `success` (a batch with looping getters or traps: `success` or `TIMEOUT`);
// - every call returned, or threw a documented guest error (TypeError, RangeError, a DOMException
//   of a standard name, the hostile value's own throw, SECRET_NOT_FOUND), never the host's
//   "internal error in a host capability";
// - nothing an operation hands over is a host object: every object reached from a result or a
//   thrown error has the guest's prototypes, and its constructor's constructor refuses code;
// - the host emits no `teejs:` warning (an unexpected host exception) and stays usable.
// A failure prints fast-check's seed and path: `TEEJS_FUZZ_SEED=<seed> TEEJS_FUZZ_PATH=<path>`
// replays it; `TEEJS_FUZZ_RUNS` changes how many batches run (docs/isolation-tests.md).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Engine } from '../../src/core/index.ts';
import type { ExecutionResult } from '../../src/core/types.ts';
import { startLoopbackServer, type LoopbackServer } from '../capabilities/loopback-server.ts';
import { makeEngine, moduleOf, run, succeeded } from '../support/engine.ts';
import { HostState } from '../support/host-state.ts';
import { call, fuzzParameters, hostileGuestSource, type Call } from '../support/hostile.ts';

// A batch is expected to take tens of milliseconds; the limit is far above that so a busy
// machine never turns a slow batch into a TIMEOUT, and a real hang still ends.
const batchTimeoutMs = 20_000;
// Batches with looping getters and traps end at their limit: short, so they cost little.
const loopingTimeoutMs = 300;
// The longest one call's promise may stay unsettled: long enough for a busy machine, far below
// the batch's limit, so a call that never answers is named.
const callTimeoutMs = 5_000;

let server: LoopbackServer;
let engine: Engine;
let looping: Engine;
const host = new HostState();
const hostWarnings: string[] = [];
const onWarning = (warning: Error) => {
  if (warning.message.startsWith('teejs:')) hostWarnings.push(warning.message);
};

before(async () => {
  process.on('warning', onWarning);
  server = await startLoopbackServer();
  // fetch reaches the loopback server and nothing else: no request leaves the machine.
  const network = { allowHosts: ['127.0.0.1'], allowHttp: true, allowPrivateNetwork: true };
  engine = makeEngine({ network, limits: { timeoutMs: batchTimeoutMs, memoryMb: 256 } });
  looping = makeEngine({ network, limits: { timeoutMs: loopingTimeoutMs, memoryMb: 256 } });
});

after(async () => {
  await Promise.all([engine.drain(), looping.drain()]);
  await server.close();
  process.off('warning', onWarning);
});

interface Outcome {
  op: string;
  ok?: boolean;
  type?: string;
  name?: string;
  message?: string;
  code?: string;
  build?: string;
  leaks?: string[];
  hung?: boolean;
}

// The guest errors an operation may raise: the standard error types its arguments call for, the
// DOMException names the web APIs use, and whatever the hostile value itself threw ('Hostile')
// or was (an abort reason the guest chose, rethrown as is).
const documentedErrors = new Set([
  'TypeError', 'RangeError', 'SyntaxError', 'Hostile', '(own value)',
  'DataCloneError', 'InvalidCharacterError', 'AbortError', 'TimeoutError', 'NotSupportedError', 'OperationError', 'DataError',
  'InvalidAccessError', 'InvalidStateError', 'QuotaExceededError', 'NotFoundError', 'EncodingError',
]);

// Operations that rethrow a signal's abort reason, which may be any value the guest chose.
const rethrowsAbortReason = /^(AbortSignal\.abort|fetch|Request|Response)/;

function problemsOf(outcome: Outcome): string[] {
  const problems: string[] = [];
  if (outcome.build !== undefined) problems.push(`the recipe did not build (${outcome.build}): a bug of the test`);
  if (outcome.hung) problems.push(`no answer within ${callTimeoutMs} ms`);
  if (outcome.leaks) problems.push(...outcome.leaks.map((leak) => `leak: ${leak}`));
  if (outcome.ok === false) {
    const name = outcome.name ?? '';
    const secretNotFound = name === 'Error' && outcome.code === 'SECRET_NOT_FOUND';
    const abortReason = name.startsWith('(non-Error') && rethrowsAbortReason.test(outcome.op);
    if (!documentedErrors.has(name) && !secretNotFound && !abortReason) problems.push(`undocumented error ${name}: ${outcome.message}`);
    if (/internal error/i.test(outcome.message ?? '')) problems.push(`an internal error reached the guest: ${outcome.message}`);
  }
  return problems;
}

function guestSource(): string {
  return moduleOf(`${hostileGuestSource}\nreturn fuzzBatch(params.plan);`);
}

function report(result: ExecutionResult): string {
  return JSON.stringify({ status: result.status, error: result.error, logs: result.logs.slice(0, 3) }).slice(0, 2000);
}

/** Runs one batch; returns what went wrong, as text for the assertion (empty: all held). */
async function runBatch(target: Engine, calls: readonly Call[], allowTimeout: boolean): Promise<string[]> {
  const warningsBefore = hostWarnings.length;
  const result = await run(target, guestSource(), { params: { plan: { calls, origin: server.origin, callTimeoutMs } } });
  const problems: string[] = [];
  if (result.status === 'success') {
    const outcomes = result.result as Outcome[];
    if (!Array.isArray(outcomes) || outcomes.length !== calls.length) problems.push(`expected ${calls.length} outcomes, got ${JSON.stringify(outcomes).slice(0, 200)}`);
    else {
      outcomes.forEach((outcome, i) => {
        for (const problem of problemsOf(outcome)) problems.push(`call ${i} ${outcome.op}(${JSON.stringify(calls[i]?.args).slice(0, 600)}): ${problem}`);
      });
    }
  } else if (!(allowTimeout && result.error?.code === 'TIMEOUT')) {
    problems.push(`the execution ended ${result.error?.code}: ${report(result)}`);
  }
  for (const warning of hostWarnings.slice(warningsBefore)) problems.push(`host warning: ${warning.slice(0, 1500)}`);
  return problems;
}

describe('the host bridge under hostile arguments', () => {
  test('every operation answers hostile values with data or a documented guest error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(call(), { minLength: 60, maxLength: 120 }), async (calls) => {
        const problems = await runBatch(engine, calls, false);
        assert.deepEqual(problems, []);
      }),
      fuzzParameters(30),
    );
  });

  test('getters, traps and conversions that never return end at the time limit, and nothing else happens', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(call({ looping: true }), { minLength: 5, maxLength: 20 }), async (calls) => {
        const problems = await runBatch(looping, calls, true);
        assert.deepEqual(problems, []);
      }),
      fuzzParameters(10),
    );
  });

  test('the host is unharmed: the next execution works and its realm is unchanged', async () => {
    assert.equal(succeeded(await run(engine, moduleOf('return crypto.sha256("ok").length + new URL("https://a.example/").href;'))), '64https://a.example/');
    assert.deepEqual(hostWarnings, []);
    host.assertUnchanged();
  });
});
