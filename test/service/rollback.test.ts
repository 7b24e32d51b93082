// Activating an older version of a function (a rollback): it is what runs from then on, no
// version is changed, and the next change is numbered after the newest.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestService, type TestService } from './helpers.ts';

describe('function rollback', () => {
  let t: TestService;
  let key: string;

  before(async () => {
    t = await startTestService();
    key = (await t.api.newUser(t.adminKey, 'roller')).key;
  });
  after(() => t.close());

  it('runs the activated version, keeps every version, and numbers the next change after the newest', async () => {
    const fn = await t.api.newFunction(key, { name: 'roll', source: 'export default () => "one"' });
    assert.equal((await t.api.patch(`/v1/functions/${fn.id}`, key, { source: 'export default () => "two"' })).body.version, 2);
    const before = (await t.api.get(`/v1/functions/${fn.id}/versions`, key)).body;

    const activated = await t.api.post(`/v1/functions/${fn.id}/versions/1/activate`, key);
    assert.equal(activated.status, 200, activated.text);
    assert.equal(activated.body.version, 1);
    assert.equal(activated.body.source, 'export default () => "one"');
    const run = await t.api.post(`/v1/functions/${fn.id}/executions`, key, {});
    assert.deepEqual([run.body.result, run.body.functionVersion], ['one', 1]);
    assert.deepEqual((await t.api.get(`/v1/functions/${fn.id}/versions`, key)).body, before, 'no history rewritten');

    const next = await t.api.patch(`/v1/functions/${fn.id}`, key, { description: 'fixed' });
    assert.equal(next.body.version, 3);
    assert.equal(next.body.source, 'export default () => "one"');
    const forward = await t.api.post(`/v1/functions/${fn.id}/versions/2/activate`, key);
    assert.equal(forward.body.version, 2);
    assert.equal((await t.api.post(`/v1/functions/${fn.id}/executions`, key, {})).body.result, 'two');
  });

  it('refuses a version that does not exist, another user\'s function, and a version that is not a number', async () => {
    const fn = await t.api.newFunction(key, { name: 'only-one', source: 'export default () => 1' });
    const missing = await t.api.post(`/v1/functions/${fn.id}/versions/7/activate`, key);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.message, 'function version not found');
    const mallory = (await t.api.newUser(t.adminKey, 'mallory')).key;
    assert.equal((await t.api.post(`/v1/functions/${fn.id}/versions/1/activate`, mallory)).status, 404);
    const bad = await t.api.post(`/v1/functions/${fn.id}/versions/first/activate`, key);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.message, 'params/version must be a whole number from 1 to 999999999');
    assert.equal((await t.api.get(`/v1/functions/${fn.id}`, key)).body.version, 1);
  });
});

describe('a run that names a version', () => {
  let t: TestService;
  before(async () => {
    t = await startTestService([]);
  });
  after(() => t.close());

  it('runs that version, records it, and leaves the active one as it is; an unknown one is a 404', async () => {
    const user = await t.api.newUser(t.adminKey, 'pinner');
    const fn = await t.api.newFunction(user.key, { name: 'pinned', source: 'export default () => "one"' });
    assert.equal((await t.api.patch(`/v1/functions/${fn.id}`, user.key, { source: 'export default () => "two"' })).status, 200);
    const old = await t.api.post(`/v1/functions/${fn.id}/executions`, user.key, { version: 1 });
    assert.equal(old.status, 200, old.text);
    assert.equal(old.body.result, 'one');
    assert.equal(old.body.functionVersion, 1);
    const active = await t.api.post(`/v1/functions/${fn.id}/executions`, user.key, {});
    assert.equal(active.body.result, 'two');
    assert.equal((await t.api.get(`/v1/functions/${fn.id}`, user.key)).body.version, 2);
    const queued = await t.api.post(`/v1/functions/${fn.id}/executions`, user.key, { version: 1, async: true });
    assert.equal(queued.status, 202, queued.text);
    assert.equal(queued.body.functionVersion, 1);
    const missing = await t.api.post(`/v1/functions/${fn.id}/executions`, user.key, { version: 9 });
    assert.equal(missing.status, 404);
    assert.match(missing.body.error.message, /version 9/);
  });
});
