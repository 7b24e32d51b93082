// The CPU floor under the noisy-neighbour benchmark (`node --no-node-snapshot bench/abuse-floor.ts
// [seconds] [rounds]`): how much of a quiet user's latency CPU contention alone costs on this
// machine, at the executor pool's level (no HTTP, no store), so that the service-level figures of
// bench/abuse.ts can be read against it. Four conditions, in turn, `rounds` times (the machine's
// other load drifts; alternating spreads it over all four):
//
// - lowered: abusive users (5 loops, 3 microtask storms, 3 console floods, each in a closed loop
//   at a 2 s limit) in the pool with CPU priority by behaviour on (src/executor/priority.ts);
// - not lowered: the same with `deprioritiseBusy: false`;
// - burners at nice 19 / nice 0: no abusive users, 4 plain `for (;;) {}` processes instead, the
//   best and the worst any scheduling of CPU-bound neighbours can do on this machine.
//
// Each condition: the quiet user's hello world alone for 3 s (its baseline), then beside the
// neighbours for `seconds`; the ratio is p99 beside / p99 alone, within the condition.
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExecutorPool } from '../src/executor/pool.ts';
import { loadAverage, machineInfo } from './machine.ts';

type Condition = 'lowered' | 'not lowered' | 'burners at nice 19' | 'burners at nice 0';
const conditions: Condition[] = ['lowered', 'not lowered', 'burners at nice 19', 'burners at nice 0'];
const hello = 'export default () => ({ hello: "world" })';
const abusers: Array<{ user: string; source: string; loops: number }> = [
  { user: 'looper', source: 'export default () => { for (;;) {} }', loops: 5 },
  { user: 'microtasker', source: 'export default async () => { for (;;) await null; }', loops: 3 },
  { user: 'flooder', source: 'export default () => { for (;;) console.log("flood flood flood flood"); }', loops: 3 },
];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

async function quietLoop(pool: ExecutorPool, ms: number): Promise<number[]> {
  const latencies: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const start = performance.now();
    const result = await pool.execute({ userId: 'quiet', source: hello });
    if (result.status !== 'success') throw new Error(`the quiet user's execution failed: ${JSON.stringify(result.error)}`);
    latencies.push(performance.now() - start);
    await sleep(2);
  }
  return latencies;
}

async function measure(condition: Condition, seconds: number) {
  const pool = await ExecutorPool.start({ deprioritiseBusy: condition !== 'not lowered', log: () => {} });
  const burners: ChildProcess[] = [];
  let stop = false;
  const loops: Array<Promise<void>> = [];
  try {
    for (let i = 0; i < 20; i++) await pool.execute({ userId: 'quiet', source: hello });
    const alone = await quietLoop(pool, 3000);
    if (condition === 'lowered' || condition === 'not lowered') {
      for (const { user, source, loops: count } of abusers) {
        for (let i = 0; i < count; i++) {
          loops.push(
            (async () => {
              while (!stop) await pool.execute({ userId: user, source, timeoutMs: 2000 });
            })(),
          );
        }
      }
    } else {
      for (let i = 0; i < 4; i++) {
        const burner = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
        if (burner.pid !== undefined) os.setPriority(burner.pid, condition === 'burners at nice 19' ? 19 : 0);
        burners.push(burner);
      }
    }
    await sleep(1500);
    const beside = await quietLoop(pool, seconds * 1000);
    return {
      condition,
      alone: { n: alone.length, p50: percentile(alone, 0.5), p99: percentile(alone, 0.99) },
      beside: { n: beside.length, p50: percentile(beside, 0.5), p99: percentile(beside, 0.99) },
    };
  } finally {
    stop = true;
    for (const burner of burners) burner.kill('SIGKILL');
    await Promise.all(loops);
    await pool.close(5000);
  }
}

const seconds = Number(process.argv[2] ?? 8);
const rounds = Number(process.argv[3] ?? 2);
const machine = machineInfo();
process.stdout.write(`abuse floor: ${machine.cores} cores, ${machine.cpuModel}, load ${machine.loadAverageAtStart.join(' ')}; ${rounds} round(s) of ${seconds} s per condition\n\n`);
process.stdout.write('| round | condition | alone p50 / p99 ms | beside p50 / p99 ms | p99 ratio | quiet requests beside |\n| --- | --- | --- | --- | --- | --- |\n');
for (let round = 1; round <= rounds; round++) {
  for (const condition of conditions) {
    const { alone, beside } = await measure(condition, seconds);
    const f = (ms: number) => ms.toFixed(1);
    process.stdout.write(`| ${round} | ${condition} | ${f(alone.p50)} / ${f(alone.p99)} | ${f(beside.p50)} / ${f(beside.p99)} | ${(beside.p99 / alone.p99).toFixed(2)}× | ${beside.n} |\n`);
  }
}
process.stdout.write(`\nload at the end ${loadAverage().join(' ')}\n`);
