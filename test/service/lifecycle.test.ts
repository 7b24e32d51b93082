// The full lifecycle of every resource, over real HTTP on loopback.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestService, type TestService } from './helpers.ts';

describe('service lifecycle', () => {
  let t: TestService;
  let alice: { id: string; key: string; keyId: string };

  before(async () => {
    t = await startTestService();
    alice = await t.api.newUser(t.adminKey, 'alice');
  });
  after(() => t.close());

  it('lets the operator manage users and their keys, and a user manage their own keys', async () => {
    const { api, adminKey } = t;
    const created = await api.post('/v1/users', adminKey, { name: 'bob' });
    assert.equal(created.status, 201);
    assert.match(created.body.apiKey.key, /^tjs_[\w-]{43}$/);
    assert.equal(created.body.user.name, 'bob');
    const bobKey = created.body.apiKey.key;
    const bobId = created.body.user.id;

    assert.equal((await api.post('/v1/users', adminKey, { name: 'bob' })).status, 409);
    assert.equal((await api.get(`/v1/users/${bobId}`, adminKey)).body.name, 'bob');
    const users = await api.get('/v1/users?limit=1', adminKey);
    assert.equal(users.body.items.length, 1);
    assert.ok(users.body.nextCursor);

    assert.deepEqual((await api.get('/v1/me', bobKey)).body, created.body.user);
    const second = await api.post('/v1/keys', bobKey, { name: 'ci' });
    assert.equal(second.status, 201);
    assert.equal((await api.get('/v1/me', second.body.key)).status, 200);
    const listed = await api.get('/v1/keys', bobKey);
    assert.deepEqual(listed.body.items.map((k: { name: string }) => k.name).sort(), ['ci', 'default']);
    assert.ok(listed.body.items.every((k: Record<string, unknown>) => !('key' in k) && !('hash' in k)), 'a key is shown only when made');

    assert.equal((await api.delete(`/v1/keys/${second.body.id}`, bobKey)).status, 204);
    assert.equal((await api.get('/v1/me', second.body.key)).status, 401, 'a revoked key no longer works');
    assert.equal((await api.delete(`/v1/keys/${second.body.id}`, bobKey)).status, 404);

    const issued = await api.post(`/v1/users/${bobId}/keys`, adminKey, { name: 'ops' });
    assert.equal(issued.status, 201);
    assert.equal((await api.get(`/v1/users/${bobId}/keys`, adminKey)).body.items.length, 3);
    assert.equal((await api.delete(`/v1/users/${bobId}/keys/${issued.body.id}`, adminKey)).status, 204);
    assert.equal((await api.get('/v1/me', issued.body.key)).status, 401);

    assert.equal((await api.get('/v1/functions', adminKey)).status, 403, 'the operator key is not a tenant');
    assert.equal((await api.get('/v1/users', bobKey)).status, 403, 'a user key cannot manage users');

    assert.equal((await api.delete(`/v1/users/${bobId}`, adminKey)).status, 204);
    assert.equal((await api.get('/v1/me', bobKey)).status, 401, "a deleted user's keys die with it");
    assert.equal((await api.get(`/v1/users/${bobId}`, adminKey)).status, 404);
  });

  it('creates, lists, reads, updates (new versions) and deletes functions', async () => {
    const { api } = t;
    const fn = await api.newFunction(alice.key, {
      name: 'greet',
      description: 'says hello',
      source: 'export default (params) => `hello ${params.name}`',
      timeoutMs: 2000,
      memoryMb: 64,
      allowedSecrets: ['token'],
      allowedHosts: ['api.example.com'],
    });
    assert.equal(fn.version, 1);
    assert.equal(fn.timeoutMs, 2000);
    assert.deepEqual(fn.allowedHosts, ['api.example.com']);
    assert.ok(!('userId' in fn));

    assert.equal((await api.post('/v1/functions', alice.key, { name: 'greet', source: 'export default 1' })).status, 409);
    const script = await api.newFunction(alice.key, { name: 'classic', source: 'function main() { return params.n * 2 }' });
    assert.equal(script.timeoutMs, 30_000, 'the operator default');
    // The form each runs as: detected from the source when not given, and said so.
    assert.deepEqual([fn.form, fn.formDetected], ['module', true]);
    assert.deepEqual([script.form, script.formDetected], ['script', true]);
    const pinned = await api.newFunction(alice.key, { name: 'pinned', form: 'module', source: 'export default () => 1' });
    assert.deepEqual([pinned.form, pinned.formDetected], ['module', false]);
    assert.equal((await api.delete(`/v1/functions/${pinned.id}`, alice.key)).status, 204);

    const page1 = await api.get('/v1/functions?limit=1', alice.key);
    assert.equal(page1.body.items.length, 1);
    assert.ok(!('source' in page1.body.items[0]), 'lists carry no sources');
    const page2 = await api.get(`/v1/functions?limit=1&cursor=${page1.body.nextCursor}`, alice.key);
    assert.equal(page2.body.items.length, 1);
    assert.notEqual(page2.body.items[0].id, page1.body.items[0].id);

    const got = await api.get(`/v1/functions/${fn.id}`, alice.key);
    assert.equal(got.body.source, fn.source);

    const updated = await api.patch(`/v1/functions/${fn.id}`, alice.key, { source: 'export default (params) => `hi ${params.name}`' });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.version, 2);
    assert.equal(updated.body.description, 'says hello');
    const renamed = await api.patch(`/v1/functions/${fn.id}`, alice.key, { description: 'greets' });
    assert.equal(renamed.body.version, 3, 'every update is a new version');
    assert.equal((await api.patch(`/v1/functions/${fn.id}`, alice.key, { name: 'classic' })).status, 409);

    const versions = await api.get(`/v1/functions/${fn.id}/versions`, alice.key);
    assert.deepEqual(versions.body.items.map((v: { version: number }) => v.version), [1, 2, 3]);
    const v1 = await api.get(`/v1/functions/${fn.id}/versions/1`, alice.key);
    assert.equal(v1.body.source, fn.source);
    assert.equal((await api.get(`/v1/functions/${fn.id}/versions/9`, alice.key)).status, 404);

    const broken = await api.patch(`/v1/functions/${fn.id}`, alice.key, { source: 'export default () => {\n  return (;\n}' });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.code, 'SYNTAX_ERROR');
    assert.equal(broken.body.error.line, 2);
    assert.equal((await api.get(`/v1/functions/${fn.id}`, alice.key)).body.version, 3, 'a refused update changes nothing');

    assert.equal((await api.delete(`/v1/functions/${script.id}`, alice.key)).status, 204);
    assert.equal((await api.get(`/v1/functions/${script.id}`, alice.key)).status, 404);
    assert.equal((await api.delete(`/v1/functions/${script.id}`, alice.key)).status, 404);
  });

  it('refuses a source that does not compile, with its line and column', async () => {
    const answer = await t.api.post('/v1/functions', alice.key, { name: 'broken', source: 'function main() {\n  return 1 +;\n}' });
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, { error: { code: 'SYNTAX_ERROR', message: "SyntaxError: Unexpected token ';' (function.js:2:13)", line: 2, column: 13 } });
    const imports = await t.api.post('/v1/functions', alice.key, { name: 'imports', source: 'import fs from "node:fs";\nexport default () => 1' });
    assert.equal(imports.status, 400);
    assert.equal(imports.body.error.code, 'VALIDATION_ERROR');
    const tooLong = await t.api.post('/v1/functions', alice.key, { name: 'slow', source: 'export default 1', timeoutMs: 10 * 60_000 });
    assert.equal(tooLong.status, 400);
    assert.match(tooLong.body.error.message, /timeoutMs must be at most 60000/);
  });

  it('stores and runs TypeScript functions', async () => {
    const fn = await t.api.newFunction(alice.key, {
      name: 'typed',
      language: 'typescript',
      source: 'interface Params { a: number; b: number }\nexport default (params: Params): number => params.a + params.b',
    });
    assert.equal(fn.language, 'typescript');
    const run = await t.api.post(`/v1/functions/${fn.id}/executions`, alice.key, { params: { a: 2, b: 3 } });
    assert.equal(run.body.status, 'success', run.text);
    assert.equal(run.body.result, 5);
    const broken = await t.api.patch(`/v1/functions/${fn.id}`, alice.key, { source: 'export default (params: {a: number) => 1' });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.code, 'SYNTAX_ERROR');
  });

  it('runs functions sync and async, records the version that ran, and lists the history with filters', async () => {
    const { api } = t;
    const fn = await api.newFunction(alice.key, {
      name: 'history',
      source: 'export default (params) => { console.log("got", params.n); if (params.fail) throw new Error("asked to fail"); return { n: params.n, v: 1 } }',
    });
    const sync = await api.post(`/v1/functions/${fn.id}/executions`, alice.key, { params: { n: 1 } });
    assert.equal(sync.status, 200);
    assert.equal(sync.body.status, 'success');
    assert.deepEqual(sync.body.result, { n: 1, v: 1 });
    assert.equal(sync.body.functionVersion, 1);
    assert.deepEqual(sync.body.logs.map((l: { message: string }) => l.message), ['got 1']);
    assert.equal(sync.body.userId, alice.id);

    const original = await api.post(`/v1/functions/${fn.id}/execute`, alice.key, { params: { n: 2, fail: true } });
    assert.equal(original.status, 200);
    assert.equal(original.body.status, 'error');
    assert.equal(original.body.error.code, 'RUNTIME_ERROR');
    assert.match(original.body.error.message, /asked to fail/);

    await api.patch(`/v1/functions/${fn.id}`, alice.key, { source: 'export default (params) => ({ n: params.n, v: 2 })' });
    const queued = await api.post(`/v1/functions/${fn.id}/executions`, alice.key, { params: { n: 3 }, async: true });
    assert.equal(queued.status, 202);
    // Accepted, not started: an execution is `running` only once it is in an isolate.
    assert.equal(queued.body.status, 'queued');
    assert.equal(queued.headers.get('location'), `/v1/executions/${queued.body.executionId}`);
    const done = await api.settled(queued.body.executionId, alice.key);
    assert.equal(done.status, 'success');
    assert.deepEqual(done.result, { n: 3, v: 2 });
    assert.equal(done.functionVersion, 2);
    assert.equal(done.async, true);

    const noBody = await api.request('POST', `/v1/functions/${fn.id}/executions`, { key: alice.key });
    assert.equal(noBody.status, 200, 'a run without a body has empty params');

    const nested = await api.get(`/v1/functions/${fn.id}/executions/${sync.body.executionId}`, alice.key);
    assert.deepEqual(nested.body, sync.body);

    const all = await api.get(`/v1/functions/${fn.id}/executions`, alice.key);
    assert.equal(all.body.items.length, 4);
    assert.equal(all.body.items[3].executionId, sync.body.executionId, 'newest first');
    const errors = await api.get(`/v1/functions/${fn.id}/executions?status=error`, alice.key);
    assert.deepEqual(errors.body.items.map((e: { executionId: string }) => e.executionId), [original.body.executionId]);
    const future = await api.get(`/v1/functions/${fn.id}/executions?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, alice.key);
    assert.deepEqual(future.body.items, []);
    const past = await api.get(`/v1/functions/${fn.id}/executions?until=${encodeURIComponent(sync.body.createdAt)}`, alice.key);
    assert.deepEqual(past.body.items.map((e: { executionId: string }) => e.executionId), [sync.body.executionId]);
    const page = await api.get(`/v1/functions/${fn.id}/executions?limit=3`, alice.key);
    assert.equal(page.body.items.length, 3);
    const rest = await api.get(`/v1/functions/${fn.id}/executions?limit=3&cursor=${page.body.nextCursor}`, alice.key);
    assert.equal(rest.body.items.length, 1);

    const counted = await api.get(`/v1/functions/${fn.id}`, alice.key);
    assert.equal(counted.body.executionCount, 4);
    assert.ok(counted.body.lastExecutionAt);
  });

  it('sets, lists, reads metadata of and deletes secrets, never answering a value, with an audit trail', async () => {
    const { api } = t;
    const created = await api.put('/v1/secrets/token', alice.key, { value: 'first-value' });
    assert.equal(created.status, 201);
    assert.equal(created.body.version, 1);
    const replaced = await api.put('/v1/secrets/token', alice.key, { value: 'second-value' });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.version, 2);
    const meta = await api.get('/v1/secrets/token', alice.key);
    assert.deepEqual(Object.keys(meta.body).sort(), ['createdAt', 'name', 'updatedAt', 'version']);
    const listed = await api.get('/v1/secrets', alice.key);
    assert.deepEqual(listed.body.items.map((s: { name: string }) => s.name), ['token']);
    assert.ok(!listed.text.includes('second-value'));

    const fn = await api.newFunction(alice.key, { name: 'reader', source: 'export default () => secrets.get("token").length', allowedSecrets: ['token'] });
    const run = await api.post(`/v1/functions/${fn.id}/executions`, alice.key, { params: {} });
    assert.equal(run.body.status, 'success');
    assert.equal(run.body.result, 'second-value'.length);
    assert.deepEqual(run.body.secretsRead, ['token']);

    const notAllowed = await api.newFunction(alice.key, { name: 'sneaky', source: 'export default () => secrets.get("token")' });
    const refused = await api.post(`/v1/functions/${notAllowed.id}/executions`, alice.key, {});
    assert.equal(refused.body.status, 'error');
    assert.equal(refused.body.error.code, 'SECRET_NOT_FOUND', 'a function reads only the secrets it lists');

    assert.equal((await api.delete('/v1/secrets/token', alice.key)).status, 204);
    assert.equal((await api.get('/v1/secrets/token', alice.key)).status, 404);
    assert.equal((await api.delete('/v1/secrets/token', alice.key)).status, 404);

    const audit = await api.get('/v1/audit/secrets?name=token', alice.key);
    assert.deepEqual(
      audit.body.items.map((e: { action: string }) => e.action),
      ['delete', 'read', 'update', 'create'],
    );
    assert.equal(audit.body.items[1].executionId, run.body.executionId);
    assert.equal(audit.body.items[0].keyId, alice.keyId);
  });

  it('answers health, readiness and metrics without a key', async () => {
    const { api } = t;
    assert.deepEqual((await api.get('/health')).body, { status: 'ok' });
    assert.deepEqual((await api.get('/ready')).body, { status: 'ready' });
    const metrics = await api.get('/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /teejs_executions_total\{status="success",code="none"\} \d+/);
    assert.match(metrics.text, /teejs_executions_total\{status="error",code="RUNTIME_ERROR"\} \d+/);
    assert.match(metrics.text, /teejs_execution_duration_seconds_bucket/);
    assert.match(metrics.text, /teejs_http_requests_total\{method="POST",route="\/v1\/functions",status_code="201"\}/);
    assert.ok(!metrics.text.includes(alice.id), 'no tenant ids in metrics');
    const health = await api.get('/health');
    assert.ok(health.headers.get('x-request-id'));
    for (const answer of [health, await api.get('/v1/functions'), await api.get('/v1/no-such-route', alice.key)]) {
      assert.equal(answer.headers.get('x-content-type-options'), 'nosniff', 'every answer, errors included');
      assert.equal(answer.headers.get('x-frame-options'), 'DENY');
      assert.equal(answer.headers.get('referrer-policy'), 'no-referrer');
    }
  });
});
