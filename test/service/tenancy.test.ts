// One tenant can never reach another's functions, executions, secrets or keys: every route that
// names a resource answers 404, exactly as for a resource that does not exist.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestService, type TestService } from './helpers.ts';

describe('tenant isolation', () => {
  let t: TestService;
  let alice: { id: string; key: string; keyId: string };
  let bob: { id: string; key: string; keyId: string };
  let fnId: string;
  let executionId: string;
  let scheduleId: string;
  let hookId: string;

  before(async () => {
    t = await startTestService();
    alice = await t.api.newUser(t.adminKey, 'alice');
    bob = await t.api.newUser(t.adminKey, 'bob');
    await t.api.put('/v1/secrets/shared-name', alice.key, { value: 'alice-secret-value' });
    const fn = await t.api.newFunction(alice.key, { name: 'private', source: 'export default () => secrets.get("shared-name")', allowedSecrets: ['shared-name'] });
    fnId = fn.id;
    const run = await t.api.post(`/v1/functions/${fnId}/executions`, alice.key, {});
    assert.equal(run.body.status, 'success');
    executionId = run.body.executionId;
    scheduleId = (await t.api.post(`/v1/functions/${fnId}/schedules`, alice.key, { cron: '0 0 1 1 *' })).body.id;
    hookId = (await t.api.post(`/v1/functions/${fnId}/hooks`, alice.key, {})).body.id;
  });
  after(() => t.close());

  it('answers 404 on every route naming another tenant\'s resource, the same 404 as for nothing', async () => {
    const attempts: Array<[method: string, template: string, path: string, body?: unknown]> = [
      ['GET', '/v1/functions/{id}', `/v1/functions/${fnId}`],
      ['PATCH', '/v1/functions/{id}', `/v1/functions/${fnId}`, { description: 'mine now' }],
      ['DELETE', '/v1/functions/{id}', `/v1/functions/${fnId}`],
      ['GET', '/v1/functions/{id}/versions', `/v1/functions/${fnId}/versions`],
      ['GET', '/v1/functions/{id}/versions/{version}', `/v1/functions/${fnId}/versions/1`],
      ['POST', '/v1/functions/{id}/versions/{version}/activate', `/v1/functions/${fnId}/versions/1/activate`],
      ['POST', '/v1/functions/{id}/executions', `/v1/functions/${fnId}/executions`, {}],
      ['POST', '/v1/functions/{id}/execute', `/v1/functions/${fnId}/execute`, {}],
      ['GET', '/v1/functions/{id}/executions', `/v1/functions/${fnId}/executions`],
      ['GET', '/v1/functions/{id}/executions/{executionId}', `/v1/functions/${fnId}/executions/${executionId}`],
      ['GET', '/v1/executions/{executionId}', `/v1/executions/${executionId}`],
      ['GET', '/v1/executions/{executionId}/logs', `/v1/executions/${executionId}/logs`],
      ['GET', '/v1/secrets/{name}', '/v1/secrets/shared-name'],
      ['DELETE', '/v1/secrets/{name}', '/v1/secrets/shared-name'],
      ['DELETE', '/v1/keys/{keyId}', `/v1/keys/${alice.keyId}`],
      ['POST', '/v1/functions/{id}/schedules', `/v1/functions/${fnId}/schedules`, { cron: '* * * * *' }],
      ['GET', '/v1/functions/{id}/schedules', `/v1/functions/${fnId}/schedules`],
      ['GET', '/v1/functions/{id}/schedules/{scheduleId}', `/v1/functions/${fnId}/schedules/${scheduleId}`],
      ['PATCH', '/v1/functions/{id}/schedules/{scheduleId}', `/v1/functions/${fnId}/schedules/${scheduleId}`, { enabled: false }],
      ['DELETE', '/v1/functions/{id}/schedules/{scheduleId}', `/v1/functions/${fnId}/schedules/${scheduleId}`],
      ['POST', '/v1/functions/{id}/hooks', `/v1/functions/${fnId}/hooks`, {}],
      ['GET', '/v1/functions/{id}/hooks', `/v1/functions/${fnId}/hooks`],
      ['DELETE', '/v1/functions/{id}/hooks/{hookId}', `/v1/functions/${fnId}/hooks/${hookId}`],
      ['GET', '/v1/functions/{id}/hooks/{hookId}/rejections', `/v1/functions/${fnId}/hooks/${hookId}/rejections`],
    ];
    for (const [method, , path, body] of attempts) {
      const answer = await t.api.request(method, path, { key: bob.key, ...(body !== undefined ? { body } : {}) });
      assert.equal(answer.status, 404, `${method} ${path} as another tenant`);
      // Same answer as for an id that never existed: no hint that it exists.
      const nothing = await t.api.request(method, path.replace(fnId, 'f0000000-0000-4000-8000-000000000000').replace(executionId, 'e0000000-0000-4000-8000-000000000000').replace('shared-name', 'no-such-name').replace(alice.keyId, 'k0000000-0000-4000-8000-000000000000').replace(scheduleId, 's0000000-0000-4000-8000-000000000000').replace(hookId, 'h0000000000000000000000000000000'), {
        key: bob.key,
        ...(body !== undefined ? { body } : {}),
      });
      assert.equal(nothing.status, 404);
      assert.deepEqual(answer.body, nothing.body, `${method} ${path}: the 404 says nothing more`);
    }

    // Every route with a resource in its path was tried (the OpenAPI document lists them all),
    // except the operator's, which a user key cannot use at all (403 on every one).
    const document = (await t.api.get('/openapi.json')).body;
    const tried = new Set(attempts.map(([method, template]) => `${method} ${template}`));
    for (const [template, operations] of Object.entries(document.paths as Record<string, Record<string, unknown>>)) {
      if (!template.includes('{') || template.startsWith('/v1/users')) continue;
      for (const method of Object.keys(operations)) {
        const route = `${method.toUpperCase()} ${template}`;
        if (route === 'PUT /v1/secrets/{name}') continue; // creates the caller's own secret: checked below
        // No key at all: the hook's own secret is its credential (test/service/hooks.test.ts).
        if (route === 'POST /v1/hooks/{hookId}') continue;
        assert.ok(tried.has(route), `cross-tenant attempt missing for ${route}`);
      }
    }
    for (const [method, path] of [['GET', `/v1/users/${alice.id}`], ['DELETE', `/v1/users/${alice.id}`], ['GET', `/v1/users/${alice.id}/keys`], ['POST', `/v1/users/${alice.id}/keys`], ['DELETE', `/v1/users/${alice.id}/keys/${alice.keyId}`], ['GET', `/v1/users/${alice.id}/usage`]] as const) {
      const answer = await t.api.request(method, path, { key: bob.key, ...(method === 'POST' ? { body: {} } : {}) });
      assert.equal(answer.status, 403, `${method} ${path} with a user key`);
    }

    // Nothing changed for alice.
    const fn = await t.api.get(`/v1/functions/${fnId}`, alice.key);
    assert.equal(fn.status, 200);
    assert.equal(fn.body.version, 1);
    assert.equal((await t.api.get('/v1/me', alice.key)).status, 200);
    assert.equal((await t.api.get('/v1/secrets/shared-name', alice.key)).body.version, 1);
  });

  it('shows each tenant only their own lists', async () => {
    for (const path of ['/v1/functions', '/v1/secrets', '/v1/audit/secrets', '/v1/keys']) {
      const answer = await t.api.get(path, bob.key);
      assert.equal(answer.status, 200);
      assert.ok(!answer.text.includes(fnId) && !answer.text.includes('shared-name') && !answer.text.includes(alice.keyId), `${path} shows nothing of alice`);
    }
  });

  it("keeps secrets apart: a same-named secret is the caller's own, and a guest reads only its user's", async () => {
    const own = await t.api.put('/v1/secrets/shared-name', bob.key, { value: 'bob-secret-value' });
    assert.equal(own.status, 201, "bob's secret is new, alice's untouched");
    assert.equal((await t.api.get('/v1/secrets/shared-name', alice.key)).body.version, 1);

    const fn = await t.api.newFunction(bob.key, { name: 'reader', source: 'export default () => secrets.get("shared-name").slice(0, 3)', allowedSecrets: ['shared-name'] });
    const run = await t.api.post(`/v1/functions/${fn.id}/executions`, bob.key, {});
    assert.equal(run.body.result, 'bob');
    const aliceRun = await t.api.post(`/v1/functions/${fnId}/executions`, alice.key, {});
    assert.equal(aliceRun.body.result, '[REDACTED]', "alice's function still reads alice's secret (redacted in the result)");

    await t.api.delete('/v1/secrets/shared-name', bob.key);
    const missing = await t.api.post(`/v1/functions/${fn.id}/executions`, bob.key, {});
    assert.equal(missing.body.error.code, 'SECRET_NOT_FOUND', "bob's function never falls back to alice's secret");
  });
});
