// A time or memory limit out of range is the caller's mistake at every entry, judged by one
// function (checkLimit in src/core/limits.ts) with one wording: exit 2 and one line on stderr in
// the CLI (no Node warning, no executor started), a VALIDATION_ERROR result from the library.
// The service's side is in test/service/bad-input.test.ts; its operator settings (defaults and
// maxima) are held within the same bounds here.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../src/core/index.ts';
import { checkLimit, LimitError, limitBounds } from '../../src/core/limits.ts';
import { ExecutorPool } from '../../src/executor/index.ts';
import { ConfigError, loadConfig } from '../../src/service/config.ts';
import { binDir, runProcess } from '../support/spawn.ts';

const teejs = fileURLToPath(new URL('../../node_modules/.bin/teejs', import.meta.url));
const hello = fileURLToPath(new URL('../fixtures/cli/hello.mjs', import.meta.url));
const timeRule = 'must be a whole number of milliseconds from 1 to 900000';
const memoryRule = 'must be a whole number of megabytes from 8 to 4096';

describe('checkLimit', () => {
  test('accepts whole numbers within limitBounds, bounds included', () => {
    for (const name of ['timeoutMs', 'memoryMb'] as const) {
      const { min, max } = limitBounds[name];
      assert.equal(checkLimit(name, min), min);
      assert.equal(checkLimit(name, max), max);
    }
  });

  test('refuses anything else with a LimitError that names the limit in plain words and as the caller wrote it', () => {
    const refused: Array<[unknown, string]> = [
      [0, 'got 0'],
      [900_001, 'got 900001'],
      [99_999_999_999, 'got 99999999999'],
      [1.5, 'got 1.5'],
      [Number.NaN, 'got NaN'],
      [Number.POSITIVE_INFINITY, 'got Infinity'],
      ['100', 'got "100"'],
      [null, 'got null'],
      [undefined, 'got undefined'],
      [10n, 'got 10'],
      [{}, 'got an object'],
      [[5], 'got an array'],
      ['x'.repeat(1000), `got "${'x'.repeat(40)}..."`],
    ];
    for (const [value, got] of refused) {
      assert.throws(
        () => checkLimit('timeoutMs', value, 'body/timeoutMs'),
        (error: unknown) =>
          error instanceof LimitError && error.limit === 'timeoutMs' && error.message === `the time limit (body/timeoutMs) ${timeRule}, ${got}`,
        String(value),
      );
    }
    assert.throws(() => checkLimit('memoryMb', 4), { name: 'LimitError', message: `the memory limit (memoryMb) ${memoryRule}, got 4` });
  });
});

describe('teejs run with a limit out of range', { concurrency: 2 }, () => {
  const cases: Array<[string, string, RegExp]> = [
    ['--timeout', '0', /got 0$/],
    ['--timeout', '99999999999', /got 99999999999$/],
    ['--timeout', '1.5', /got 1\.5$/],
    ['--timeout', 'abc', /got "abc"$/],
    ['--timeout', '', /got ""$/],
    ['--memory', '4', /got 4$/],
    ['--memory', '999999', /got 999999$/],
    ['--memory', '0x10', /got "0x10"$/],
    ['--max-source-bytes', '10', /got 10$/],
    ['--max-source-bytes', '99999999999', /got 99999999999$/],
  ];
  for (const [flag, value, got] of cases) {
    test(`${flag} ${JSON.stringify(value)}: exit 2, one line on stderr, nothing else`, async () => {
      const finished = await runProcess(teejs, ['run', hello, '--json', `${flag}=${value}`], {
        env: { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}` },
        timeoutMs: 60_000,
      });
      assert.equal(finished.code, 2, `exit ${finished.code}; stderr: ${finished.stderr}`);
      assert.equal(finished.stdout, '');
      const rules: Record<string, string> = {
        '--timeout': `the time limit (--timeout) ${timeRule}`,
        '--memory': `the memory limit (--memory) ${memoryRule}`,
        '--max-source-bytes': 'the source size limit (--max-source-bytes) must be a whole number of bytes from 1024 to 16777216',
      };
      const rule = rules[flag]!;
      assert.match(finished.stderr, /^teejs: [^\n]+\n$/, `not exactly one line: ${JSON.stringify(finished.stderr)}`);
      assert.ok(finished.stderr.startsWith(`teejs: ${rule}, `), finished.stderr);
      assert.match(finished.stderr.trimEnd(), got);
    });
  }
});

test('teejs run --max-source-bytes: a larger source runs, one over it is a VALIDATION_ERROR', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'teejs-source-'));
  try {
    const file = path.join(dir, 'big.mjs');
    writeFileSync(file, `export default () => 'big';\n//${'x'.repeat(1_100_000)}\n`);
    const env = { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}` };
    const refused = await runProcess(teejs, ['run', file, '--json'], { env, timeoutMs: 60_000 });
    assert.equal(refused.code, 1, refused.stderr);
    const answer = JSON.parse(refused.stdout) as { error: { code: string; message: string } };
    assert.equal(answer.error.code, 'VALIDATION_ERROR');
    assert.match(answer.error.message, /over the limit of 1048576/);
    const allowed = await runProcess(teejs, ['run', file, '--json', '--max-source-bytes', '2000000'], { env, timeoutMs: 60_000 });
    assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
    assert.equal((JSON.parse(allowed.stdout) as { result: string }).result, 'big');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('the library with a limit out of range', () => {
  const requests = [{ timeoutMs: 99_999_999_999 }, { timeoutMs: 0 }, { timeoutMs: 1.5 }, { memoryMb: 4 }, { memoryMb: 999_999 }];

  test('Engine.execute answers VALIDATION_ERROR with the same words', async () => {
    const engine = new Engine();
    for (const limits of requests) {
      const result = await engine.execute({ source: 'export default () => 1', ...limits });
      assert.equal(result.status, 'error', JSON.stringify(limits));
      assert.equal(result.error?.code, 'VALIDATION_ERROR', JSON.stringify(result.error));
      const [name] = Object.keys(limits) as Array<'timeoutMs' | 'memoryMb'>;
      assert.match(result.error!.message, new RegExp(`^the (time|memory) limit \\(${name}\\) must be a whole number`));
    }
    await engine.close();
  });

  test('an Engine whose own default is out of range refuses executions that use it, and no more', async () => {
    const engine = new Engine({ limits: { timeoutMs: 99_999_999_999 } });
    const byDefault = await engine.execute({ source: 'export default () => 1' });
    assert.equal(byDefault.error?.code, 'VALIDATION_ERROR');
    const chosen = await engine.execute({ source: 'export default () => 1', timeoutMs: 1000 });
    assert.equal(chosen.status, 'success', JSON.stringify(chosen.error));
    await engine.close();
  });

  test(
    'ExecutorPool.execute answers VALIDATION_ERROR, with no crash and no Node warning',
    async () => {
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on('warning', onWarning);
      const pool = await ExecutorPool.start({ processes: 1, warm: false });
      try {
        for (const limits of requests) {
          const result = await pool.execute({ source: 'export default () => 1', ...limits });
          assert.equal(result.error?.code, 'VALIDATION_ERROR', `${JSON.stringify(limits)}: ${JSON.stringify(result.error)}`);
        }
        assert.equal(pool.restarts, 0, 'no executor died');
      } finally {
        await pool.close();
        process.off('warning', onWarning);
      }
      assert.deepEqual(warnings.map((warning) => warning.name), []);
    },
  );
});

describe("the service's default and maximum limits", () => {
  test('stay within limitBounds: a setting outside them is refused at start', () => {
    for (const [flag, bound] of [
      ['--max-timeout', limitBounds.timeoutMs],
      ['--default-timeout', limitBounds.timeoutMs],
      ['--max-memory', limitBounds.memoryMb],
      ['--default-memory', limitBounds.memoryMb],
    ] as const) {
      for (const value of [bound.min - 1, bound.max + 1]) {
        assert.throws(() => loadConfig([flag, String(value)], {}), ConfigError, `${flag} ${value}`);
      }
    }
    const widest = loadConfig(['--max-timeout', String(limitBounds.timeoutMs.max), '--max-memory', String(limitBounds.memoryMb.max)], {});
    assert.equal(checkLimit('timeoutMs', widest.limits.maxTimeoutMs), limitBounds.timeoutMs.max);
    assert.equal(checkLimit('memoryMb', widest.limits.maxMemoryMb), limitBounds.memoryMb.max);
  });
});
