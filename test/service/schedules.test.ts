// Cron schedules through the API: CRUD, validation naming the field, ticks that become async
// executions with their trigger and tick, a pause, and the missed-tick policy (one catch-up
// for the earliest missed tick, then on from now).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '../support/wait.ts';
import { startTestService, type TestService } from './helpers.ts';

describe('cron schedules', () => {
  let t: TestService;
  before(async () => {
    t = await startTestService();
  });
  after(() => t?.close());

  it('runs a function on its schedule, records each tick once with its trigger, and pauses', async () => {
    const user = await t.api.newUser(t.adminKey, 'cron');
    const fn = await t.api.newFunction(user.key, { name: 'tick', source: 'export default (params) => ({ job: params.job })' });
    const route = `/v1/functions/${fn.id}/schedules`;

    const badCron = await t.api.post(route, user.key, { cron: '61 * * * *' });
    assert.equal(badCron.status, 400);
    assert.match(badCron.body.error.message, /^body\/cron/);
    assert.match((await t.api.post(route, user.key, { cron: '* * *' })).body.error.message, /^body\/cron: expected 5 fields/);
    const badZone = await t.api.post(route, user.key, { cron: '* * * * *', timezone: 'Mars/Olympus' });
    assert.equal(badZone.status, 400);
    assert.match(badZone.body.error.message, /^body\/timezone/);
    assert.equal((await t.api.post(route, user.key, { cron: '* * * * *', extra: 1 })).status, 400);

    // Every second (6 fields, seconds first).
    const created = await t.api.post(route, user.key, { cron: '* * * * * *', params: { job: 'report' } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.timezone, 'UTC');
    assert.equal(created.body.enabled, true);
    assert.ok(Date.parse(created.body.nextRunAt) > Date.now() - 1000);
    const id = created.body.id;
    const history = async () => (await t.api.get(`/v1/functions/${fn.id}/executions?limit=100`, user.key)).body.items as Array<Record<string, any>>;
    await until('two ticks ran', async () => (await history()).filter((e) => e.status === 'success').length >= 2);
    const runs = await history();
    for (const run of runs.filter((r) => r.status === 'success')) {
      assert.equal(run.trigger, 'schedule');
      assert.equal(run.scheduleId, id);
      assert.deepEqual(run.result, { job: 'report' }, "run with the schedule's params");
    }
    assert.equal(new Set(runs.map((run) => run.scheduledAt)).size, runs.length, 'one execution per tick');

    const paused = await t.api.patch(`${route}/${id}`, user.key, { enabled: false });
    assert.equal(paused.status, 200);
    assert.equal(paused.body.nextRunAt, null);
    const got = await t.api.get(`${route}/${id}`, user.key);
    assert.equal(got.body.lastOutcome, 'queued');
    assert.ok(got.body.lastExecutionId);
    const count = (await history()).length;
    // Let a tick's worth of time pass plus a ticker look: nothing new.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal((await history()).length, count, 'a paused schedule fires nothing');

    assert.equal((await t.api.patch(`${route}/${id}`, user.key, { cron: 'nonsense' })).status, 400);
    const other = await t.api.newUser(t.adminKey, 'other');
    assert.equal((await t.api.get(`${route}/${id}`, other.key)).status, 404);
    assert.deepEqual((await t.api.get(route, user.key)).body.items.map((s: { id: string }) => s.id), [id]);
    assert.equal((await t.api.delete(`${route}/${id}`, user.key)).status, 204);
    assert.equal((await t.api.get(`${route}/${id}`, user.key)).status, 404);
    assert.equal((await history()).length, count, 'its executions stay in the history');
  });

  it('catches up missed ticks with one execution for the earliest, then goes on from now', async () => {
    const user = await t.api.newUser(t.adminKey, 'missed');
    const fn = await t.api.newFunction(user.key, { name: 'daily', source: 'export default () => 1' });
    // At midnight in Berlin: not due while the test runs, unless made so.
    const created = await t.api.post(`/v1/functions/${fn.id}/schedules`, user.key, { cron: '0 0 * * *', timezone: 'Europe/Berlin' });
    assert.equal(created.status, 201, created.text);
    // As if every node had been down for three days: the next tick is three days past.
    const missedTick = new Date(Date.now() - 3 * 86_400_000).toISOString();
    await t.service.store.updateSchedule(user.id, fn.id, created.body.id, { nextAt: missedTick }, new Date().toISOString());
    assert.equal(await t.service.context.ticker.look(), 1);
    assert.equal(await t.service.context.ticker.look(), 0, 'the ticks in between are skipped');
    const runs = (await t.api.get(`/v1/functions/${fn.id}/executions`, user.key)).body.items;
    assert.equal(runs.length, 1);
    assert.equal(runs[0].scheduledAt, missedTick);
    const schedule = (await t.api.get(`/v1/functions/${fn.id}/schedules/${created.body.id}`, user.key)).body;
    assert.ok(Date.parse(schedule.nextRunAt) > Date.now(), 'next tick after now');
  });
});
