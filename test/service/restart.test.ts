// The real `teejs serve`, as a child process: killed (SIGKILL) while an execution runs and
// another waits in the queue, then restarted on the same data directory. Nothing stays
// `running`: the interrupted one ends error/INTERRUPTED, the queued one runs. SIGTERM, by
// contrast, lets a running execution finish.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { verifyResult } from '../../src/attestation/verify.ts';
import { generateApiKey } from '../../src/service/auth/keys.ts';
import { Api } from './helpers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = path.join(root, 'node_modules', '.bin');
const adminKey = generateApiKey().key;

interface Server {
  child: ChildProcess;
  api: Api;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startServer(dataDir: string): Promise<Server> {
  const child = spawn(path.join(bin, 'teejs'), ['serve', '--data-dir', dataDir, '--port', '0', '--executors', '1', '--concurrency', '1', '--log-level', 'warn'], {
    cwd: root,
    env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, TEEJS_ADMIN_KEY: adminKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${output}`)), 60_000);
    const look = () => {
      const match = /listening on (http:\/\/[\d.:]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', look);
    void exited.then(() => reject(new Error(`the server exited:\n${output}`)));
  });
  return { child, api: new Api(url), output: () => output, exited };
}

describe('kill and restart', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'teejs-restart-'));
  const servers: Server[] = [];
  after(() => {
    for (const server of servers) if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('ends an execution cut by SIGKILL as INTERRUPTED, runs the queued one after a restart, and drains on SIGTERM', async () => {
    const first = await startServer(dataDir);
    servers.push(first);
    const user = await first.api.newUser(adminKey, 'alice');
    const fn = await first.api.newFunction(user.key, {
      name: 'sleeper',
      timeoutMs: 60_000,
      source: 'export default (params) => new Promise((resolve) => setTimeout(() => resolve({ slept: params.ms }), params.ms))',
    });
    const long = await first.api.post(`/v1/functions/${fn.id}/executions`, user.key, { params: { ms: 50_000 }, async: true });
    assert.equal(long.status, 202);
    // One slot (--concurrency 1): this one waits in the durable queue.
    const queued = await first.api.post(`/v1/functions/${fn.id}/executions`, user.key, { params: { ms: 10 }, async: true });
    assert.equal(queued.status, 202);
    // Let the first one reach the executor.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal((await first.api.get(`/v1/executions/${long.body.executionId}`, user.key)).body.status, 'running');

    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');

    const second = await startServer(dataDir);
    servers.push(second);
    assert.match(second.output(), /1 execution\(s\) left running by the previous stop ended as INTERRUPTED/);
    const interrupted = await second.api.settled(long.body.executionId, user.key);
    assert.equal(interrupted.status, 'error');
    assert.equal(interrupted.error.code, 'INTERRUPTED');
    // Ended in the store by the restart, it gets its receipt at its first read, once.
    assert.equal(interrupted.receipt.claims.errorCode, 'INTERRUPTED');
    assert.deepEqual(verifyResult(interrupted, { params: { ms: 50_000 } }).failures, []);
    assert.deepEqual((await second.api.get(`/v1/executions/${long.body.executionId}`, user.key)).body.receipt, interrupted.receipt);
    const ran = await second.api.settled(queued.body.executionId, user.key);
    assert.equal(ran.status, 'success');
    assert.deepEqual(ran.result, { slept: 10 });
    assert.deepEqual(verifyResult(ran, { params: { ms: 10 }, publicKey: interrupted.receipt.keyId }).failures, [], 'the same node key after a restart');

    // SIGTERM while an execution runs: it finishes before the server exits.
    const drained = await second.api.post(`/v1/functions/${fn.id}/executions`, user.key, { params: { ms: 1500 }, async: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    second.child.kill('SIGTERM');
    assert.deepEqual(await second.exited, { code: 0, signal: null });

    const third = await startServer(dataDir);
    servers.push(third);
    const finished = await third.api.get(`/v1/executions/${drained.body.executionId}`, user.key);
    assert.equal(finished.body.status, 'success', third.output());
    assert.deepEqual(finished.body.result, { slept: 1500 });
    assert.deepEqual(verifyResult(finished.body, { publicKey: interrupted.receipt.keyId }).failures, []);
    // The executor pool reports itself in the metrics.
    const metrics = (await third.api.get('/metrics')).text;
    assert.match(metrics, /^teejs_pool_executors 1$/m);
    assert.match(metrics, /^teejs_executor_restarts_total 0$/m);
    assert.match(metrics, /^teejs_pool_warm_sandboxes \d+$/m);
    third.child.kill('SIGTERM');
    assert.equal((await third.exited).code, 0);
  });
});
