// Fair slots: one user holds at most its share of a server's slots (--max-user-share), and free
// slots go to users in turn, sync and async alike. Every wait here is for a state the service
// reports (a request reaching the gate, a gauge in /metrics), never for an amount of time, so
// the tests hold on a machine whose cores are all busy.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ConfigError, configHelp, loadConfig } from '../../src/service/config.ts';
import { capFor, FairScheduler, reserveFor } from '../../src/service/executions/scheduler.ts';
import { startTestService, type TestService } from './helpers.ts';

/**
 * A loopback server that holds every execution that calls it until the test lets it go: a
 * sleeper it controls. A guest's fetch gives up after 10 s, so a request held longer is
 * answered `again` after 3 s and the guest asks again (long polling); `arrivals` counts only
 * the first request of each tag.
 */
class Gate {
  readonly arrivals: string[] = [];
  readonly #held = new Map<string, ServerResponse>();
  readonly #released = new Set<string>();
  readonly #server: Server;
  #arrived: Array<() => void> = [];
  url = '';

  constructor() {
    this.#server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const tag = (request.url ?? '/').slice(1);
      if (this.#released.has(tag)) return void response.end(tag);
      if (!this.arrivals.includes(tag)) {
        this.arrivals.push(tag);
        for (const wake of this.#arrived.splice(0)) wake();
      }
      this.#held.set(tag, response);
      const again = setTimeout(() => {
        if (this.#held.get(tag) !== response) return;
        this.#held.delete(tag);
        response.end('again');
      }, 3000);
      response.on('close', () => clearTimeout(again));
    });
  }

  async listen(): Promise<void> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Resolves once `count` requests have arrived in all. */
  async reached(count: number): Promise<void> {
    while (this.arrivals.length < count) await new Promise<void>((wake) => this.#arrived.push(wake));
  }

  /** Lets an execution that arrived go (now, or when it asks again). */
  release(tag: string): void {
    assert.ok(this.arrivals.includes(tag) && !this.#released.has(tag), `${tag} is not held`);
    this.#released.add(tag);
    this.#held.get(tag)?.end(tag);
    this.#held.delete(tag);
  }

  /** Tags arrived and not released, in the order they arrived. */
  get held(): string[] {
    return this.arrivals.filter((tag) => !this.#released.has(tag));
  }

  async close(): Promise<void> {
    for (const tag of this.held) this.release(tag);
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

const databaseUrl = process.env.TEEJS_TEST_DATABASE_URL;
// A fetch that failed (a guest's fetch gives up after 10 s) is asked again; past the
// per-execution request limit every fetch fails at once, and asking again would spin the
// isolate forever: that ends the execution. (The in-process engine of these services does not
// stop an execution still running when its service closes: without this, a held execution of
// an earlier test kept polling, then spun, and starved the later tests of CPU.)
const gatedSource = `export default async (params) => {
  for (;;) {
    const answer = await fetch(params.gate + "/" + params.tag).then(
      (response) => response.text(),
      (error) => { if (String(error && error.message).includes('too many requests')) throw error; return 'again'; },
    );
    if (answer !== 'again') return answer;
  }
}`;
// Time limits far above what a test waits, even on a machine loaded far beyond its cores.
const gateFlags = ['--allow-http', '--allow-private-network', '--allow-hosts', '127.0.0.1', '--rate-limit', '1000000', '--max-timeout', '600000'];

/** Reads the service's own gauges. */
async function gauges(t: TestService): Promise<Record<string, number>> {
  const text = (await t.api.get('/metrics')).text;
  const values: Record<string, number> = {};
  for (const match of text.matchAll(/^(teejs_(?:executions_running|executions_waiting|users_waiting|user_waiting_max|users_at_cap)) (\S+)$/gm)) values[match[1]!] = Number(match[2]);
  return values;
}

/** Polls /metrics until the gauges read as expected; a state, not a duration, ends the wait. */
async function until(t: TestService, expected: Record<string, number>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const seen = await gauges(t);
    if (Object.entries(expected).every(([name, value]) => seen[name] === value)) return;
    if (Date.now() > deadline) assert.fail(`${what}: expected ${JSON.stringify(expected)}, /metrics says ${JSON.stringify(seen)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function gatedFunction(t: TestService, key: string): Promise<string> {
  return (await t.api.newFunction(key, { name: 'gated', source: gatedSource, allowedHosts: ['127.0.0.1'], timeoutMs: 600_000 })).id;
}

async function queue(t: TestService, key: string, fn: string, params: Record<string, unknown>): Promise<string> {
  const answer = await t.api.post(`/v1/functions/${fn}/executions`, key, { params, async: true });
  assert.equal(answer.status, 202, answer.text);
  return answer.body.executionId;
}

describe('fair slots', () => {
  let gate: Gate;
  before(async () => {
    gate = new Gate();
    await gate.listen();
  });
  after(() => gate.close());

  it('lets another tenant run while one fills its share of the slots with sleepers', async () => {
    // The case with the defaults (10 slots, half of them at most for one user): ten
    // executions of one tenant that only await (here a fetch the gate holds, as long as the
    // test wants), and another tenant's hello world.
    const t = await startTestService(gateFlags);
    try {
      const sleeper = await t.api.newUser(t.adminKey, 'sleeper');
      const quiet = await t.api.newUser(t.adminKey, 'quiet');
      const fn = await gatedFunction(t, sleeper.key);
      const start = gate.arrivals.length;
      const sleepers: string[] = [];
      for (let i = 0; i < 10; i++) sleepers.push(await queue(t, sleeper.key, fn, { gate: gate.url, tag: `sleep-${i}` }));
      await gate.reached(start + 5);
      await until(t, { teejs_executions_running: 5, teejs_executions_waiting: 5, teejs_users_at_cap: 1 }, 'the sleeper holds its 5 slots, 5 more wait');

      const hello = await t.api.newFunction(quiet.key, { name: 'hello', source: 'export default () => "hello world"' });
      const run = await t.api.post(`/v1/functions/${hello.id}/executions`, quiet.key, {});
      assert.equal(run.status, 200, run.text);
      assert.equal(run.body.status, 'success');
      assert.equal(run.body.result, 'hello world');
      // It ran while the sleepers slept: the gate still holds the same five, none has ended.
      assert.equal(gate.arrivals.length, start + 5);
      assert.equal(gate.held.filter((tag) => tag.startsWith('sleep-')).length, 5);
      const states = await Promise.all(sleepers.map(async (id) => (await t.api.get(`/v1/executions/${id}`, sleeper.key)).body.status));
      // Five hold slots at the gate; the other five wait for one.
      assert.deepEqual(states.toSorted(), [...Array(5).fill('queued'), ...Array(5).fill('running')]);

      // Woken one by one, the sleepers all run to the end, the waiting ones as slots free up.
      for (let next = start + 6; next <= start + 10; next++) {
        gate.release(gate.held[0]!);
        await gate.reached(next);
      }
      for (const tag of gate.held) gate.release(tag);
      for (const id of sleepers) assert.equal((await t.api.settled(id, sleeper.key, 300_000)).status, 'success');
    } finally {
      await t.close();
    }
  });

  it('holds async and sync executions of one user to its cap, and serves each in its turn', async () => {
    const t = await startTestService([...gateFlags, '--concurrency', '4']); // a cap of 2
    try {
      const greedy = await t.api.newUser(t.adminKey, 'greedy');
      const quiet = await t.api.newUser(t.adminKey, 'quiet');
      const fn = await gatedFunction(t, greedy.key);
      const start = gate.arrivals.length;
      const async = [];
      for (const tag of ['cap-a1', 'cap-a2', 'cap-a3']) async.push(await queue(t, greedy.key, fn, { gate: gate.url, tag }));
      await gate.reached(start + 2);
      await until(t, { teejs_executions_running: 2, teejs_executions_waiting: 1, teejs_users_at_cap: 1 }, 'two of three async executions run');

      // A sync execution of the same user waits too, though two slots are free.
      const sync = t.api.post(`/v1/functions/${fn}/executions`, greedy.key, { params: { gate: gate.url, tag: 'cap-s1' } });
      await until(t, { teejs_executions_running: 2, teejs_executions_waiting: 2, teejs_users_waiting: 1, teejs_user_waiting_max: 2 }, 'the sync execution waits');

      // Another user's execution runs at once, while the greedy user's are held at the gate.
      const hello = await t.api.newFunction(quiet.key, { name: 'hello', source: 'export default () => "hello"' });
      const run = await t.api.post(`/v1/functions/${hello.id}/executions`, quiet.key, {});
      assert.equal(run.body.status, 'success', run.text);
      assert.deepEqual(gate.arrivals.slice(start), ['cap-a1', 'cap-a2'], 'the greedy user started no third execution');

      // One ends: the user's oldest waiting execution (queued before the sync one) takes its slot.
      gate.release('cap-a1');
      await gate.reached(start + 3);
      gate.release('cap-a2');
      await gate.reached(start + 4);
      assert.deepEqual(gate.arrivals.slice(start), ['cap-a1', 'cap-a2', 'cap-a3', 'cap-s1']);
      gate.release('cap-a3');
      gate.release('cap-s1');
      const done = await sync;
      assert.equal(done.body.status, 'success', done.text);
      assert.equal(done.body.result, 'cap-s1');
      for (const id of async) assert.equal((await t.api.settled(id, greedy.key, 300_000)).status, 'success');
    } finally {
      await t.close();
    }
  });

  it('gives free slots to users in turn, sync and async alike', () => turns(gate, {}));

  it('gives free slots in turn on PostgreSQL too (its queue is shared by servers, so always read)', { skip: databaseUrl ? false : 'set TEEJS_TEST_DATABASE_URL to run it' }, async () => {
    const schema = `teejs_fair_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    try {
      const url = new URL(databaseUrl!);
      url.searchParams.set('options', `-c search_path=${schema}`);
      await turns(gate, { DATABASE_URL: url.toString() });
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });
});

/** Three users, two slots, no cap: who starts as slots free up, one at a time. */
async function turns(gate: Gate, env: Record<string, string>): Promise<void> {
  // Tags are the gate's keys, and it serves a tag it released at once: each run needs its own
  // (the same tags in a second run would finish at once, never arrive, and stall the wait).
  const run = env.DATABASE_URL ? 'pg' : 'rr';
  // No cap here: only the order is under test.
  const t = await startTestService([...gateFlags, '--concurrency', '2', '--max-user-share', '1'], env);
  try {
    const [ann, ben, cid] = [await t.api.newUser(t.adminKey, 'ann'), await t.api.newUser(t.adminKey, 'ben'), await t.api.newUser(t.adminKey, 'cid')];
    const [annFn, benFn, cidFn] = [await gatedFunction(t, ann.key), await gatedFunction(t, ben.key), await gatedFunction(t, cid.key)];
    const start = gate.arrivals.length;
    // Ann queues four first and takes both slots; then Ben waits with two sync executions, then
    // Cid queues two: a first-come order would run all of Ann's, then Ben's, then Cid's.
    for (const tag of [`${run}-a1`, `${run}-a2`, `${run}-a3`, `${run}-a4`]) await queue(t, ann.key, annFn, { gate: gate.url, tag });
    await gate.reached(start + 2);
    // One after the other: sent together, the second could be recorded first (on PostgreSQL the
    // inserts race), and within a user the older goes first.
    const benRun = (tag: string) => t.api.post(`/v1/functions/${benFn}/executions`, ben.key, { params: { gate: gate.url, tag } });
    const benRuns = [benRun(`${run}-b1`)];
    await until(t, { teejs_executions_running: 2, teejs_executions_waiting: 3 }, "Ben's first sync execution waits");
    benRuns.push(benRun(`${run}-b2`));
    await until(t, { teejs_executions_running: 2, teejs_executions_waiting: 4 }, "Ben's sync executions wait");
    for (const tag of [`${run}-c1`, `${run}-c2`]) await queue(t, cid.key, cidFn, { gate: gate.url, tag });
    await until(t, { teejs_executions_waiting: 6, teejs_users_waiting: 3 }, "Cid's wait too");

    // End the oldest running execution, one at a time, and see who starts next.
    try {
      for (let next = start + 3; next <= start + 8; next++) {
        gate.release(gate.held[0]!);
        await gate.reached(next);
      }
    } finally {
      // Whatever failed, nothing is left held: the service could not stop otherwise.
      if (gate.arrivals.length < start + 8) for (const tag of [...gate.held]) gate.release(tag);
    }
    // Ben and Cid, with nothing running, go first; then users take turns, and within a user
    // the oldest goes first.
    // Ann's first two start together, in the two free slots: they reach the gate in either order.
    const order = gate.arrivals.slice(start);
    assert.deepEqual(order.slice(0, 2).sort(), [`${run}-a1`, `${run}-a2`]);
    assert.deepEqual(order.slice(2, 4), [`${run}-b1`, `${run}-c1`]);
    assert.deepEqual(order.slice(2).filter((tag) => tag.startsWith(`${run}-a`)), [`${run}-a3`, `${run}-a4`]);
    assert.deepEqual(order.filter((tag) => tag.startsWith(`${run}-b`)), [`${run}-b1`, `${run}-b2`]);
    assert.deepEqual(order.filter((tag) => tag.startsWith(`${run}-c`)), [`${run}-c1`, `${run}-c2`]);
    for (const tag of gate.held) gate.release(tag);
    for (const run of await Promise.all(benRuns)) assert.equal(run.body.status, 'success', run.text);
  } finally {
    await t.close();
  }
}

describe('the fair scheduler', () => {
  it('plans turns across users: the least recently served first, the oldest work first within a user', () => {
    const scheduler = new FairScheduler(3, 1);
    const granted: string[] = [];
    const sync = (userId: string, createdAt: string) => scheduler.enqueue({ userId, createdAt, grant: () => granted.push(`${userId}@${createdAt}`) });
    sync('ann', '1');
    sync('ann', '2');
    sync('ben', '5');
    // Cid has three queued, the oldest from 3; Ann's own queued one (from 4) is newer than her sync ones.
    const claims = scheduler.plan([
      { userId: 'cid', queued: 3, oldestAt: '3' },
      { userId: 'ann', queued: 1, oldestAt: '4' },
    ]);
    // Nobody was served yet: by the oldest work, Ann (1), Cid (3), Ben (5).
    assert.deepEqual(granted, ['ann@1', 'ben@5']);
    assert.deepEqual([...claims], [['cid', 1]]);
    assert.equal(scheduler.free, 0);
    // Ann was served longest ago: her next (sync, 2, older than her queued 4) goes first.
    scheduler.release('ben');
    scheduler.release('cid');
    assert.deepEqual([...scheduler.plan([{ userId: 'cid', queued: 2, oldestAt: '6' }, { userId: 'ann', queued: 1, oldestAt: '4' }])], [['cid', 1]]);
    assert.deepEqual(granted, ['ann@1', 'ben@5', 'ann@2']);
    scheduler.unreserve('cid', 1);
    assert.equal(scheduler.free, 1);
  });

  it('keeps the last free slots for users with nothing running', () => {
    const scheduler = new FairScheduler(10, 0.5);
    assert.equal(scheduler.reserve, 2);
    // Two users with plenty queued take turns until two slots are left, below their caps of 5;
    // a third user's first fits, no more of theirs.
    assert.deepEqual([...scheduler.plan([{ userId: 'ann', queued: 9, oldestAt: '1' }, { userId: 'ben', queued: 9, oldestAt: '2' }])], [['ann', 4], ['ben', 4]]);
    assert.equal(scheduler.free, 2);
    assert.deepEqual([...scheduler.plan([{ userId: 'ann', queued: 5, oldestAt: '1' }, { userId: 'cid', queued: 1, oldestAt: '3' }])], [['cid', 1]]);
    assert.equal(scheduler.free, 1);
    assert.equal(reserveFor(10, 10), 0, 'none when one user may hold every slot');
  });

  it('never gives one user more than its cap, even with nobody else waiting', () => {
    const scheduler = new FairScheduler(10, 0.5);
    assert.equal(scheduler.userCap, 5);
    assert.deepEqual([...scheduler.plan([{ userId: 'ann', queued: 10, oldestAt: '1' }])], [['ann', 5]]);
    assert.equal(scheduler.free, 5);
    assert.equal(scheduler.usersAtCap(), 1);
    assert.deepEqual([...scheduler.plan([{ userId: 'ann', queued: 5, oldestAt: '2' }, { userId: 'ben', queued: 1, oldestAt: '3' }])], [['ben', 1]]);
    assert.throws(() => scheduler.release('cid'), /not taken/);
  });

  it('caps at the share of the slots, rounded down, and at least one slot', () => {
    assert.equal(capFor(10, 0.5), 5);
    assert.equal(capFor(10, 0.3), 3);
    assert.equal(capFor(3, 0.5), 1);
    assert.equal(capFor(1, 0.5), 1);
    assert.equal(capFor(4, 0.01), 1);
    assert.equal(capFor(10, 1), 10);
  });
});

describe('--max-user-share', () => {
  it('defaults to half the slots, reads the flag and the environment, and refuses what is not a share', () => {
    assert.equal(loadConfig([], {}).maxUserShare, 0.5);
    assert.equal(loadConfig(['--max-user-share', '0.25'], {}).maxUserShare, 0.25);
    assert.equal(loadConfig([], { TEEJS_MAX_USER_SHARE: '1' }).maxUserShare, 1);
    assert.equal(loadConfig([], { TEEJS_MAX_USER_SHARE: '.75' }).maxUserShare, 0.75);
    for (const bad of ['0', '1.5', 'half', '0.001', '1e-1', ' 0.5', '0x1', '50%']) {
      assert.throws(() => loadConfig([], { TEEJS_MAX_USER_SHARE: bad }), (error: unknown) => error instanceof ConfigError && /TEEJS_MAX_USER_SHARE must be a number from 0.01 to 1/.test(error.message), bad);
    }
    assert.throws(() => loadConfig(['--max-user-share', '2'], {}), /--max-user-share must be a number from 0.01 to 1, got '2'/);
    assert.throws(() => loadConfig(['--max-user-share'], {}), ConfigError);
    assert.match(configHelp(), /--max-user-share N +TEEJS_MAX_USER_SHARE +share of --concurrency one user may run at once.*\(default 0\.5\)/);
  });
});
