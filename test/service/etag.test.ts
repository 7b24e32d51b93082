// ETag and If-Match on a function (RFC 9110): two editors never overwrite each other silently.
// The store checks the state again in the change's own transaction, so two changes sent at
// once with the same If-Match cannot both win.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestService, type TestService } from './helpers.ts';

describe('ETag and If-Match on functions', () => {
  let t: TestService;
  let key: string;
  before(async () => {
    t = await startTestService([]);
    key = (await t.api.newUser(t.adminKey, 'editor')).key;
  });
  after(() => t.close());

  it('a change with the ETag last read is made; with an older one it is a 412 and changes nothing', async () => {
    const fn = await t.api.newFunction(key, { name: 'edited', source: 'export default () => 1' });
    const read = await t.api.get(`/v1/functions/${fn.id}`, key);
    const etag = read.headers.get('etag');
    assert.match(etag ?? '', /^"v1-\d+"$/);
    const first = await t.api.request('PATCH', `/v1/functions/${fn.id}`, { key, body: { description: 'first' }, headers: { 'if-match': etag! } });
    assert.equal(first.status, 200, first.text);
    assert.notEqual(first.headers.get('etag'), etag);
    const second = await t.api.request('PATCH', `/v1/functions/${fn.id}`, { key, body: { description: 'second' }, headers: { 'if-match': etag! } });
    assert.equal(second.status, 412, second.text);
    assert.equal(second.body.error.code, 'PRECONDITION_FAILED');
    const now = await t.api.get(`/v1/functions/${fn.id}`, key);
    assert.equal(now.body.description, 'first');
    assert.equal(now.body.version, 2);
    // Without If-Match, or with *, a change is made as before.
    assert.equal((await t.api.request('PATCH', `/v1/functions/${fn.id}`, { key, body: { description: 'third' }, headers: { 'if-match': '*' } })).status, 200);
    assert.equal((await t.api.patch(`/v1/functions/${fn.id}`, key, { description: 'fourth' })).status, 200);
    // A weak tag never matches (strong comparison).
    const weak = `W/${(await t.api.get(`/v1/functions/${fn.id}`, key)).headers.get('etag')}`;
    assert.equal((await t.api.request('PATCH', `/v1/functions/${fn.id}`, { key, body: { description: 'weak' }, headers: { 'if-match': weak } })).status, 412);
  });

  it('two changes sent at once with the same If-Match: one is made, the other is a 412', async () => {
    const fn = await t.api.newFunction(key, { name: 'raced', source: 'export default () => 1' });
    const etag = (await t.api.get(`/v1/functions/${fn.id}`, key)).headers.get('etag')!;
    const answers = await Promise.all(
      ['a', 'b', 'c'].map((description) => t.api.request('PATCH', `/v1/functions/${fn.id}`, { key, body: { description }, headers: { 'if-match': etag } })),
    );
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 412, 412]);
    assert.equal((await t.api.get(`/v1/functions/${fn.id}/versions`, key)).body.items.length, 2, 'one new version, not three');
  });
});
