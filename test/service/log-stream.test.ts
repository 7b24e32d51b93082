// GET /v1/executions/{id}/logs: console lines as Server-Sent Events while the execution runs,
// then `end`; resumed with Last-Event-ID or ?lastEventId; a finished execution replays. Against
// a running server, with guest code in-process and in executor processes.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { followExecutionLogs, serverSentEvents } from '../../src/client/index.ts';
import { logStreamTimings, maxStreamsPerUser } from '../../src/service/executions/log-stream.ts';
import { startTestService, type TestService } from './helpers.ts';

/** Logs `first`, waits long enough for a test to look at it running, then logs two more lines. */
const slowTalker = `export default async () => {
  console.log('first');
  await new Promise((resolve) => setTimeout(resolve, 4000));
  console.info('second', 2);
  console.warn('third');
  return 'done';
}`;

interface Event {
  id: string | undefined;
  event: string;
  data: string;
}

/** Opens the stream; `onEvent` may act on each event as it arrives. Answers every event and the raw text. */
async function stream(t: TestService, key: string, executionId: string, options: { headers?: Record<string, string>; query?: string; onEvent?: (event: Event) => Promise<void> | void } = {}) {
  const response = await fetch(`${t.url}/v1/executions/${executionId}/logs${options.query ?? ''}`, { headers: { authorization: `Bearer ${key}`, ...options.headers } });
  if (response.status !== 200) assert.fail(`${response.status}: ${await response.text()}`);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events: Event[] = [];
  for await (const event of serverSentEvents(response.body!)) {
    events.push(event);
    await options.onEvent?.(event);
  }
  return events;
}

function logsOf(events: Event[]) {
  return events.filter((event) => event.event === 'log').map((event) => ({ id: Number(event.id), entry: JSON.parse(event.data) }));
}

for (const executors of ['0', '1']) {
  describe(`live logs (${executors === '0' ? 'in-process' : 'executor processes'})`, () => {
    let t: TestService;
    let key: string;

    before(async () => {
      t = await startTestService(['--executors', executors]);
      key = (await t.api.newUser(t.adminKey, 'follower')).key;
    });
    after(() => t.close());

    it('sends each line while the execution runs, then end; the lines are the stored logs exactly', async () => {
      const fn = await t.api.newFunction(key, { name: 'talker', source: slowTalker, timeoutMs: 20_000 });
      const run = await t.api.post(`/v1/functions/${fn.id}/executions`, key, { async: true });
      assert.equal(run.status, 202);
      let statusAtFirstLine: string | undefined;
      const events = await stream(t, key, run.body.executionId, {
        onEvent: async (event) => {
          if (event.event === 'log' && statusAtFirstLine === undefined) statusAtFirstLine = (await t.api.get(`/v1/executions/${run.body.executionId}`, key)).body.status;
        },
      });
      assert.equal(statusAtFirstLine, 'running', 'the first line came while the execution ran');
      const stored = (await t.api.get(`/v1/executions/${run.body.executionId}`, key)).body;
      assert.equal(stored.status, 'success');
      assert.deepEqual(logsOf(events), stored.logs.map((entry: unknown, id: number) => ({ id, entry })));
      assert.deepEqual(stored.logs.map((entry: { message: string }) => entry.message), ['first', 'second 2', 'third']);
      const end = events.at(-1)!;
      assert.equal(end.event, 'end');
      assert.deepEqual(JSON.parse(end.data), { executionId: run.body.executionId, status: 'success' });
    });

    it('replays a finished execution, and resumes after Last-Event-ID (which wins over ?lastEventId)', async () => {
      const fn = await t.api.newFunction(key, { name: 'chatty', source: "export default () => { for (let i = 0; i < 5; i++) console.log('line', i); throw new Error('boom'); }" });
      const done = (await t.api.post(`/v1/functions/${fn.id}/executions`, key, {})).body;
      assert.equal(done.status, 'error');
      const all = await stream(t, key, done.executionId);
      assert.deepEqual(logsOf(all).map((line) => line.id), [0, 1, 2, 3, 4]);
      assert.deepEqual(JSON.parse(all.at(-1)!.data), { executionId: done.executionId, status: 'error' });
      assert.deepEqual(logsOf(await stream(t, key, done.executionId, { headers: { 'last-event-id': '2' } })).map((line) => line.id), [3, 4]);
      assert.deepEqual(logsOf(await stream(t, key, done.executionId, { query: '?lastEventId=3' })).map((line) => line.id), [4]);
      assert.deepEqual(logsOf(await stream(t, key, done.executionId, { query: '?lastEventId=0', headers: { 'last-event-id': '3' } })).map((line) => line.id), [4]);
      const none = await stream(t, key, done.executionId, { headers: { 'last-event-id': '4' } });
      assert.deepEqual(none.map((event) => event.event), ['end']);
    });

    it('ends with the truncation marker the stored logs have, when the function logs past the limit', async () => {
      const fn = await t.api.newFunction(key, { name: 'flood', source: "export default () => { for (let i = 0; i < 1100; i++) console.log('x', i); }" });
      const done = (await t.api.post(`/v1/functions/${fn.id}/executions`, key, {})).body;
      const lines = logsOf(await stream(t, key, done.executionId));
      assert.equal(lines.length, done.logs.length);
      assert.match(lines.at(-1)!.entry.message, /console output truncated: 100 more entries dropped/);
    });

    it('refuses another user\'s execution (404), an unknown one, and a malformed Last-Event-ID (400)', async () => {
      const fn = await t.api.newFunction(key, { name: 'private', source: "export default () => console.log('mine')" });
      const done = (await t.api.post(`/v1/functions/${fn.id}/executions`, key, {})).body;
      const mallory = (await t.api.newUser(t.adminKey, `mallory-${executors}`)).key;
      const other = await t.api.get(`/v1/executions/${done.executionId}/logs`, mallory);
      assert.equal(other.status, 404);
      assert.equal(other.body.error.code, 'NOT_FOUND');
      assert.equal((await t.api.get('/v1/executions/no-such-execution/logs', key)).status, 404);
      assert.equal((await t.api.get(`/v1/executions/${done.executionId}/logs`)).status, 401);
      const bad = await t.api.request('GET', `/v1/executions/${done.executionId}/logs`, { key, headers: { 'last-event-id': 'seven' } });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /last-event-id must be the index of a log line/);
      assert.equal((await t.api.get(`/v1/executions/${done.executionId}/logs?lastEventId=-1`, key)).status, 400);
    });
  });
}

describe('live logs: heartbeats and a follower that reconnects', () => {
  let t: TestService;
  let key: string;
  const saved = { ...logStreamTimings };

  before(async () => {
    logStreamTimings.heartbeatMs = 200;
    t = await startTestService();
    key = (await t.api.newUser(t.adminKey, 'pinged')).key;
  });
  after(async () => {
    Object.assign(logStreamTimings, saved);
    await t.close();
  });

  it('says `: ping` while nothing happens', async () => {
    const fn = await t.api.newFunction(key, { name: 'quiet', source: 'export default async () => { await new Promise((r) => setTimeout(r, 1500)); console.log("late"); }' });
    const run = await t.api.post(`/v1/functions/${fn.id}/executions`, key, { async: true });
    const response = await fetch(`${t.url}/v1/executions/${run.body.executionId}/logs`, { headers: { authorization: `Bearer ${key}` } });
    const text = await response.text();
    assert.match(text, /^: ping$/m);
    assert.match(text, /event: log\ndata: \{"level":"log","message":"late"/);
    assert.match(text, /event: end\n/);
  });

  it('the client resumes with the last event id after the connection is cut, and tells each line once', async () => {
    const fn = await t.api.newFunction(key, { name: 'cut', source: slowTalker, timeoutMs: 20_000 });
    const run = await t.api.post(`/v1/functions/${fn.id}/executions`, key, { async: true });
    let calls = 0;
    const seenIds: Array<string | null> = [];
    // A fetch that cuts the first connection right after its first line.
    const flaky = async (request: Request) => {
      calls++;
      seenIds.push(request.headers.get('last-event-id'));
      const response = await fetch(request);
      if (calls > 1) return response;
      const reader = response.body!.getReader();
      const cut = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { value, done } = await reader.read();
          if (done) return controller.close();
          controller.enqueue(value);
          if (new TextDecoder().decode(value).includes('event: log')) {
            await reader.cancel();
            controller.error(new TypeError('fetch failed: connection reset'));
          }
        },
      });
      return new Response(cut, { status: response.status, headers: response.headers });
    };
    const retries: number[] = [];
    const got = [];
    for await (const item of followExecutionLogs({ baseUrl: t.url, apiKey: key, fetch: flaky }, run.body.executionId, { retryMs: 50, onRetry: (_error, attempt) => retries.push(attempt) })) got.push(item);
    assert.deepEqual(retries, [1]);
    assert.deepEqual(seenIds, [null, '0']);
    assert.deepEqual(got.map((item) => (item.type === 'log' ? item.index : item.type)), [0, 1, 2, 'end']);
  });

  it(`refuses a user's stream beyond ${maxStreamsPerUser} open at once, and a stop cuts the open ones`, async () => {
    const fn = await t.api.newFunction(key, { name: 'long', source: 'export default () => new Promise((r) => setTimeout(r, 55_000))', timeoutMs: 60_000 });
    const run = await t.api.post(`/v1/functions/${fn.id}/executions`, key, { async: true });
    const abort = new AbortController();
    const streamUrl = `${t.url}/v1/executions/${run.body.executionId}/logs`;
    // One with node:http, to close it the way a client that goes away does (its socket).
    const leaving = await new Promise<http.ClientRequest>((resolve) => {
      const request = http.get(streamUrl, { headers: { authorization: `Bearer ${key}` } }, (response) => response.once('data', () => resolve(request)));
    });
    const open = await Promise.all(
      Array.from({ length: maxStreamsPerUser - 1 }, () => fetch(streamUrl, { headers: { authorization: `Bearer ${key}` }, signal: abort.signal })),
    );
    assert.deepEqual([...new Set(open.map((response) => response.status))], [200]);
    const refused = await t.api.get(`/v1/executions/${run.body.executionId}/logs`, key);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'RATE_LIMITED');
    assert.equal(refused.headers.get('retry-after'), '5');
    // A client that goes away frees its place.
    leaving.destroy();
    let freed = 429;
    for (let i = 0; i < 200 && freed === 429; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const again = await fetch(streamUrl, { headers: { authorization: `Bearer ${key}` }, signal: abort.signal });
      freed = again.status;
      if (freed === 200) open.push(again);
      else await again.text();
    }
    assert.equal(freed, 200);
    // A stop drains (the execution ends INTERRUPTED after the grace) and then cuts every stream: it never waits for them.
    const texts = open.map((response) => response.text().catch((error: unknown) => `cut: ${(error as Error).message}`));
    const closing = Date.now();
    await t.close();
    assert.ok(Date.now() - closing < 40_000, `the stop did not wait for the streams (${Date.now() - closing} ms)`);
    for (const text of await Promise.all(texts)) assert.doesNotMatch(text, /event: log/);
    abort.abort();
  });
});
