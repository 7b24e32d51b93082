// The service end to end on PostgreSQL (in a fresh schema of TEEJS_TEST_DATABASE_URL's
// database): the storage suite covers the store, this covers the service's use of it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startTestService, type TestService } from './helpers.ts';

const url = process.env.TEEJS_TEST_DATABASE_URL;

describe('service on PostgreSQL', { skip: url ? false : 'set TEEJS_TEST_DATABASE_URL=postgres://USER:PASSWORD@127.0.0.1:5432/DB to run it' }, () => {
  const schema = `teejs_service_${randomBytes(6).toString('hex')}`;
  let t: TestService;

  before(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.end();
    const databaseUrl = new URL(url!);
    databaseUrl.searchParams.set('options', `-c search_path=${schema}`);
    t = await startTestService([], { DATABASE_URL: databaseUrl.toString() });
  });
  after(async () => {
    await t?.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it('runs the whole cycle: users, secrets, functions, sync and async executions, history, audit', async () => {
    const { api } = t;
    assert.equal(t.service.store.kind, 'postgres');
    const alice = await api.newUser(t.adminKey, 'alice');
    const bob = await api.newUser(t.adminKey, 'bob');
    assert.equal((await api.put('/v1/secrets/token', alice.key, { value: 'pg-secret-4711' })).status, 201);
    const fn = await api.newFunction(alice.key, {
      name: 'pg',
      allowedSecrets: ['token'],
      source: 'export default (params) => { console.log("\\u0000 nul and", secrets.get("token")); return { n: params.n, k: secrets.get("token") } }',
    });
    const sync = await api.post(`/v1/functions/${fn.id}/executions`, alice.key, { params: { n: 1, nul: '\u0000' } });
    assert.equal(sync.body.status, 'success', sync.text);
    assert.deepEqual(sync.body.result, { n: 1, k: '[REDACTED]' });
    assert.equal(sync.body.logs[0].message, '\u0000 nul and [REDACTED]');
    const queued = await api.post(`/v1/functions/${fn.id}/executions`, alice.key, { params: { n: 2 }, async: true });
    assert.equal(queued.status, 202);
    assert.deepEqual((await api.settled(queued.body.executionId, alice.key)).result, { n: 2, k: '[REDACTED]' });
    const history = await api.get(`/v1/functions/${fn.id}/executions?status=success&limit=1`, alice.key);
    assert.equal(history.body.items.length, 1);
    assert.ok(history.body.nextCursor);
    assert.equal((await api.get(`/v1/functions/${fn.id}/executions?since=${encodeURIComponent(sync.body.createdAt)}`, alice.key)).body.items.length, 2);
    const audit = await api.get('/v1/audit/secrets?name=token', alice.key);
    assert.deepEqual(audit.body.items.map((e: { action: string }) => e.action), ['read', 'read', 'create']);
    assert.equal((await api.patch(`/v1/functions/${fn.id}`, alice.key, { description: 'v2' })).body.version, 2);
    assert.equal((await api.get(`/v1/functions/${fn.id}`, bob.key)).status, 404);
    assert.equal((await api.get(`/v1/executions/${sync.body.executionId}`, bob.key)).status, 404);
    assert.equal((await api.delete(`/v1/functions/${fn.id}`, alice.key)).status, 204);
    assert.equal((await api.get('/ready')).status, 200);
  });
});
