// The `teejs run` contract, through the installed command (node_modules/.bin/teejs, Node 24 found
// first on PATH): one JSON document with --json, a readable report without it, exit status 0
// (success), 1 (the execution ended in error) or 2 (usage error, one line on stderr).
import assert from 'node:assert/strict';
import { describe, test as nodeTest } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ExecutionResult } from '../../src/core/types.ts';
import { binDir, runProcess, type Finished } from '../support/spawn.ts';

const teejs = fileURLToPath(new URL('../../node_modules/.bin/teejs', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/cli/${name}`, import.meta.url));

// Every test here starts the command, some several times in a row: on a busy machine one start
// can take a minute, so each test may take far longer than the suite's default timeout.
const test = (name: string, fn: () => Promise<void>) => nodeTest(name, { timeout: 600_000 }, fn);

/** A command still running after 4 minutes is killed (SIGKILL): generous, a busy machine is slow. */
function teejsRun(...args: string[]): Promise<Finished> {
  return runProcess(teejs, ['run', ...args], { env: { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}` }, timeoutMs: 240_000 });
}

/** Asserts stdout is exactly one JSON document (and a newline) and returns it. */
function jsonDocument(finished: Finished): ExecutionResult {
  assert.ok(finished.stdout.endsWith('}\n'), `stdout: ${finished.stdout.slice(0, 300)} stderr: ${finished.stderr.slice(0, 300)}`);
  assert.equal(finished.stdout.indexOf('\n'), finished.stdout.length - 1, 'more than one line on stdout');
  return JSON.parse(finished.stdout) as ExecutionResult;
}

function assertUsageError(finished: Finished, pattern: RegExp): void {
  assert.equal(finished.code, 2, `exit ${finished.code}; stderr: ${finished.stderr}`);
  assert.equal(finished.stdout, '');
  assert.match(finished.stderr, /^teejs: [^\n]+\n$/, `not one line: ${JSON.stringify(finished.stderr)}`);
  assert.match(finished.stderr, pattern);
}

describe('teejs run', { concurrency: 2 }, () => {
  test('--json prints exactly one ExecutionResult and nothing else', async () => {
    const finished = await teejsRun(fixture('hello.mjs'), '--json', '--params', '{"name":"ada"}');
    assert.equal(finished.code, 0);
    assert.equal(finished.stderr, '');
    const result = jsonDocument(finished);
    assert.equal(result.status, 'success');
    assert.deepEqual(result.result, { hi: 'ada', user: 'local', functionId: 'hello' });
    assert.deepEqual(
      result.logs.map((entry) => [entry.level, entry.message]),
      [
        ['log', 'hello from hello'],
        ['warn', 'a warning { user: "local" }'],
      ],
    );
    for (const key of ['executionId', 'startedAt', 'finishedAt'] as const) assert.equal(typeof result[key], 'string');
    for (const key of ['durationMs', 'cpuTimeMs', 'memoryUsedBytes'] as const) assert.equal(typeof result[key], 'number');
  });

  test('without --json: a readable report, logs first, then the result', async () => {
    const finished = await teejsRun(fixture('hello.mjs'), '--params', '{"name":"ada"}');
    assert.equal(finished.code, 0);
    const lines = finished.stdout.split('\n');
    assert.match(lines[0]!, /^log\s+hello from hello$/);
    assert.match(lines[1]!, /^warn\s+a warning/);
    assert.ok(lines.includes('result'));
    assert.match(finished.stdout, /"hi": "ada"/);
    assert.match(finished.stdout, /success in [\d.]+ ms/);
    assert.doesNotMatch(finished.stdout, /\x1b\[/, 'no colour codes when stdout is not a terminal');
  });

  test('an execution error: exit 1, the report shows the code, message and guest stack', async () => {
    const report = await teejsRun(fixture('throws.mjs'));
    assert.equal(report.code, 1);
    assert.match(report.stdout, /error RUNTIME_ERROR: Error: expected failure/);
    assert.match(report.stdout, /at default \(throws\.mjs:3:9\)/);
    assert.match(report.stdout, /about to fail/);
    const json = await teejsRun(fixture('throws.mjs'), '--json');
    assert.equal(json.code, 1);
    const result = jsonDocument(json);
    assert.equal(result.error?.code, 'RUNTIME_ERROR');
    assert.match(result.error!.stack!, /throws\.mjs:3:9/);
  });

  test('exit 1 for other kinds of execution error (TIMEOUT and MEMORY_LIMIT below)', async () => {
    const cases: Array<[string, string[], string]> = [
      ['syntax-error.mjs', [], 'SYNTAX_ERROR'],
      ['reads-secret.mjs', [], 'SECRET_NOT_FOUND'],
      ['hello.mjs', ['--params', `${'['.repeat(100)}${']'.repeat(100)}`], 'VALIDATION_ERROR'],
    ];
    for (const [file, args, code] of cases) {
      const finished = await teejsRun(fixture(file), '--json', ...args);
      assert.equal(finished.code, 1, `${file}: exit ${finished.code} ${finished.stderr}`);
      assert.equal(jsonDocument(finished).error?.code, code, file);
    }
  });

  test('--timeout stops the function at the limit', async () => {
    const finished = await teejsRun(fixture('spin.mjs'), '--json', '--timeout', '500');
    const result = jsonDocument(finished);
    assert.match(result.error!.message, /timeout/);
    // Stopped at the limit, not at the default limit of 30 s that would mean --timeout was ignored
    // (a busy machine may take a while past the limit to stop it).
    assert.ok(result.durationMs >= 450 && result.durationMs < 15_000, `${result.durationMs} ms`);
  });

  test('--memory sets the memory limit', async () => {
    const result = jsonDocument(await teejsRun(fixture('hog.mjs'), '--json', '--memory', '16'));
    assert.match(result.error!.message, /memory limit exceeded/);
    assert.match(result.error!.message, /16 MB/);
  });

  test('--secret NAME=VALUE (repeatable, the value may hold "="), read as the --user', async () => {
    const finished = await teejsRun(fixture('reads-secret.mjs'), '--json', '--secret', 'token=a=b=c', '--secret', 'other=x', '--user', 'u-9');
    const result = jsonDocument(finished);
    assert.deepEqual(result.result, { value: 'a=b=c' });
    assert.equal(result.userId, 'u-9');
    assert.deepEqual(result.secretsRead, ['token']);
    const other = jsonDocument(await teejsRun(fixture('reads-secret.mjs'), '--json', '--secret', 'other=x', '--params', '{"name":"other"}'));
    assert.deepEqual(other.result, { value: 'x' });
  });

  test('--user and --function-id reach the context', async () => {
    const result = jsonDocument(await teejsRun(fixture('context.mjs'), '--json', '--user', 'u-7', '--function-id', 'f-3'));
    assert.deepEqual(result.result, { user: 'u-7', fn: 'f-3', same: true });
    assert.equal(result.functionId, 'f-3');
  });

  test('--params-file, and the classic main() form', async () => {
    const result = jsonDocument(await teejsRun(fixture('script-main.js'), '--json', '--params-file', fixture('params.json')));
    assert.equal(result.result, 42);
  });

  test('a large result arrives whole through a pipe', async () => {
    const size = 1000 * 1000;
    const result = jsonDocument(await teejsRun(fixture('big-result.mjs'), '--json', '--params', JSON.stringify({ size })));
    assert.equal((result.result as { text: string }).text.length, size);
    assert.equal((result.result as { tail: string }).tail, 'end');
  });

  test('a pending timer does not keep the command alive', async () => {
    // The timer would fire after 10 minutes: a command still running at 4 is killed, and a killed
    // command has no exit code. Ending by itself, long before the timer, is the signal.
    const finished = await teejsRun(fixture('pending-timer.mjs'), '--json');
    assert.equal(finished.signal, null, `killed after ${finished.ms} ms`);
    assert.equal(finished.code, 0);
    assert.equal(jsonDocument(finished).result, 'returned at once');
    assert.doesNotMatch(finished.stdout + finished.stderr, /never/);
  });

  test('usage errors: exit 2 with a one-line message and nothing on stdout', async () => {
    assertUsageError(await teejsRun(fixture('hello.mjs'), '--bogus-flag'), /bogus-flag/);
    assertUsageError(await teejsRun(fixture('does-not-exist.mjs')), /cannot read function file .*does-not-exist\.mjs: ENOENT/);
    assertUsageError(await teejsRun(fixture('hello.mjs'), '--params', '{"a":'), /--params is not valid JSON/);
    assertUsageError(await teejsRun(fixture('hello.mjs'), '--params-file', fixture('bad-params.json')), /is not valid JSON/);
    assertUsageError(await teejsRun(fixture('hello.mjs'), '--params', '{}', '--params-file', fixture('params.json')), /not both/);
    assertUsageError(await teejsRun(), /exactly one FILE/);
    assertUsageError(await teejsRun(fixture('hello.mjs'), '--timeout', 'soon'), /the time limit \(--timeout\) must be a whole number/);
    assertUsageError(await teejsRun(fixture('hello.mjs'), '--secret', 'no-equals-sign'), /--secret expects NAME=VALUE/);
  });

  test(
    'the readable report does not pass terminal control sequences from guest text to the terminal',
    async () => {
      const finished = await teejsRun(fixture('terminal-escapes.mjs'));
      assert.equal(finished.code, 1);
      assert.match(finished.stdout, /red/);
      assert.doesNotMatch(finished.stdout, /[\u001b\u0007\u009b]/);
    },
  );

  test('--help explains the command and exits 0', async () => {
    for (const args of [['-h'], [fixture('hello.mjs'), '--help']]) {
      const finished = await teejsRun(...args);
      assert.equal(finished.code, 0);
      assert.match(finished.stdout, /^Usage: teejs run FILE/);
      for (const flag of ['--params', '--params-file', '--user', '--function-id', '--secret', '--timeout', '--memory', '--json']) {
        assert.ok(finished.stdout.includes(flag), flag);
      }
      assert.match(finished.stdout, /Exit status: 0 success, 1 the execution ended in error, 2 usage error/);
    }
  });
});
