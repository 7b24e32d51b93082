// teejs run's network flags: --allow-host (repeatable), --allow-http, --allow-private-network.
// The function runs in an executor process, so this also shows fetch working there.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ExecutionResult } from '../../src/core/types.ts';
import { binDir, runProcess } from '../support/spawn.ts';
import { startLoopbackServer, type LoopbackServer } from './loopback-server.ts';

const fixture = new URL('./fixtures/fetch-local.mjs', import.meta.url).pathname;
let server: LoopbackServer;

before(async () => {
  server = await startLoopbackServer();
});
after(async () => {
  await server.close();
});

function teejs(...args: string[]) {
  return runProcess(`${binDir}/teejs`, ['run', fixture, '--params', JSON.stringify({ url: `${server.origin}/json` }), ...args]);
}

describe('teejs run network flags', () => {
  test('with the three flags the function reaches the loopback server', async () => {
    const finished = await teejs('--allow-host', 'example.com', '--allow-host', '127.0.0.1', '--allow-http', '--allow-private-network', '--json');
    assert.equal(finished.code, 0, finished.stderr);
    const result = JSON.parse(finished.stdout) as ExecutionResult;
    assert.deepEqual(result.result, { status: 200, body: { ok: true, method: 'GET', query: '' } });
    assert.equal(result.network.length, 1);
    assert.equal(result.network[0]!.status, 200);
  });

  test('each missing flag is a refusal the function sees', async () => {
    const cases: Array<[string[], string]> = [
      [['--allow-http', '--allow-private-network'], 'host not allowed: 127.0.0.1'],
      [['--allow-host', '127.0.0.1', '--allow-private-network'], 'http not allowed (https only)'],
      [['--allow-host', '127.0.0.1', '--allow-http'], 'private address blocked: 127.0.0.1 (loopback)'],
    ];
    for (const [flags, message] of cases) {
      const finished = await teejs(...flags, '--json');
      assert.equal(finished.code, 1, finished.stderr);
      const result = JSON.parse(finished.stdout) as ExecutionResult;
      assert.equal(result.error?.code, 'RUNTIME_ERROR');
      assert.ok(result.error?.message.includes(message), `${flags.join(' ')}: ${result.error?.message}`);
    }
  });

  test('a malformed host pattern is a usage error', async () => {
    const finished = await teejs('--allow-host', 'https://example.com/');
    assert.equal(finished.code, 2);
    assert.match(finished.stderr, /--allow-host: invalid host pattern/);
  });

  test('the help text describes the flags', async () => {
    const finished = await runProcess(`${binDir}/teejs`, ['run', '--help']);
    assert.equal(finished.code, 0);
    for (const flag of ['--allow-host PATTERN', '--allow-http', '--allow-private-network', '.ts']) assert.ok(finished.stdout.includes(flag), flag);
  });
});
