// Live logs across nodes (PostgreSQL; skipped without TEEJS_TEST_DATABASE_URL): a client
// following an execution on a node other than the one running it gets each line while it runs
// (the running node appends them to the store in small batches; the other reads them), then
// the stored logs exactly, then `end`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { serverSentEvents } from '../../src/client/index.ts';
import { until } from '../support/wait.ts';
import { Cluster } from './cluster-nodes.ts';

const url = process.env.TEEJS_TEST_DATABASE_URL;
const flags = ['--executors', '1', '--concurrency', '2'];

describe('live logs across nodes', { skip: url ? false : 'set TEEJS_TEST_DATABASE_URL=postgres://USER:PASSWORD@127.0.0.1:5432/DB to run it' }, () => {
  const cluster = new Cluster(url ?? '');
  before(() => cluster.setUp());
  after(() => cluster.tearDown());

  it('follows on node-b an execution that runs on node-a', async () => {
    const a = await cluster.start('node-a', flags);
    const b = await cluster.start('node-b', flags);
    const user = await a.api.newUser(cluster.adminKey, 'watcher');
    const fn = await a.api.newFunction(user.key, {
      name: 'slow-talker',
      timeoutMs: 60_000,
      source: "export default async () => { console.log('first'); await new Promise((r) => setTimeout(r, 4000)); console.log('second'); return 1; }",
    });
    // A sync run waits on the node its client called: node-a runs it.
    const pending = a.api.post(`/v1/functions/${fn.id}/executions`, user.key, {});
    let executionId = '';
    await until('the execution runs', async () => {
      const running = (await b.api.get(`/v1/functions/${fn.id}/executions?status=running`, user.key)).body.items;
      executionId = running[0]?.executionId ?? '';
      return executionId !== '' && running[0].nodeId === 'node-a';
    });
    const response = await fetch(`${b.api.url}/v1/executions/${executionId}/logs`, { headers: { authorization: `Bearer ${user.key}` } });
    assert.equal(response.status, 200);
    const events = [];
    let statusAtFirstLine: string | undefined;
    for await (const event of serverSentEvents(response.body!)) {
      events.push(event);
      if (event.event === 'log' && statusAtFirstLine === undefined) statusAtFirstLine = (await b.api.get(`/v1/executions/${executionId}`, user.key)).body.status;
    }
    assert.equal(statusAtFirstLine, 'running', 'the first line came to node-b while node-a ran the execution');
    const done = (await pending).body;
    assert.equal(done.status, 'success', JSON.stringify(done.error));
    assert.deepEqual(
      events.filter((event) => event.event === 'log').map((event) => [Number(event.id), JSON.parse(event.data)]),
      done.logs.map((entry: unknown, index: number) => [index, entry]),
    );
    assert.deepEqual(JSON.parse(events.at(-1)!.data), { executionId, status: 'success' });
    // The lines in the store were for followers only: gone once the execution is recorded.
    const db = new pg.Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    try {
      const left = await db.query('SELECT count(*)::int AS n FROM execution_log_lines WHERE execution_id = $1', [executionId]);
      assert.equal(left.rows[0].n, 0);
    } finally {
      await db.end();
    }
  });
});
