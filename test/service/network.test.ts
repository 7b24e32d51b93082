// The walkthrough of the docs, end to end: a function reads a secret, calls a host it is allowed
// to call, and returns a value; a host outside its list is refused and recorded.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestService, type TestService } from './helpers.ts';

describe('functions calling out', () => {
  let t: TestService;
  let upstream: Server;
  let upstreamUrl: string;
  const seen: Array<{ url: string | undefined; authorization: string | undefined }> = [];

  before(async () => {
    // A stand-in for a price API on loopback, which the operator allows explicitly for tests.
    upstream = createServer((request, response) => {
      seen.push({ url: request.url, authorization: request.headers.authorization });
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ symbol: 'ETH', price: 3120.5 }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    t = await startTestService(['--allow-http', '--allow-private-network', '--allow-hosts', '127.0.0.1']);
  });
  after(async () => {
    await t.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('reads a secret, fetches an allowed host with it, and returns a value; the secret never shows', async () => {
    const { api } = t;
    const alice = await api.newUser(t.adminKey, 'alice');
    await api.put('/v1/secrets/price-api-token', alice.key, { value: 'tok-8c1d5e9f3a' });
    const fn = await api.newFunction(alice.key, {
      name: 'eth-price',
      allowedSecrets: ['price-api-token'],
      allowedHosts: ['127.0.0.1'],
      source: `export default async function (params) {
        const token = secrets.get('price-api-token');
        const response = await fetch(params.url + '/price?symbol=ETH', { headers: { authorization: 'Bearer ' + token } });
        const body = await response.json();
        console.log('asked with', token);
        return { symbol: body.symbol, usd: body.price * params.amount };
      }`,
    });
    const run = await api.post(`/v1/functions/${fn.id}/executions`, alice.key, { params: { url: upstreamUrl, amount: 2 } });
    assert.equal(run.body.status, 'success', run.text);
    assert.deepEqual(run.body.result, { symbol: 'ETH', usd: 6241 });
    assert.deepEqual(seen.at(-1), { url: '/price?symbol=ETH', authorization: 'Bearer tok-8c1d5e9f3a' });
    assert.equal(run.body.network.length, 1);
    assert.equal(run.body.network[0].method, 'GET');
    assert.equal(run.body.network[0].status, 200);
    assert.deepEqual(run.body.logs.map((l: { message: string }) => l.message), ['asked with [REDACTED]']);
    assert.ok(!run.text.includes('tok-8c1d5e9f3a'));
  });

  it('refuses a host the function does not list, even one the operator allows', async () => {
    const { api } = t;
    const bob = await api.newUser(t.adminKey, 'bob');
    const fn = await api.newFunction(bob.key, { name: 'nosy', source: 'export default async (params) => (await fetch(params.url)).status' });
    const before = seen.length;
    const run = await api.post(`/v1/functions/${fn.id}/executions`, bob.key, { params: { url: upstreamUrl } });
    assert.equal(run.body.status, 'error');
    assert.equal(seen.length, before, 'no request left the sandbox');
    assert.equal(run.body.network.length, 1);
    assert.ok(run.body.network[0].blocked, JSON.stringify(run.body.network));
  });

  it("keeps a failed request's error in the answer and in the history, as teejs run does", async () => {
    const { api } = t;
    const dave = await api.newUser(t.adminKey, 'dave');
    // A loopback port nobody listens on: the connection is refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const fn = await api.newFunction(dave.key, {
      name: 'refused',
      allowedHosts: ['127.0.0.1'],
      source: 'export default async (params) => { try { await fetch(params.url); return "sent"; } catch (e) { return e.name; } }',
    });
    const run = await api.post(`/v1/functions/${fn.id}/executions`, dave.key, { params: { url: deadUrl } });
    assert.equal(run.body.status, 'success', run.text);
    assert.equal(run.body.result, 'TypeError');
    assert.equal(run.body.network.length, 1);
    assert.equal(typeof run.body.network[0].error, 'string', JSON.stringify(run.body.network));
    const stored = await api.get(`/v1/executions/${run.body.executionId}`, dave.key);
    assert.equal(stored.body.network[0].error, run.body.network[0].error);
  });

  it('refuses an invalid host pattern when the function is saved', async () => {
    const bob = await t.api.newUser(t.adminKey, 'carol');
    const answer = await t.api.post('/v1/functions', bob.key, { name: 'bad-host', source: 'export default 1', allowedHosts: ['https://example.com/path'] });
    assert.equal(answer.status, 400);
    assert.match(answer.body.error.message, /allowedHosts\/0/);
  });
});
