// The request log: one JSON line per request, written when it is answered, with what Fastify's
// two default lines said (method, URL, address; status, time taken) and the request id.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/service/config.ts';
import { startService } from '../../src/service/server.ts';
import { Api } from './helpers.ts';

describe('request log', () => {
  it('writes one line per request when it is answered, with the request and the answer', async () => {
    const lines: Array<Record<string, any>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        done();
      },
    });
    const dataDir = mkdtempSync(path.join(tmpdir(), 'teejs-service-'));
    const config = loadConfig(['--data-dir', dataDir, '--port', '0', '--executors', '0', '--shutdown-grace', '5000'], {});
    const service = await startService(config, { logger: pino({ level: 'info' }, sink) });
    try {
      const api = new Api(service.url);
      const user = await api.newUser(service.bootstrapAdminKey!, 'logged');
      const fn = await api.newFunction(user.key, { name: 'hello', source: 'export default () => "hello"' });
      const before = lines.length;
      const answer = await api.request('POST', `/v1/functions/${fn.id}/executions`, { key: user.key, body: {}, headers: { 'x-request-id': 'logged-run-1' } });
      assert.equal(answer.body?.status, 'success', answer.text);
      const missing = await api.get('/v1/functions/00000000-0000-4000-8000-000000000000', user.key);
      assert.equal(missing.status, 404);
      const mine = lines.slice(before).filter((line) => line.req !== undefined || line.res !== undefined);
      assert.equal(mine.length, 2, `one line for each of the two requests: ${JSON.stringify(mine)}`);
      const [run, notFound] = mine as [Record<string, any>, Record<string, any>];
      assert.equal(run.msg, 'request completed');
      assert.equal(run.reqId, 'logged-run-1');
      assert.equal(run.req.method, 'POST');
      assert.equal(run.req.url, `/v1/functions/${fn.id}/executions`);
      assert.equal(run.res.statusCode, 200);
      assert.equal(typeof run.responseTime, 'number');
      assert.equal(notFound.req.method, 'GET');
      assert.equal(notFound.res.statusCode, 404);
      assert.ok(!lines.some((line) => line.msg === 'incoming request'), 'no separate line when a request comes in');
      assert.ok(!JSON.stringify(lines).includes(user.key), 'the key never shows');
    } finally {
      await service.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
