// What a misbehaving client gets: always JSON `{ error: { code, message } }` with the right
// status, never a stack trace, never a 500.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestService, type Answer, type TestService } from './helpers.ts';

function assertError(answer: Answer, status: number, code: string, message?: RegExp): void {
  assert.equal(answer.status, status, `expected ${status}, got ${answer.status}: ${answer.text}`);
  assert.equal(answer.body?.error?.code, code, answer.text);
  assert.equal(typeof answer.body.error.message, 'string');
  if (message) assert.match(answer.body.error.message, message);
  assert.ok(!/\n\s+at /.test(answer.text), 'no stack trace');
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
}

describe('bad input', () => {
  let t: TestService;
  let alice: { id: string; key: string; keyId: string };
  let fnId: string;

  before(async () => {
    t = await startTestService(['--body-limit', '65536', '--max-functions', '3', '--max-secrets', '2', '--max-secret-bytes', '64', '--max-running', '1']);
    alice = await t.api.newUser(t.adminKey, 'alice');
    fnId = (await t.api.newFunction(alice.key, { name: 'ok', source: 'export default (p) => p' })).id;
  });
  after(() => t.close());

  it('answers 400 for malformed JSON and schema violations, naming the field', async () => {
    const { api } = t;
    const cases: Array<[string, () => Promise<Answer>, RegExp]> = [
      ['broken JSON', () => api.request('POST', '/v1/functions', { key: alice.key, raw: '{"name": ', headers: { 'content-type': 'application/json' } }), /JSON/],
      ['empty JSON body', () => api.request('POST', '/v1/functions', { key: alice.key, raw: '', headers: { 'content-type': 'application/json' } }), /empty|JSON/i],
      ['missing field', () => api.post('/v1/functions', alice.key, { name: 'x' }), /source/],
      ['wrong type', () => api.post('/v1/functions', alice.key, { name: 'x', source: 'export default 1', timeoutMs: '5' }), /timeoutMs/],
      ['bad name', () => api.post('/v1/functions', alice.key, { name: '../etc', source: 'export default 1' }), /name/],
      ['unknown field', () => api.post('/v1/functions', alice.key, { name: 'x', source: 'export default 1', timeout: 5 }), /additional|timeout/],
      ['NUL in source', () => api.post('/v1/functions', alice.key, { name: 'x', source: 'export default 1\u0000' }), /source/],
      ['memory below the minimum', () => api.post('/v1/functions', alice.key, { name: 'x', source: 'export default 1', memoryMb: 1 }), /memoryMb/],
      ['bad host', () => api.post('/v1/functions', alice.key, { name: 'x', source: 'export default 1', allowedHosts: ['http://evil/'] }), /allowedHosts/],
      ['empty update', () => api.patch(`/v1/functions/${fnId}`, alice.key, {}), /body/],
      ['params too deep', () => api.post(`/v1/functions/${fnId}/executions`, alice.key, { params: JSON.parse('['.repeat(80) + ']'.repeat(80)) }), /params/],
      ['async not a boolean', () => api.post(`/v1/functions/${fnId}/executions`, alice.key, { async: 'yes' }), /async/],
      ['bad page size', () => api.get('/v1/functions?limit=1000', alice.key), /limit/],
      ['bad cursor', () => api.get('/v1/functions?cursor=abc', alice.key), /cursor/],
      ['bad status filter', () => api.get(`/v1/functions/${fnId}/executions?status=weird`, alice.key), /status/],
      ['bad time filter', () => api.get(`/v1/functions/${fnId}/executions?since=yesterday`, alice.key), /since/],
      ['bad secret name', () => api.put('/v1/secrets/bad%20name', alice.key, { value: 'x' }), /name/],
      ['secret value not a string', () => api.put('/v1/secrets/token', alice.key, { value: 5 }), /value/],
    ];
    for (const [what, send, message] of cases) {
      const answer = await send();
      assert.equal(answer.status, 400, `${what}: ${answer.text}`);
      assert.ok(['VALIDATION_ERROR', 'MALFORMED_JSON'].includes(answer.body.error.code), `${what}: ${answer.text}`);
      assertError(answer, 400, answer.body.error.code, message);
    }
  });

  it('refuses a time or memory limit out of range on create and update, in the words of the engine and the CLI', async () => {
    const { api } = t;
    const time = /^the time limit \(body\/timeoutMs\) must be a whole number of milliseconds from 1 to 900000, got /;
    const memory = /^the memory limit \(body\/memoryMb\) must be a whole number of megabytes from 8 to 4096, got /;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ timeoutMs: 0 }, time],
      [{ timeoutMs: 99999999999 }, time],
      [{ timeoutMs: 1.5 }, time],
      [{ timeoutMs: null }, time],
      [{ memoryMb: 4 }, memory],
      [{ memoryMb: 999999 }, memory],
      [{ memoryMb: '64' }, memory],
    ];
    for (const [limits, message] of cases) {
      assertError(await api.post('/v1/functions', alice.key, { name: 'limits', source: 'export default 1', ...limits }), 400, 'VALIDATION_ERROR', message);
      assertError(await api.patch(`/v1/functions/${fnId}`, alice.key, limits), 400, 'VALIDATION_ERROR', message);
    }
    assert.equal((await api.get(`/v1/functions/${fnId}`, alice.key)).body.version, 1, 'no refused update made a version');
  });

  it('answers 401 without a valid key, and 404 for unknown routes and resources', async () => {
    const { api } = t;
    assertError(await api.get('/v1/functions'), 401, 'UNAUTHORIZED');
    assertError(await api.get('/v1/functions', 'tjs_not-a-real-key'), 401, 'UNAUTHORIZED');
    assertError(await api.request('GET', '/v1/functions', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 401, 'UNAUTHORIZED');
    assertError(await api.request('GET', '/v1/functions', { headers: { 'x-api-key': 'wrong' } }), 401, 'UNAUTHORIZED');
    assert.equal((await api.request('GET', '/v1/functions', { headers: { 'x-api-key': alice.key } })).status, 200, 'X-API-Key works');
    assert.equal((await api.get('/v1/functions')).headers.get('www-authenticate'), 'Bearer');
    assertError(await api.request('POST', '/v1/functions', { raw: '{not json', headers: { 'content-type': 'application/json' } }), 401, 'UNAUTHORIZED');
    assertError(await api.get('/v1/nothing-here', alice.key), 404, 'NOT_FOUND');
    assertError(await api.get('/nothing'), 404, 'NOT_FOUND');
    assertError(await api.get('/v1/functions/does-not-exist', alice.key), 404, 'NOT_FOUND');
    assertError(await api.get(`/v1/functions/${'x'.repeat(5000)}`, alice.key), 414, 'URI_TOO_LONG');
    assertError(await api.get('/v1/functions/%E0%A4%A', alice.key), 400, 'VALIDATION_ERROR');
    // A NUL byte never reaches a query (PostgreSQL would refuse it with an error of its own).
    assertError(await api.get('/v1/functions/a%00b', alice.key), 400, 'VALIDATION_ERROR', /params\/id/);
    assertError(await api.get('/v1/secrets/a%00b', alice.key), 400, 'VALIDATION_ERROR', /params\/name/);
    assertError(await api.get('/v1/audit/secrets?name=a%00b', alice.key), 400, 'VALIDATION_ERROR', /name/);
  });

  it('answers 503 in the same format while shutting down', async () => {
    const { lifecycle } = t.service.context;
    lifecycle.closing = true;
    try {
      const answer = await t.service.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${alice.key}` } });
      assert.equal(answer.statusCode, 503);
      assert.deepEqual(answer.json(), { error: { code: 'SERVICE_UNAVAILABLE', message: 'the server is shutting down; retry shortly' } });
      assert.equal(answer.headers['retry-after'], '5');
    } finally {
      lifecycle.closing = false;
    }
  });

  it('answers 413 for an oversized body and 415 for a body that is not JSON', async () => {
    const { api } = t;
    assertError(await api.post('/v1/functions', alice.key, { name: 'big', source: `export default ${JSON.stringify('x'.repeat(70_000))}` }), 413, 'PAYLOAD_TOO_LARGE');
    assertError(await api.request('POST', '/v1/functions', { key: alice.key, raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    assertError(await api.request('POST', '/v1/functions', { key: alice.key, raw: 'export default 1', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 429 with Retry-After when a quota is reached', async () => {
    const { api } = t;
    await api.newFunction(alice.key, { name: 'two', source: 'export default 2' });
    await api.newFunction(alice.key, { name: 'three', source: 'export default 3' });
    const over = await api.post('/v1/functions', alice.key, { name: 'four', source: 'export default 4' });
    assertError(over, 429, 'QUOTA_EXCEEDED', /3 functions/);
    assert.ok(Number(over.headers.get('retry-after')) > 0);

    assertError(await api.put('/v1/secrets/big', alice.key, { value: 'x'.repeat(65) }), 429, 'QUOTA_EXCEEDED', /64 bytes/);
    assert.equal((await api.put('/v1/secrets/a', alice.key, { value: 'x'.repeat(64) })).status, 201);
    assert.equal((await api.put('/v1/secrets/b', alice.key, { value: 'y' })).status, 201);
    const secrets = await api.put('/v1/secrets/c', alice.key, { value: 'z' });
    assertError(secrets, 429, 'QUOTA_EXCEEDED', /2 secrets/);
    assert.ok(secrets.headers.get('retry-after'));

    // One execution at a time for this user: a second while the first runs is refused.
    await api.patch(`/v1/functions/${fnId}`, alice.key, { source: 'export default () => new Promise((r) => setTimeout(() => r(1), 1500))' });
    const first = await api.post(`/v1/functions/${fnId}/executions`, alice.key, { async: true });
    assert.equal(first.status, 202);
    const second = await api.post(`/v1/functions/${fnId}/executions`, alice.key, {});
    assertError(second, 429, 'QUOTA_EXCEEDED', /executions running/);
    assert.equal(second.headers.get('retry-after'), '1');
    await api.settled(first.body.executionId, alice.key);
    assert.equal((await api.post(`/v1/functions/${fnId}/executions`, alice.key, { async: true })).status, 202, 'free again once it finished');
  });
});

describe('rate limits', () => {
  let t: TestService;

  before(async () => {
    t = await startTestService(['--rate-limit', '5']);
  });
  after(() => t.close());

  it('answers 429 with Retry-After past the per-key limit, counting keys apart', async () => {
    const { api } = t;
    const alice = await api.newUser(t.adminKey, 'alice');
    const bob = await api.newUser(t.adminKey, 'bob');
    for (let i = 0; i < 5; i++) assert.equal((await api.get('/v1/me', alice.key)).status, 200);
    const limited = await api.get('/v1/me', alice.key);
    assertError(limited, 429, 'RATE_LIMITED', /5 requests per minute/);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal((await api.get('/v1/me', bob.key)).status, 200, "another key has its own budget");
    // Guessing keys is limited too (per address), and health checks are never limited.
    for (let i = 0; i < 5; i++) await api.get('/v1/me', `tjs_guess${i}`);
    assertError(await api.get('/v1/me', 'tjs_guess-more'), 429, 'RATE_LIMITED');
    for (let i = 0; i < 8; i++) assert.equal((await api.get('/health')).status, 200);
  });
});
