// The service side of the web console: /console's static files with their security headers
// (also on a 304 and a 404), the syntax check editors call as the source is typed, and the
// operator's usage of a user against the quotas. Who may call what is checked for each.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { consoleSecurityHeaders } from '../../src/service/console/routes.ts';
import { startTestService, type TestService } from './helpers.ts';
import { EventStreamParser } from '../../src/console/event-stream.ts';

describe('the console routes', () => {
  let service: TestService;
  let user: { id: string; key: string };
  let other: { id: string; key: string };

  before(async () => {
    service = await startTestService(['--max-functions', '7', '--max-running', '4']);
    user = await service.api.newUser(service.adminKey, 'ann');
    other = await service.api.newUser(service.adminKey, 'ben');
  });
  after(() => service.close());

  const assertSecurityHeaders = (headers: Headers, what: string) => {
    for (const [name, value] of Object.entries(consoleSecurityHeaders)) assert.equal(headers.get(name), value, `${what}: ${name}`);
    assert.match(headers.get('content-security-policy')!, /default-src 'none'/);
    assert.doesNotMatch(headers.get('content-security-policy')!, /unsafe-inline|unsafe-eval|https?:/, 'no inline code, no other host');
  };

  it('serves the page, its script and style without a key, each with the security headers', async () => {
    for (const [route, type] of [
      ['/console', 'text/html'],
      ['/console/', 'text/html'],
      ['/console/app.js', 'text/javascript'],
      ['/console/app.css', 'text/css'],
      ['/console/icon.svg', 'image/svg+xml'],
    ] as const) {
      const response = await fetch(`${service.url}${route}`);
      assert.equal(response.status, 200, route);
      assert.ok(response.headers.get('content-type')!.startsWith(type), `${route}: ${response.headers.get('content-type')}`);
      assertSecurityHeaders(response.headers, route);
      const text = await response.text();
      if (type === 'text/html') {
        assert.match(text, /<script type="module" src="\/console\/app\.js"><\/script>/);
        assert.doesNotMatch(text.replace(/<script[^>]*src=[^>]*><\/script>/g, ''), /<script|style=/, 'no inline script or style in the page');
      }
    }
  });

  it('answers 304 to a repeated request, and 404 for anything else under /console, with the same headers', async () => {
    const first = await fetch(`${service.url}/console/app.js`);
    await first.arrayBuffer();
    const again = await fetch(`${service.url}/console/app.js`, { headers: { 'if-none-match': first.headers.get('etag')! } });
    assert.equal(again.status, 304);
    assertSecurityHeaders(again.headers, '304');
    for (const route of ['/console/nothing.js', '/console/a/b/c', '/console/..%2fpackage.json']) {
      const missing = await fetch(`${service.url}${route}`);
      assert.equal(missing.status, 404, route);
      assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
      assertSecurityHeaders(missing.headers, route);
    }
  });

  it('checks a source as saving would: 200 with the error at its line, or ok', async () => {
    const check = (key: string | undefined, body: unknown) => service.api.post('/v1/functions/syntax-check', key, body);
    const good = await check(user.key, { source: 'export default () => 1' });
    assert.equal(good.status, 200);
    assert.deepEqual(good.body, { ok: true, error: null });
    const bad = await check(user.key, { source: 'export default () => {\n  return 1 +;\n}' });
    assert.equal(bad.status, 200);
    assert.equal(bad.body.ok, false);
    assert.equal(bad.body.error.code, 'SYNTAX_ERROR');
    assert.equal(bad.body.error.line, 2);
    assert.equal(typeof bad.body.error.column, 'number');
    const typescript = await check(user.key, { source: 'interface P { n: number }\nexport default (p: P) => {\n  return p.n +;\n}', language: 'typescript' });
    assert.equal(typescript.body.error.line, 3, 'TypeScript at its own lines');
    assert.equal((await check(user.key, { source: 'function main() { return 1 }', form: 'module' })).body.ok, true);
    assert.equal((await check(user.key, { source: 'import x from "y"; export default x' })).body.error.code, 'VALIDATION_ERROR');
    // The same answer a save gives for the same source.
    const saved = await service.api.post('/v1/functions', user.key, { name: 'broken', source: 'export default () => {\n  return 1 +;\n}' });
    assert.equal(saved.status, 400);
    assert.equal(saved.body.error.line, bad.body.error.line);
    assert.equal(saved.body.error.message, bad.body.error.message);
  });

  it('refuses a syntax check without a user key, with the operator key, or with a bad body', async () => {
    assert.equal((await service.api.post('/v1/functions/syntax-check', undefined, { source: 'x' })).status, 401);
    assert.equal((await service.api.post('/v1/functions/syntax-check', service.adminKey, { source: 'x' })).status, 403);
    assert.equal((await service.api.post('/v1/functions/syntax-check', user.key, {})).status, 400);
    assert.equal((await service.api.post('/v1/functions/syntax-check', user.key, { source: 'x', extra: 1 })).status, 400);
    assert.equal((await service.api.post('/v1/functions/syntax-check', user.key, { source: 'x', language: 'python' })).status, 400);
    const large = await service.api.post('/v1/functions/syntax-check', user.key, { source: `// ${'x'.repeat(1024 * 1024)}` });
    assert.equal(large.status, 400);
    assert.match(large.body.error.message, /over the limit/);
  });

  it("answers a user's usage against the quotas to the operator only", async () => {
    const fn = await service.api.newFunction(user.key, { name: 'sleepy', source: 'export default () => new Promise((resolve) => setTimeout(resolve, 60000))', timeoutMs: 60000 });
    await service.api.newFunction(user.key, { name: 'quick', source: 'export default () => 1' });
    assert.equal((await service.api.put('/v1/secrets/one', user.key, { value: 'v' })).status, 201);
    assert.equal((await service.api.post(`/v1/functions/${fn.id}/schedules`, user.key, { cron: '0 9 * * *' })).status, 201);
    assert.equal((await service.api.post(`/v1/functions/${fn.id}/hooks`, user.key, {})).status, 201);
    const run = await service.api.post(`/v1/functions/${fn.id}/executions`, user.key, { async: true });
    assert.equal(run.status, 202);

    const usage = await service.api.get(`/v1/users/${user.id}/usage`, service.adminKey);
    assert.equal(usage.status, 200);
    assert.deepEqual(usage.body, {
      userId: user.id,
      functions: { used: 2, limit: 7 },
      secrets: { used: 1, limit: 50 },
      schedules: { used: 1, limit: 100 },
      webhooks: { used: 1 },
      activeExecutions: { used: 1, limit: 4 },
      secretBytes: 5000,
    });
    const empty = await service.api.get(`/v1/users/${other.id}/usage`, service.adminKey);
    assert.equal(empty.body.functions.used, 0);
    assert.equal(empty.body.activeExecutions.used, 0);

    assert.equal((await service.api.get(`/v1/users/${user.id}/usage`, user.key)).status, 403, 'not to the user');
    assert.equal((await service.api.get(`/v1/users/${user.id}/usage`, other.key)).status, 403, 'not to another user');
    assert.equal((await service.api.get(`/v1/users/${user.id}/usage`)).status, 401);
    assert.equal((await service.api.get('/v1/users/no-such-user/usage', service.adminKey)).status, 404);
  });
});

describe('the console reads a log stream (text/event-stream)', () => {
  it('parses the live-log wire format: id, event, data, across chunk boundaries and line endings', () => {
    const parser = new EventStreamParser();
    const wire = 'id: 0\nevent: log\ndata: {"level":"log","message":"a","time":1}\n\n: keep-alive\n\nid: 1\r\nevent: log\r\ndata: {"level":"warn","message":"b\\nc","time":2}\r\n\r\nevent: end\ndata: {"executionId":"e","status":"success"}\n\n';
    const events = [];
    // Fed in 3-character pieces, so that every boundary (a CRLF included) is split somewhere.
    for (let at = 0; at < wire.length; at += 3) events.push(...parser.push(wire.slice(at, at + 3)));
    assert.deepEqual(events, [
      { id: '0', event: 'log', data: '{"level":"log","message":"a","time":1}' },
      { id: '1', event: 'log', data: '{"level":"warn","message":"b\\nc","time":2}' },
      { id: '1', event: 'end', data: '{"executionId":"e","status":"success"}' },
    ]);
    assert.deepEqual(new EventStreamParser().push('data: one\ndata: two\n\n'), [{ id: undefined, event: 'message', data: 'one\ntwo' }], 'data lines join with a newline');
  });
});
