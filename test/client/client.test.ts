// teejs/client against a real service: functions, executions and secrets through the typed
// client, and error answers as TeejsApiError.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, TeejsApiError, unwrap, waitForExecution, type TeejsClient } from '../../src/client/index.ts';
import { startTestService, type TestService } from '../service/helpers.ts';

describe('teejs/client', () => {
  let t: TestService;
  let client: TeejsClient;

  before(async () => {
    t = await startTestService();
    const admin = createClient({ baseUrl: t.url, apiKey: t.adminKey });
    const created = await unwrap(admin.POST('/v1/users', { body: { name: 'client-user' } }));
    client = createClient({ baseUrl: t.url, apiKey: created.apiKey.key });
  });
  after(() => t.close());

  it('creates, lists, changes and versions functions', async () => {
    const fn = await unwrap(client.POST('/v1/functions', { body: { name: 'adder', source: 'export default (p) => p.a + p.b' } }));
    assert.equal(fn.version, 1);
    const page = await unwrap(client.GET('/v1/functions', { params: { query: { limit: 10 } } }));
    assert.deepEqual(page.items.map((item) => item.name), ['adder']);
    const changed = await unwrap(client.PATCH('/v1/functions/{id}', { params: { path: { id: fn.id } }, body: { source: 'export default (p) => p.a * p.b' } }));
    assert.equal(changed.version, 2);
    const versions = await unwrap(client.GET('/v1/functions/{id}/versions', { params: { path: { id: fn.id } } }));
    assert.deepEqual(versions.items.map((version) => version.version), [1, 2]);
    const first = await unwrap(client.GET('/v1/functions/{id}/versions/{version}', { params: { path: { id: fn.id, version: 1 } } }));
    assert.match(first.source, /p\.a \+ p\.b/);
  });

  it('runs functions synchronously and in the background, and lists their executions', async () => {
    const fn = await unwrap(client.POST('/v1/functions', { body: { name: 'greeter', source: 'export default (p) => { console.log("hi", p.who); return `hello ${p.who}` }' } }));
    const sync = await client.POST('/v1/functions/{id}/executions', { params: { path: { id: fn.id } }, body: { params: { who: 'sync' } } });
    assert.equal(sync.response.status, 200);
    assert.ok(sync.data && 'result' in sync.data);
    assert.equal(sync.data.result, 'hello sync');
    assert.equal(sync.data.logs[0]?.message, 'hi sync');

    const started = await client.POST('/v1/functions/{id}/executions', { params: { path: { id: fn.id } }, body: { params: { who: 'async' }, async: true } });
    assert.equal(started.response.status, 202);
    const executionId = started.data!.executionId;
    const done = await waitForExecution(client, executionId, { intervalMs: 20, timeoutMs: 20_000 });
    assert.equal(done.status, 'success');
    assert.equal(done.result, 'hello async');

    const history = await unwrap(client.GET('/v1/functions/{id}/executions', { params: { path: { id: fn.id }, query: { limit: 1 } } }));
    assert.equal(history.items.length, 1);
    assert.ok(history.nextCursor);
    const rest = await unwrap(client.GET('/v1/functions/{id}/executions', { params: { path: { id: fn.id }, query: { cursor: history.nextCursor!, status: 'success' } } }));
    assert.equal(rest.items.length, 1);
  });

  it('sets, lists and deletes secrets without ever answering a value', async () => {
    const created = await client.PUT('/v1/secrets/{name}', { params: { path: { name: 'TOKEN' } }, body: { value: 's3cret' } });
    assert.equal(created.response.status, 201);
    const replaced = await unwrap(client.PUT('/v1/secrets/{name}', { params: { path: { name: 'TOKEN' } }, body: { value: 'other' } }));
    assert.equal(replaced.version, 2);
    const list = await unwrap(client.GET('/v1/secrets'));
    assert.deepEqual(list.items.map((secret) => secret.name), ['TOKEN']);
    assert.ok(!JSON.stringify(list).includes('s3cret'));
    await unwrap(client.DELETE('/v1/secrets/{name}', { params: { path: { name: 'TOKEN' } } }));
    assert.deepEqual((await unwrap(client.GET('/v1/secrets'))).items, []);
  });

  it('turns error answers into TeejsApiError with code, status and position', async () => {
    await assert.rejects(unwrap(client.GET('/v1/functions/{id}', { params: { path: { id: 'missing' } } })), (error: unknown) => {
      assert.ok(error instanceof TeejsApiError);
      assert.equal(error.status, 404);
      assert.equal(error.code, 'NOT_FOUND');
      assert.ok(error.requestId);
      return true;
    });
    await assert.rejects(unwrap(client.POST('/v1/functions', { body: { name: 'broken', source: 'export default () => {\n  return (\n}' } })), (error: unknown) => {
      assert.ok(error instanceof TeejsApiError);
      assert.equal(error.code, 'SYNTAX_ERROR');
      assert.equal(error.line, 3);
      assert.equal(typeof error.column, 'number');
      return true;
    });
    const unauthenticated = createClient({ baseUrl: t.url });
    const answer = await unauthenticated.GET('/v1/functions');
    assert.equal(answer.response.status, 401);
    assert.equal(answer.error?.error.code, 'UNAUTHORIZED');
  });
});
