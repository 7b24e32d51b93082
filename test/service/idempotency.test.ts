// Idempotency-Key on POST .../executions and POST /v1/functions: a retry answers what the first
// request made; the same key with another body is a 422; a malformed key a 400; a request that
// failed gives its key back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestService, type TestService } from './helpers.ts';

describe('Idempotency-Key', () => {
  let t: TestService;
  before(async () => {
    t = await startTestService(['--max-running', '2']);
  });
  after(() => t?.close());

  const post = (route: string, key: string, idempotencyKey: string, body: unknown) => t.api.request('POST', route, { key, body, headers: { 'idempotency-key': idempotencyKey } });

  it('answers a retried async or sync execution with the original, and refuses the key for another body', async () => {
    const user = await t.api.newUser(t.adminKey, 'retrier');
    const fn = await t.api.newFunction(user.key, { name: 'echo', source: 'export default (params) => ({ n: params.n, at: Date.now() })' });
    const route = `/v1/functions/${fn.id}/executions`;

    const first = await post(route, user.key, '"8e03978e-40d5-43e8-bc93-6894a57f9324"', { params: { n: 1 }, async: true });
    assert.equal(first.status, 202, first.text);
    // The same key, bare or quoted, and the same body (keys in another order): the same execution.
    const again = await post(route, user.key, '8e03978e-40d5-43e8-bc93-6894a57f9324', { async: true, params: { n: 1 } });
    assert.equal(again.status, 202);
    assert.equal(again.body.executionId, first.body.executionId);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    // The .../execute alias is the same request.
    assert.equal((await post(`/v1/functions/${fn.id}/execute`, user.key, '8e03978e-40d5-43e8-bc93-6894a57f9324', { params: { n: 1 }, async: true })).body.executionId, first.body.executionId);
    await t.api.settled(first.body.executionId, user.key);
    const settledAgain = await post(route, user.key, '8e03978e-40d5-43e8-bc93-6894a57f9324', { params: { n: 1 }, async: true });
    assert.equal(settledAgain.body.status, 'success', 'a retry answers the current state');

    const other = await post(route, user.key, '8e03978e-40d5-43e8-bc93-6894a57f9324', { params: { n: 2 }, async: true });
    assert.equal(other.status, 422);
    assert.equal(other.body.error.code, 'IDEMPOTENCY_KEY_REUSED');

    const sync = await post(route, user.key, 'sync-1', { params: { n: 3 } });
    assert.equal(sync.status, 200);
    const syncAgain = await post(route, user.key, 'sync-1', { params: { n: 3 } });
    assert.equal(syncAgain.status, 200);
    assert.deepEqual(syncAgain.body.result, sync.body.result, 'not run twice: the same result');
    assert.equal(syncAgain.body.executionId, sync.body.executionId);
    const history = await t.api.get(`${route}?limit=100`, user.key);
    assert.equal(history.body.items.length, 2, 'two executions made in all');

    // Keys are per user: another user's identical key makes its own.
    const other2 = await t.api.newUser(t.adminKey, 'other');
    const fn2 = await t.api.newFunction(other2.key, { name: 'echo', source: 'export default () => 1' });
    assert.equal((await post(`/v1/functions/${fn2.id}/executions`, other2.key, 'sync-1', { params: { n: 3 } })).status, 200);

    for (const bad of ['', '"unterminated', 'a"b', 'x'.repeat(256), 'tab\tinside']) {
      const answer = await post(route, user.key, bad, { params: {} });
      assert.equal(answer.status, 400, `${JSON.stringify(bad)}: ${answer.text}`);
      assert.match(answer.body.error.message, /idempotency-key/);
    }
  });

  it('gives the key back when the first request fails, and makes one function per key', async () => {
    const user = await t.api.newUser(t.adminKey, 'maker');
    const body = { name: 'once', source: 'export default () => 1' };
    const first = await post('/v1/functions', user.key, 'fn-1', body);
    assert.equal(first.status, 201, first.text);
    const again = await post('/v1/functions', user.key, 'fn-1', body);
    assert.equal(again.status, 201);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal((await post('/v1/functions', user.key, 'fn-1', { ...body, name: 'twice' })).status, 422);
    // A name taken: 409, and the key stays free for a corrected request.
    assert.equal((await post('/v1/functions', user.key, 'fn-2', body)).status, 409);
    assert.equal((await post('/v1/functions', user.key, 'fn-2', { ...body, name: 'second' })).status, 201);

    // Over the quota of running executions (2): the 429 gives the key back.
    const slow = await t.api.newFunction(user.key, { name: 'slow', source: 'export default () => new Promise((resolve) => setTimeout(resolve, 300))' });
    const route = `/v1/functions/${slow.id}/executions`;
    const running = [await post(route, user.key, 'q-1', { async: true }), await post(route, user.key, 'q-2', { async: true })];
    const refused = await post(route, user.key, 'q-3', { async: true });
    assert.equal(refused.status, 429);
    for (const answer of running) await t.api.settled(answer.body.executionId, user.key);
    const retried = await post(route, user.key, 'q-3', { async: true });
    assert.equal(retried.status, 202, retried.text);
    await t.api.settled(retried.body.executionId, user.key);
  });
});
