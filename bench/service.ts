// The service rows (`npm run bench -- --service`, `--service --quick` for a short run): hello
// world through `teejs serve` (HTTP, authentication, quotas, store writes, executor, result),
// driven over loopback by autocannon (load.ts), side by side with the executor pool it runs on
// (`ExecutorPool` in this process, the closed loop of measure.ts), at 1 and 16 clients,
// alternating pool and service so that each ratio is taken under the same machine load. Then a
// soak: 100,000 executions through the service, resident memory of its whole process tree (the
// server and its executors, read from /proc) after 1,000 and at five points up to 100,000.
//
// The service runs as users run it: `bin/teejs.js serve` in a child process with its defaults
// and its log (info level) written to a file, except the limits that would refuse a benchmark's
// one tenant: the per-key rate limit, the quota of executions running or queued and the
// per-user share of the slots. Results: bench/results/service.{md,json,svg} (service-quick.*).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { renderChart } from './chart.ts';
import { httpLoad, type HttpTarget } from './load.ts';
import { loadAverage, machineInfo, type MachineInfo } from './machine.ts';
import { closedLoop, type LatencyStats } from './measure.ts';
import { mb, rssOf } from './memory.ts';
import type { BenchResults, Cell } from './model.ts';
import { measureServiceCosts, type ServiceCosts } from './service-costs.ts';
import { teejsPool } from './systems/teejs.ts';
import { workloads } from './workloads/index.ts';
import { generateApiKey } from '../src/service/auth/keys.ts';

export interface ServicePlan {
  concurrencies: number[];
  /** Pool and service measured in turn this many times per concurrency. */
  rounds: number;
  warmupS: number;
  measureS: number;
  soak: { early: number; total: number; samples: number; concurrency: number; settleMs: number } | null;
  /** Executions counted for the costs per execution (service-costs.ts). */
  costExecutions: number;
}

const plans: Record<'quick' | 'full', ServicePlan> = {
  quick: { concurrencies: [1, 16], rounds: 1, warmupS: 0.5, measureS: 1.5, soak: { early: 200, total: 2000, samples: 2, concurrency: 16, settleMs: 500 }, costExecutions: 300 },
  full: { concurrencies: [1, 16], rounds: 2, warmupS: 2, measureS: 10, soak: { early: 1000, total: 100_000, samples: 5, concurrency: 16, settleMs: 2000 }, costExecutions: 2000 },
};

/** The service's flags besides its defaults: those that would refuse one tenant's benchmark load. */
export const serviceFlags = ['--rate-limit', '1000000', '--max-running', '100000', '--max-user-share', '1'];

const log = (line: string) => process.stderr.write(`${line}\n`);
const hello = workloads.find((w) => w.id === 'hello')!;

export interface Serve {
  child: ChildProcess;
  url: string;
  dataDir: string;
  logFile: string;
  stop(): Promise<void>;
}

/** `teejs serve` in a child process leading a group of its own; its output goes to a file. */
export async function startServe(flags: string[], env: NodeJS.ProcessEnv): Promise<Serve> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'teejs-bench-service-'));
  const logFile = join(dataDir, 'serve.log');
  const out = openSync(logFile, 'a');
  const bin = new URL('../bin/teejs.js', import.meta.url).pathname;
  // Started as a user starts it (`teejs serve`): the launcher picks Node and its flags.
  const child = spawn(process.execPath, [bin, 'serve', '--data-dir', join(dataDir, 'data'), '--port', '0', ...flags], { env, stdio: ['ignore', out, out], detached: true });
  closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // gone already
    }
    await Promise.race([exited, sleep(30_000)]);
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    const match = /listening on (http:\/\/[\d.:]+)/.exec(readFileSync(logFile, 'utf8'));
    if (match) return { child, url: match[1]!, dataDir, logFile, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      const output = readFileSync(logFile, 'utf8');
      await stop();
      throw new Error(`teejs serve did not start:\n${output.slice(-3000)}`);
    }
    await sleep(50);
  }
}

async function post(url: string, key: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await response.json()) as Record<string, unknown>;
  if (response.status >= 300) throw new Error(`POST ${url} answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer;
}

/** A user, its key and the hello-world function, made through the API; the target that runs it. */
export async function helloTarget(serve: { url: string }, adminKey: string): Promise<HttpTarget> {
  const user = await post(`${serve.url}/v1/users`, adminKey, { name: 'bench' });
  const key = (user.apiKey as { key: string }).key;
  const fn = await post(`${serve.url}/v1/functions`, key, { name: 'hello', source: hello.source, memoryMb: hello.memoryMb, timeoutMs: hello.timeoutMs });
  const expected = JSON.stringify(`hello, ${(hello.params as { name: string }).name}`);
  return {
    url: serve.url,
    path: `/v1/functions/${String(fn.id)}/executions`,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ params: hello.params }),
    // A string search, not a parse: the client shares the machine's two cores with the server.
    check: (status, body) => (status !== 200 ? `HTTP ${status}: ${body.slice(0, 200)}` : body.includes('"status":"success"') && body.includes(expected) ? null : `wrong answer: ${body.slice(0, 200)}`),
  };
}

/** The resident memory of a process and all its descendants, from /proc. */
export function treeRss(rootPid: number): { serverBytes: number; childBytes: number; children: number; childrenBytes: number[] } {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command may hold spaces and parentheses: fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // ended meanwhile
    }
  }
  const descendants: number[] = [];
  const walk = (pid: number) => {
    for (const [child, parent] of parents) {
      if (parent === pid) {
        descendants.push(child);
        walk(child);
      }
    }
  };
  walk(rootPid);
  const childrenBytes = descendants.map(rssOf).sort((a, b) => b - a);
  return { serverBytes: rssOf(rootPid), childBytes: childrenBytes.reduce((sum, bytes) => sum + bytes, 0), children: descendants.length, childrenBytes };
}

interface Round {
  concurrency: number;
  round: number;
  pool: LatencyStats;
  service: LatencyStats;
}

interface SoakSample {
  executions: number;
  serverMb: number;
  executorsMb: number;
  totalMb: number;
  executors: number;
  /** Each executor process, largest first (a spare, or one being retired, shows as a second). */
  executorMb: number[];
  loadAverage: number[];
}

export interface ServiceResults {
  mode: 'quick' | 'full';
  machine: MachineInfo;
  loadAverageAtEnd: number[];
  durationMs: number;
  plan: ServicePlan;
  serviceFlags: string[];
  costs: ServiceCosts;
  rounds: Round[];
  soak: { samples: SoakSample[]; errors: number; firstError: string | null; growthMb: number; durationMs: number } | null;
}

export async function runServiceBench(options: { quick: boolean; out: string; noMemory?: boolean }): Promise<void> {
  const started = performance.now();
  const mode = options.quick ? 'quick' : 'full';
  const plan = { ...plans[mode], ...(options.noMemory ? { soak: null } : {}) };
  const machine = machineInfo();
  log(`teejs service benchmark (${mode}): ${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')}`);

  log(`costs per execution: ${plan.costExecutions} executions through the service in this process, counted…`);
  const costs = await measureServiceCosts(plan.costExecutions, 16);
  log(`  ${JSON.stringify(costs)}`);

  const adminKey = generateApiKey().key;
  const env = { ...process.env, TEEJS_ADMIN_KEY: adminKey, TEEJS_MASTER_KEY: randomBytes(32).toString('base64') };
  const pool = await teejsPool.start();
  if ('missing' in pool) throw new Error(`the executor pool cannot start: ${pool.missing}`);
  const serve = await startServe(serviceFlags, env);
  const rounds: Round[] = [];
  let soak: ServiceResults['soak'] = null;
  let poolClosed = false;
  try {
    const target = await helloTarget(serve, adminKey);
    const budget = (concurrency: number) => ({
      warmup: Number.MAX_SAFE_INTEGER,
      warmupMs: plan.warmupS * 1000,
      minRequests: concurrency,
      minMs: plan.measureS * 1000,
      maxRequests: Number.MAX_SAFE_INTEGER,
      maxMs: plan.measureS * 1000,
    });
    const describe = (s: LatencyStats) => `p50 ${s.p50Ms.toFixed(2)} ms  p99 ${s.p99Ms.toFixed(2)} ms  ${s.throughput.toFixed(1)}/s  n=${s.count}${s.errors ? `, ${s.errors} FAILED (${s.firstError})` : ''}`;
    for (const concurrency of plan.concurrencies) {
      for (let round = 1; round <= plan.rounds; round++) {
        const poolStats = await closedLoop(pool, hello, concurrency, budget(concurrency));
        log(`c=${concurrency} round ${round} pool     ${describe(poolStats)}`);
        await sleep(500);
        await httpLoad(target, { connections: concurrency, durationS: plan.warmupS });
        const serviceStats = await httpLoad(target, { connections: concurrency, durationS: plan.measureS });
        log(`c=${concurrency} round ${round} service  ${describe(serviceStats)}  (${(serviceStats.throughput / poolStats.throughput).toFixed(2)}x the pool)`);
        rounds.push({ concurrency, round, pool: poolStats, service: serviceStats });
        await sleep(500);
      }
    }
    await pool.close();
    poolClosed = true;
    if (plan.soak) soak = await soakService(serve, target, plan.soak);
  } finally {
    if (!poolClosed) await pool.close().catch(() => {});
    await serve.stop();
  }
  const results: ServiceResults = { mode, machine, loadAverageAtEnd: loadAverage(), durationMs: Math.round(performance.now() - started), plan, serviceFlags, costs, rounds, soak };
  mkdirSync(options.out, { recursive: true });
  const base = join(options.out, mode === 'full' ? 'service' : 'service-quick');
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${base}.md`, serviceMarkdown(results));
  writeFileSync(`${base}.svg`, await renderChart(asChartResults(results), `teejs service benchmark (${mode}), ${machine.date.slice(0, 10)}: teejs serve over HTTP against its executor pool`));
  log(`done in ${(results.durationMs / 1000).toFixed(0)} s; wrote ${base}.{md,json,svg}`);
}

export async function soakService(serve: Serve, target: HttpTarget, plan: NonNullable<ServicePlan['soak']>): Promise<NonNullable<ServiceResults['soak']>> {
  const started = performance.now();
  const samples: SoakSample[] = [];
  let done = 0;
  let errors = 0;
  let firstError: string | null = null;
  const marks = [plan.early, ...Array.from({ length: plan.samples }, (_, i) => Math.round(plan.early + ((plan.total - plan.early) * (i + 1)) / plan.samples))];
  log(`soak: ${plan.total.toLocaleString('en')} executions through the service at c=${plan.concurrency}, RSS of its process tree at ${marks.map((m) => m.toLocaleString('en')).join(', ')}`);
  for (const mark of marks) {
    const stats = await httpLoad(target, { connections: plan.concurrency, amount: mark - done });
    done = mark;
    errors += stats.errors;
    firstError ??= stats.firstError;
    await sleep(plan.settleMs);
    const rss = treeRss(serve.child.pid!);
    const sample = { executions: mark, serverMb: mb(rss.serverBytes), executorsMb: mb(rss.childBytes), totalMb: mb(rss.serverBytes + rss.childBytes), executors: rss.children, executorMb: rss.childrenBytes.map(mb), loadAverage: loadAverage() };
    samples.push(sample);
    log(`  after ${mark.toLocaleString('en')}: server ${sample.serverMb} MB, ${sample.executors} executor processes ${sample.executorsMb} MB (${sample.executorMb.join(', ')}), total ${sample.totalMb} MB (${stats.throughput.toFixed(0)}/s)`);
  }
  const growthMb = Math.round((samples.at(-1)!.totalMb - samples[0]!.totalMb) * 100) / 100;
  return { samples, errors, firstError, growthMb, durationMs: Math.round(performance.now() - started) };
}

const fixed = (value: number, digits = 2) => value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Per concurrency: the service's throughput over the pool's and its extra p50, median over rounds. */
export function serviceRatios(results: ServiceResults): Array<{ concurrency: number; throughputRatio: number; extraP50Ms: number }> {
  return results.plan.concurrencies.map((concurrency) => {
    const rounds = results.rounds.filter((r) => r.concurrency === concurrency);
    return {
      concurrency,
      throughputRatio: median(rounds.map((r) => r.service.throughput / r.pool.throughput)),
      extraP50Ms: median(rounds.map((r) => r.service.p50Ms - r.pool.p50Ms)),
    };
  });
}

function serviceMarkdown(results: ServiceResults): string {
  const m = results.machine;
  const out: string[] = [];
  out.push(`# teejs service benchmark: ${results.mode} run, ${m.date.slice(0, 16).replace('T', ' ')} UTC`, '');
  out.push(
    `Machine: ${m.cores} cores, ${m.cpuModel}, ${m.memoryGb} GB, ${m.os}. Node ${m.node}, isolated-vm ${m.isolatedVm}. ` +
      `Commit ${m.commit}${m.srcDirty ? ' plus uncommitted changes under src/' : ''}. Load average (1, 5, 15 min) ${m.loadAverageAtStart.join(', ')} at the start, ` +
      `${results.loadAverageAtEnd.join(', ')} at the end. The run took ${fixed(results.durationMs / 1000, 0)} s.`,
    '',
    `Hello world, synchronous \`POST /v1/functions/{id}/executions\` over loopback, driven by autocannon (one request in flight per connection); ` +
      `the pool row is \`ExecutorPool\` with its defaults, in the benchmark's process. \`teejs serve\` runs with its defaults except \`${results.serviceFlags.join(' ')}\`, its log at the default level written to a file. ` +
      `Each cell: ${results.plan.warmupS} s of unrecorded warm-up, then ${results.plan.measureS} s measured.`,
    '',
  );
  out.push('## Targets (issue 14, point 3)', '', '| target | measured (median over rounds) | holds? |', '| --- | --- | --- |');
  const ratios = serviceRatios(results);
  const at16 = ratios.find((r) => r.concurrency === 16);
  const at1 = ratios.find((r) => r.concurrency === 1);
  if (at16) out.push(`| service throughput at 16 clients ≥ 0.9× the pool's | ${fixed(at16.throughputRatio)}× | ${at16.throughputRatio >= 0.9 ? 'yes' : '**no**'} |`);
  if (at1) out.push(`| one client: p50 at most 1 ms above the pool's | ${at1.extraP50Ms >= 0 ? '+' : '−'}${fixed(Math.abs(at1.extraP50Ms))} ms | ${at1.extraP50Ms <= 1 ? 'yes' : '**no**'} |`);
  if (results.soak) {
    const growth = results.soak.growthMb;
    out.push(`| RSS of the service's process tree after ${results.soak.samples.at(-1)!.executions.toLocaleString('en')} executions within 50 MB of its RSS after ${results.soak.samples[0]!.executions.toLocaleString('en')} | ${growth >= 0 ? '+' : ''}${fixed(growth, 1)} MB | ${growth <= 50 ? 'yes' : '**no**'} |`);
  }
  const c = results.costs;
  out.push(
    '',
    `## Costs per execution (${c.executions.toLocaleString('en')} executions at 16 clients, server process only)`,
    '',
    '| what | per execution |',
    '| --- | --- |',
    `| store reads (calls) | ${c.storeReadsPerExecution} |`,
    `| store writes (calls; each one commit) | ${c.storeWritesPerExecution} |`,
    `| fsync + fdatasync | ${c.fsyncsPerExecution ?? 'not measured'} (${c.fsyncNote}) |`,
    `| JSON.stringify calls | ${c.jsonStringifyPerExecution} |`,
    `| JSON.parse calls | ${c.jsonParsePerExecution} |`,
    `| log lines (default level) | ${c.logLinesPerExecution} |`,
    `| store calls by method | ${Object.entries(c.storeCalls).map(([name, count]) => `${name} ${count}`).join(', ')} |`,
    `| JSON calls by origin | ${Object.entries(c.jsonByOrigin).map(([name, count]) => `${name}: ${count}`).join('; ')} |`,
  );
  if (c.failures) out.push('', `**${c.failures} executions failed while counting.**`);
  out.push('', '## Rounds', '', '| clients | round | pool req/s | pool p50 / p99 ms | service req/s | service p50 / p99 ms | service ÷ pool | failures |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results.rounds) {
    const failures = r.pool.errors + r.service.errors;
    out.push(
      `| ${r.concurrency} | ${r.round} | ${fixed(r.pool.throughput, 0)} | ${fixed(r.pool.p50Ms)} / ${fixed(r.pool.p99Ms)} | ${fixed(r.service.throughput, 0)} | ${fixed(r.service.p50Ms)} / ${fixed(r.service.p99Ms)} | ${fixed(r.service.throughput / r.pool.throughput)}× | ${failures ? `${failures} (${r.service.firstError ?? r.pool.firstError})` : 0} |`,
    );
  }
  if (results.soak) {
    out.push('', `## Soak: resident memory of the service's process tree`, '', `${results.soak.errors} failed of ${results.soak.samples.at(-1)!.executions.toLocaleString('en')}${results.soak.firstError ? ` (first: ${results.soak.firstError})` : ''}; ${fixed(results.soak.durationMs / 1000, 0)} s.`, '');
    out.push('| executions | server MB | executor processes | executors MB (each) | total MB | load average |', '| --- | --- | --- | --- | --- | --- |');
    for (const s of results.soak.samples) {
      const each = s.executorMb ? ` (${s.executorMb.map((value) => fixed(value, 1)).join(', ')})` : '';
      out.push(`| ${s.executions.toLocaleString('en')} | ${fixed(s.serverMb, 1)} | ${s.executors} | ${fixed(s.executorsMb, 1)}${each} | ${fixed(s.totalMb, 1)} | ${s.loadAverage.join(', ')} |`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** The rounds as the main benchmark's cells (the best round of each), for its chart. */
function asChartResults(results: ServiceResults): BenchResults {
  const cells: Cell[] = [];
  for (const [system, pick] of [['teejs-pool', (r: Round) => r.pool], ['teejs-serve', (r: Round) => r.service]] as const) {
    for (const concurrency of results.plan.concurrencies) {
      const rounds = results.rounds.filter((r) => r.concurrency === concurrency).map(pick);
      const stats = rounds.sort((a, b) => a.throughput - b.throughput)[Math.floor((rounds.length - 1) / 2)];
      if (stats) cells.push({ workload: hello.id, system, concurrency, status: stats.errors ? 'errors' : 'ok', stats });
    }
  }
  return {
    mode: results.mode,
    machine: results.machine,
    loadAverageAtEnd: results.loadAverageAtEnd,
    durationMs: results.durationMs,
    plan: { concurrencies: results.plan.concurrencies, budgets: {}, maxRoundMs: 0, idleIsolates: 0, soak: { early: 0, total: 0, concurrency: 0, samples: 0, settleMs: 0 }, quickSkips: null },
    systems: [
      { id: 'teejs-pool', label: 'teejs executor pool', short: 'teejs pool', status: 'ok' },
      { id: 'teejs-serve', label: 'teejs serve (HTTP)', short: 'teejs serve', status: 'ok' },
    ],
    workloads: [{ id: hello.id, label: hello.label, params: hello.params, memoryMb: hello.memoryMb }],
    cells,
    cpu: [],
    idle: null,
    soaks: {},
  };
}
