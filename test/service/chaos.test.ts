// Chaos on one PostgreSQL (TEEJS_TEST_DATABASE_URL; skipped without it): two nodes share a few
// hundred async executions and a schedule firing every second; one is killed (-9, its whole
// process group) mid-way; the other is stopped gracefully (SIGTERM to its group) with long
// executions in flight; a third node then finishes what is left. Every execution reports its
// start to a loopback counter, so a run twice is seen. Asserted: nothing lost, nothing run
// twice, nothing stuck, INTERRUPTED only for executions started on the killed node, each tick
// once (no gaps while a node was up), and the drained node's results kept.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { until } from '../support/wait.ts';
import { Cluster } from './cluster-nodes.ts';

const url = process.env.TEEJS_TEST_DATABASE_URL;
const leaseMs = 3000;
const total = 300;

const source = `export default async (params) => {
  if (params.counter) await fetch(params.counter + "/" + params.tag);
  await new Promise((resolve) => setTimeout(resolve, params.ms ?? 0));
  return params.tag ?? "tick";
}`;

describe('chaos: kill -9 of one node, a graceful stop of the other', { skip: url ? false : 'set TEEJS_TEST_DATABASE_URL=postgres://USER:PASSWORD@127.0.0.1:5432/DB to run it' }, () => {
  const cluster = new Cluster(url ?? '');
  const hits = new Map<string, number>();
  const counter = createServer((request, response) => {
    const tag = (request.url ?? '/').slice(1);
    hits.set(tag, (hits.get(tag) ?? 0) + 1);
    response.end('ok');
  });
  let counterUrl = '';

  before(async () => {
    await cluster.setUp();
    counter.listen(0, '127.0.0.1');
    await once(counter, 'listening');
    counterUrl = `http://127.0.0.1:${(counter.address() as AddressInfo).port}`;
  });
  after(async () => {
    await cluster.tearDown();
    counter.closeAllConnections();
    counter.close();
  });

  it('loses nothing, runs nothing twice, leaves nothing stuck', { timeout: 600_000 }, async (t) => {
    const flags = [
      ...['--executors', '1', '--concurrency', '4', '--max-user-share', '1', '--max-running', '100000', '--rate-limit', '1000000'],
      ...['--lease', String(leaseMs), '--shutdown-grace', '60000', '--allow-http', '--allow-private-network', '--allow-hosts', '127.0.0.1'],
    ];
    const a = await cluster.start('chaos-a', flags);
    const b = await cluster.start('chaos-b', flags);
    const { adminKey } = cluster;
    const user = await b.api.newUser(adminKey, 'chaos');
    const fn = await b.api.newFunction(user.key, { name: 'work', source, allowedHosts: ['127.0.0.1'], timeoutMs: 60_000 });
    const schedule = await b.api.post(`/v1/functions/${fn.id}/schedules`, user.key, { cron: '* * * * * *', params: {} });
    assert.equal(schedule.status, 201, schedule.text);

    // Submitted alternately to both nodes; node-a is killed a third of the way through.
    const accepted: string[] = [];
    for (let i = 0; i < total; i++) {
      const node = i % 2 === 0 && a.child.exitCode === null && a.child.signalCode === null ? a : b;
      const answer = await node.api
        .post(`/v1/functions/${fn.id}/executions`, user.key, { params: { counter: counterUrl, tag: `e${i}`, ms: 20 + ((i * 37) % 300) }, async: true })
        .catch(() => undefined);
      // A request cut by the kill has no answer: the client does not know the id (and the
      // execution may or may not exist); only answered ones are tracked.
      if (answer?.status === 202) accepted.push(answer.body.executionId);
      if (i === Math.floor(total / 3)) {
        await until('node-a runs some', async () => (await b.api.get(`/v1/functions/${fn.id}/executions?status=running&limit=100`, user.key)).body.items.some((e: { nodeId: string }) => e.nodeId === 'chaos-a'));
        a.signal('SIGKILL');
        await a.exited;
      }
    }

    // Long executions in flight on node-b (longer than two leases), then SIGTERM to its group.
    const long: string[] = [];
    for (let i = 0; i < 4; i++) {
      const answer = await b.api.post(`/v1/functions/${fn.id}/executions`, user.key, { params: { counter: counterUrl, tag: `long${i}`, ms: 2.5 * leaseMs }, async: true });
      long.push(answer.body.executionId);
    }
    await until('a long one runs on node-b', async () => {
      const states = await Promise.all(long.map(async (id) => (await b.api.get(`/v1/executions/${id}`, user.key)).body));
      return states.some((e) => e.status === 'running' && e.nodeId === 'chaos-b');
    });
    const longOnB = async () => (await Promise.all(long.map(async (id) => (await b.api.get(`/v1/executions/${id}`, user.key)).body))).filter((e) => e.status === 'running').map((e) => e.executionId as string);
    const inFlight = await longOnB();
    const stoppedAt = Date.now();
    b.signal('SIGTERM');
    assert.deepEqual(await b.exited, { code: 0, signal: null }, b.output());

    // A third node finishes the queue.
    const c = await cluster.start('chaos-c', flags);
    await c.api.patch(`/v1/functions/${fn.id}/schedules/${schedule.body.id}`, user.key, { enabled: false });
    const all = [...accepted, ...long];
    const records = new Map<string, any>();
    await until(
      'every execution ended',
      async () => {
        for (const id of all) {
          if (records.has(id)) continue;
          const answer = await c.api.get(`/v1/executions/${id}`, user.key);
          assert.equal(answer.status, 200, `execution ${id} is lost: ${answer.text}`);
          if (answer.body.status === 'success' || answer.body.status === 'error') records.set(id, answer.body);
        }
        return records.size === all.length;
      },
      { timeoutMs: 300_000, intervalMs: 500 },
    );

    const interrupted = [...records.values()].filter((e) => e.status === 'error');
    for (const execution of interrupted) {
      assert.equal(execution.error.code, 'INTERRUPTED', JSON.stringify(execution));
      assert.equal(execution.nodeId, 'chaos-a', 'only the killed node leaves executions INTERRUPTED');
      assert.ok(execution.startedAt, 'only started executions end INTERRUPTED');
    }
    for (const execution of records.values()) {
      if (execution.status !== 'success') continue;
      const tag = execution.result as string;
      assert.equal(hits.get(tag), 1, `${tag} ran ${hits.get(tag) ?? 0} times`);
    }
    for (const [tag, count] of hits) assert.ok(count <= 1, `${tag} ran ${count} times`);
    for (const id of inFlight) {
      const kept = records.get(id);
      assert.equal(kept.status, 'success', "the drained node's results are kept");
      assert.equal(kept.nodeId, 'chaos-b');
    }

    // Ticks: each second once, no gaps while node-b was up (node-a's kill included).
    const ticks: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ trigger: string; scheduledAt: string }>; nextCursor: string | null } } = await c.api.get(
        `/v1/functions/${fn.id}/executions?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        user.key,
      );
      for (const execution of page.body.items) if (execution.trigger === 'schedule') ticks.push(execution.scheduledAt);
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.equal(new Set(ticks).size, ticks.length, 'no tick fired twice');
    const seconds = ticks.map((tick) => Date.parse(tick) / 1000).sort((x, y) => x - y);
    const before = seconds.filter((s) => s * 1000 < stoppedAt - 2000);
    for (let i = 1; i < before.length; i++) assert.equal(before[i]! - before[i - 1]!, 1, `a tick is missing after ${new Date(before[i - 1]! * 1000).toISOString()}`);
    assert.ok(before.length >= 3, `ticks fired: ${before.length}`);

    t.diagnostic(`${all.length} executions: ${interrupted.length} INTERRUPTED (started on the killed node), ${inFlight.length} drained with the stop; ${ticks.length} ticks`);
    c.signal('SIGTERM');
    assert.equal((await c.exited).code, 0);
  });
});
