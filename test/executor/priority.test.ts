// CPU priority by behaviour: a process whose running execution has used more than its CPU budget
// runs its guest threads at nice 19, its main thread (deadlines, answers to the host) at the
// normal priority; a process running short executions is never lowered; a lowered process goes
// back to normal once idle where the host may raise priorities, and otherwise serves no other user.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ExecutorPool } from '../../src/executor/pool.ts';
import { canRaisePriority, cpuLevel, lowPriorityNice } from '../../src/executor/priority.ts';

/** The nice value of each thread of `pid`, main thread first; empty once it is gone. */
function threadNices(pid: number): { main: number | null; others: number[] } {
  let main: number | null = null;
  const others: number[] = [];
  let threads: string[] = [];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return { main, others };
  }
  for (const thread of threads) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${thread}/stat`, 'latin1');
      const nice = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[16]);
      if (thread === String(pid)) main = nice;
      else others.push(nice);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return { main, others };
}

async function until(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('the level: low once the CPU since the oldest running execution started passes the budget', () => {
  assert.equal(cpuLevel(null, 50), 'normal');
  assert.equal(cpuLevel(10, 50), 'normal');
  assert.equal(cpuLevel(50, 50), 'normal');
  assert.equal(cpuLevel(51, 50), 'low');
});

describe('executor processes', { skip: process.platform !== 'linux' && 'per-thread priorities are read from /proc' }, () => {
  let pool: ExecutorPool;
  before(async () => {
    pool = await ExecutorPool.start({ processes: 3, warm: { size: 1 }, log: () => {} });
  });
  after(async () => {
    await pool.close();
  });
  const pidOf = (user: string) => pool.stats().executors.find((executor) => executor.tenant === user)?.pid;

  test('a long computation past its budget runs at the low priority until it ends; short executions never do', async () => {
    // Busy for 5 s of wall time, then done, whatever CPU it gets: at nice 19 on a loaded machine
    // a fixed amount of work may take minutes. It uses its 50 ms budget within the first second
    // or so (at the normal priority it gets a fair share), which leaves seconds to see it lowered.
    const source = 'export default () => { const end = Date.now() + 5000; let spins = 0; while (Date.now() < end) spins++; return spins > 0; }';
    const computation = pool.execute({ source, userId: 'cruncher', timeoutMs: 600_000 });
    await until(() => pidOf('cruncher') !== undefined, 'the computation has a process');
    const pid = pidOf('cruncher')!;
    await until(() => threadNices(pid).others.some((nice) => nice === lowPriorityNice), 'its guest threads are lowered');
    assert.equal(threadNices(pid).main, 0, 'the main thread keeps its priority');
    // Another user's short executions, meanwhile, in a process of their own at the normal priority.
    for (let i = 0; i < 20; i++) {
      assert.equal((await pool.execute({ source: 'export default () => 1', userId: 'quiet' })).result, 1);
    }
    const quiet = pool.stats().executors.find((executor) => executor.pid !== pid && executor.executions > 0);
    assert.ok(quiet?.pid, 'the quiet user ran in another process');
    const nices = threadNices(quiet.pid);
    assert.deepEqual([...new Set([nices.main, ...nices.others])], [0], 'no thread of the quiet process was lowered');

    const result = await computation;
    assert.equal(result.result, true, JSON.stringify(result.error));
    if (canRaisePriority) {
      // Raised again as it goes idle: it may serve anyone.
      assert.ok(pool.stats().executors.some((executor) => executor.pid === pid), 'it was kept');
      const after = threadNices(pid);
      assert.deepEqual([...new Set([after.main, ...after.others])], [0], 'every thread is back at 0');
    } else {
      // It could not be raised: it goes to no other user, and is retired once idle a while.
      await until(() => !pool.stats().executors.some((executor) => executor.pid === pid), 'it is retired');
    }
  });
});
