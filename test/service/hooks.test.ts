// Webhooks: a function's public endpoint, authenticated by the hook's token or an HMAC of the
// body with a timestamp window; refusals are 401s that run nothing and are audited; each hook
// has its own rate limit; the function's result shapes the response.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestService, type TestService } from './helpers.ts';

describe('webhooks', () => {
  let t: TestService;
  before(async () => {
    t = await startTestService();
  });
  after(() => t?.close());

  const call = (url: string, init: { headers?: Record<string, string>; body?: string }) =>
    fetch(`${t.url}${url}?source=test`, { method: 'POST', headers: init.headers ?? {}, ...(init.body === undefined ? {} : { body: init.body }) }).then(async (response) => ({
      status: response.status,
      headers: response.headers,
      text: await response.text(),
    }));

  it('runs the function for a caller with the token, shapes the answer, and refuses and audits a wrong token', async () => {
    const user = await t.api.newUser(t.adminKey, 'hooked');
    const fn = await t.api.newFunction(user.key, {
      name: 'hook',
      source: `export default (params) => params.body.plain ? 'plain' : ({ status: 201, headers: { 'x-made': 'yes', 'content-length': '1' }, body: { seen: params.body, method: params.method, query: params.query, auth: params.headers.authorization ?? null, type: params.headers['content-type'] } })`,
    });
    const created = await t.api.post(`/v1/functions/${fn.id}/hooks`, user.key, {});
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.auth, 'token');
    assert.equal(created.body.url, `/v1/hooks/${created.body.id}`);
    const { url, secret } = created.body;

    const ok = await call(url, { headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: '{"order":42}' });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.headers.get('x-made'), 'yes');
    assert.deepEqual(JSON.parse(ok.text), { seen: { order: 42 }, method: 'POST', query: { source: 'test' }, auth: null, type: 'application/json' });
    const executionId = ok.headers.get('x-teejs-execution-id')!;
    const record = await t.api.get(`/v1/executions/${executionId}`, user.key);
    assert.equal(record.body.trigger, 'webhook');

    const plain = await call(url, { headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: '{"plain":true}' });
    assert.deepEqual([plain.status, JSON.parse(plain.text)], [200, 'plain']);

    const before = (await t.api.get(`/v1/functions/${fn.id}/executions?limit=100`, user.key)).body.items.length;
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${secret}x` }] as Array<Record<string, string>>) {
      const refused = await call(url, { headers: { ...headers, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(refused.status, 401, refused.text);
      assert.equal(JSON.parse(refused.text).error.code, 'UNAUTHORIZED');
    }
    assert.equal((await t.api.get(`/v1/functions/${fn.id}/executions?limit=100`, user.key)).body.items.length, before, 'nothing ran');
    const audit = await t.api.get(`/v1/functions/${fn.id}/hooks/${created.body.id}/rejections`, user.key);
    assert.deepEqual(audit.body.items.map((r: { reason: string }) => r.reason), ['wrong token', 'wrong token', 'no token (Authorization: Bearer ...)']);
    assert.equal((await call('/v1/hooks/no-such-hook', { headers: { authorization: `Bearer ${secret}` } })).status, 404);
    assert.equal((await t.api.get(`/v1/functions/${fn.id}/hooks`, user.key)).body.items[0].secret, undefined, 'the secret is shown once');
  });

  it('checks an HMAC signature of the body within a timestamp window, and limits each hook', async () => {
    const user = await t.api.newUser(t.adminKey, 'signed');
    const fn = await t.api.newFunction(user.key, { name: 'signed', source: 'export default (params) => params.body' });
    const created = await t.api.post(`/v1/functions/${fn.id}/hooks`, user.key, { auth: 'hmac', ratePerMinute: 3 });
    const { url, secret } = created.body;
    const body = 'payload=1';
    const sign = (at: number, text: string) => `t=${at},v1=${createHmac('sha256', secret).update(`${at}.${text}`).digest('hex')}`;
    const now = Math.floor(Date.now() / 1000);

    const ok = await call(url, { headers: { 'x-teejs-signature': sign(now, body), 'content-type': 'application/x-www-form-urlencoded' }, body });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(JSON.parse(ok.text), body);
    assert.equal((await call(url, { headers: { 'x-teejs-signature': sign(now, body) }, body: 'payload=2' })).status, 401, 'another body');
    assert.equal((await call(url, { headers: { 'x-teejs-signature': sign(now - 600, body) }, body })).status, 401, 'a replay outside the window');
    // Three a minute, refused ones included: the fourth within the minute is refused first.
    const limited = await call(url, { headers: { 'x-teejs-signature': sign(now, body) }, body });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    const reasons = (await t.api.get(`/v1/functions/${fn.id}/hooks/${created.body.id}/rejections`, user.key)).body.items.map((r: { reason: string }) => r.reason);
    assert.deepEqual(reasons, ['signature timestamp outside the 300 s window', 'bad signature']);
    assert.equal((await t.api.post(`/v1/functions/${fn.id}/hooks`, user.key, { auth: 'basic' })).status, 400);
    assert.equal((await t.api.delete(`/v1/functions/${fn.id}/hooks/${created.body.id}`, user.key)).status, 204);
    assert.equal((await call(url, { headers: { 'x-teejs-signature': sign(now, body) }, body })).status, 404);
  });
});
