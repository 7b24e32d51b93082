// Shared helpers for tests of the isolation core: one engine per test file with known secrets,
// and assertions that print the whole ExecutionResult when an expectation fails.
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { Engine, InMemorySecretStore, type EngineOptions } from '../../src/core/index.ts';
import type { ErrorCode, ExecutionError, ExecutionRequest, ExecutionResult } from '../../src/core/types.ts';

/** Secret values the tests' users own. `only-user-2` exists for user-2 alone. */
export const secretValues = {
  'user-1': { 'api-key': 'key-of-user-1', 'db-password': 'pw-of-user-1' },
  'user-2': { 'api-key': 'key-of-user-2', 'only-user-2': 'private-to-user-2' },
} as const;

export function makeEngine(options: EngineOptions = {}): Engine {
  return new Engine({
    secrets: new InMemorySecretStore(structuredClone(secretValues) as Record<string, Record<string, string>>),
    ...options,
    // Tests about time set their own limits. For the others the limit only guards against a hang:
    // it must be one a busy machine never reaches (a memory bomb starved of CPU there takes many
    // seconds to fill even a small heap, and must still end MEMORY_LIMIT).
    limits: { timeoutMs: 60_000, ...options.limits },
  });
}

/**
 * The engine of one test file (drained after its tests) and `inGuest`, which runs a module body
 * with `params` on it and returns the (JSON) result of a successful execution.
 */
export function engineOfFile(options: EngineOptions = {}): { engine: Engine; inGuest: (body: string, params?: unknown) => Promise<unknown> } {
  const engine = makeEngine(options);
  after(() => engine.drain());
  return { engine, inGuest: async (body, params = {}) => succeeded(await run(engine, moduleOf(body), { params })) };
}

/** Runs `source` as user-1 unless the request says otherwise. */
export function run(engine: Engine, source: string, request: Partial<ExecutionRequest> = {}): Promise<ExecutionResult> {
  return engine.execute({ userId: 'user-1', functionId: 'fn-test', ...request, source });
}

function describe(result: ExecutionResult): string {
  return JSON.stringify({ status: result.status, result: result.result, error: result.error, logs: result.logs }, null, 2).slice(0, 4000);
}

/** Asserts a successful execution and returns its result value. */
export function succeeded(result: ExecutionResult): unknown {
  assert.equal(result.status, 'success', `expected success, got:\n${describe(result)}`);
  assert.equal(result.error, null);
  return result.result;
}

/** Asserts an execution that ended with `code` and returns its error. */
export function failed(result: ExecutionResult, code: ErrorCode): ExecutionError {
  assert.equal(result.status, 'error', `expected error ${code}, got:\n${describe(result)}`);
  assert.ok(result.error, 'an error result carries an error');
  assert.equal(result.error.code, code, `expected ${code}, got:\n${describe(result)}`);
  assert.equal(result.result, null);
  return result.error;
}

/** Wraps a function body as an ES module with a default export. */
export function moduleOf(body: string, { async = true } = {}): string {
  return `export default ${async ? 'async ' : ''}function (params, context) {\n${body}\n}\n`;
}
