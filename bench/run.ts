// `npm run bench` (full) and `npm run bench:quick` (under a minute). First the memory of idle
// warm isolates while this process is still clean, and RSS over many executions (each system in
// a process of its own); then every system on every workload at concurrency 1, 8 and 64,
// interleaved so that each comparison is measured side by side under the same machine load. Progress goes to stderr; results to
// bench/results/<mode>.{md,json,svg}.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { closedLoop, type LatencyStats, type LoopBudget } from './measure.ts';
import { loadAverage, machineInfo } from './machine.ts';
import { idleIsolateMemory, type IdleIsolateMemory, type SoakResult } from './memory.ts';
import { cpuComparison, guestTiming, type GuestTiming } from './cpu.ts';
import type { BenchResults, Cell, CellCpu, PacedCell, SystemEntry } from './model.ts';
import { measureFloor, type FloorMeasurement } from './floor.ts';
import { cpuTimeMs } from '../src/executor/memory.ts';
import { writeReports } from './report.ts';
import { systems, type Runner, type System } from './systems/index.ts';
import { workloads, type Workload } from './workloads/index.ts';

const { values: options } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: new URL('./results/', import.meta.url).pathname },
    systems: { type: 'string' },
    workloads: { type: 'string' },
    concurrency: { type: 'string' },
    'no-memory': { type: 'boolean', default: false },
    'think-ms': { type: 'string', default: '5' },
    abuse: { type: 'boolean', default: false },
    service: { type: 'boolean', default: false },
    'executor-sharing': { type: 'string' },
    taming: { type: 'boolean', default: false },
    'sandbox-cost': { type: 'boolean', default: false },
    cluster: { type: 'boolean', default: false },
    libraries: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (options.help) {
  process.stdout.write(`usage: npm run bench [-- options]   (npm run bench:quick for --quick)
  --quick              scaled-down run, under a minute (fewer requests, smaller soak, c=64 only for light workloads)
  --out DIR            where to write <mode>.md, <mode>.json and <mode>.svg (default bench/results/)
  --systems a,b        only these systems (ids: ${systems.map((s) => s.id).join(', ')})
  --workloads a,b      only these workloads (ids: ${workloads.map((w) => w.id).join(', ')})
  --concurrency 1,8    only these concurrencies (of 1, 8, 64)
  --no-memory          skip the idle-isolate and RSS measurements
  --think-ms MS        the pause between requests of the paced hello-world cells (c=1 below capacity; default 5)
  --service            only the service rows: hello world through \`teejs serve\` over HTTP (autocannon) beside its
                       executor pool at 1 and 16 clients, and the RSS of the service's process tree over 100,000
                       executions (bench/service.ts; writes service.{md,json,svg}, or service-quick.* with --quick;
                       --no-memory skips the soak)
  --abuse              only the noisy-neighbour benchmark: the service, a quiet tenant and abusive ones
                       (bench/abuse.ts; writes abuse.{md,json,svg}, or abuse-quick.* with --quick)
  --executor-sharing M with --abuse: the service's --executor-sharing (default tenant; files get a -M suffix)
  --sandbox-cost       only where one sandbox's time goes: bare isolate, from the snapshot, attached, a whole
                       hello world (bench/sandbox-cost.ts; writes sandbox-cost.{md,json})
  --taming             only the cost of the override taming: snapshot, sandbox creation and hot operations
                       with each choice (bench/taming.ts; writes taming.{md,json}, or taming-quick.*)
  --cluster            only the cluster benchmark: 1, 2, 3 nodes on PostgreSQL (TEEJS_BENCH_DATABASE_URL)
                       against 1 on SQLite, hand-over and time to INTERRUPTED (bench/cluster.ts;
                       writes cluster.{md,json}, or cluster-quick.* with --quick)
  --libraries          only the npm-library measurement: 24 popular libraries (pinned versions) installed with
                       npm install into a temporary project (needs the npm registry; CI never runs it), each
                       bundled and run in Node and in teejs, results compared (bench/npm-libraries.ts;
                       writes npm-libraries.{md,json})
`);
  process.exit(0);
}

const quick = options.quick;
const mode = quick ? 'quick' : 'full';
const allConcurrencies = [1, 8, 64];
const concurrencies = options.concurrency ? options.concurrency.split(',').map(Number) : allConcurrencies;
if (concurrencies.length === 0 || concurrencies.some((c) => !allConcurrencies.includes(c))) {
  process.stderr.write(`--concurrency takes some of ${allConcurrencies.join(', ')}\n`);
  process.exit(2);
}
const lightWorkloads = new Set(['hello', 'secret-log']);

/** How long each (workload, concurrency, system) cell runs. */
function budgetFor(concurrency: number): LoopBudget {
  return quick
    ? { warmup: concurrency, warmupMs: 150, minRequests: Math.max(concurrency * 2, 10), minMs: 250, maxRequests: 50_000, maxMs: 1500 }
    : { warmup: Math.max(concurrency, 20), warmupMs: 1500, minRequests: Math.max(concurrency * 4, 200), minMs: 3000, maxRequests: 200_000, maxMs: 15_000 };
}

/** A cell whose first round alone would take longer than this is skipped, and says so. */
const maxRoundMs = quick ? 1500 : 60_000;
const idleIsolates = quick ? 20 : 100;
const soakPlan = quick
  ? { early: 100, total: 500, concurrency: 8, samples: 1, settleMs: 200 }
  : { early: 1000, total: 100_000, concurrency: 8, samples: 5, settleMs: 1000 };
// Plain isolated-vm too, as a control: growth it shares is V8's or the allocator's, not teejs's.
const soakSystems = ['teejs-pool', 'teejs-core-warm', 'isolated-vm'];
const settleMs = quick ? 30 : 500;

function pick<T extends { id: string }>(all: readonly T[], list: string | undefined): T[] {
  if (!list) return [...all];
  const wanted = new Set(list.split(','));
  const unknown = [...wanted].filter((id) => !all.some((item) => item.id === id));
  if (unknown.length) throw new Error(`unknown id(s): ${unknown.join(', ')}`);
  return all.filter((item) => wanted.has(item.id));
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

const fmt = (value: number, digits = 2) => value.toFixed(digits);

function describeStats(stats: LatencyStats): string {
  const errors = stats.errors ? `, ${stats.errors} FAILED (${stats.firstError})` : '';
  return `p50 ${fmt(stats.p50Ms)} ms  p99 ${fmt(stats.p99Ms)} ms  ${fmt(stats.throughput, 1)}/s  n=${stats.count}${errors}`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const machine = machineInfo();
  const chosenSystems = pick(systems, options.systems);
  const chosenWorkloads = pick(workloads, options.workloads);
  log(`teejs benchmark (${mode}) — ${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')}`);
  if (quick) log('quick mode: fewer requests per cell, concurrency 64 only for the light workloads, a smaller soak');

  // Memory of idle isolates first, while this process is still small and quiet.
  let idle: IdleIsolateMemory | null = null;
  const hello = workloads.find((w) => w.id === 'hello')!;
  if (!options['no-memory']) {
    log(`idle warm isolates: holding ${idleIsolates} bootstrapped sandboxes…`);
    idle = await idleIsolateMemory(idleIsolates, hello);
    log(`  ${fmt(idle.teejsRssPerIsolateBytes / 2 ** 20)} MB RSS per teejs isolate, ${fmt(idle.plainRssPerIsolateBytes / 2 ** 20)} MB per plain isolate`);
  }

  // Each soak runs in a process of its own, so the RSS it measures is that system's alone.
  const soaks: Record<string, SoakResult | { missing: string }> = {};
  if (!options['no-memory']) {
    for (const id of soakSystems) {
      if (!chosenSystems.some((s) => s.id === id)) continue;
      log(`RSS soak on ${id} in a process of its own: ${soakPlan.total.toLocaleString('en')} hello-world executions at c=${soakPlan.concurrency}…`);
      soaks[id] = await soakInChild(id);
    }
  }

  const entries: SystemEntry[] = [];
  const runners = new Map<string, Runner>();
  for (const system of chosenSystems) {
    log(`starting ${system.label}…`);
    let started: Runner | { missing: string };
    try {
      started = await system.start();
    } catch (error) {
      started = { missing: `failed to start: ${error instanceof Error ? error.message : String(error)}` };
    }
    if ('missing' in started) {
      log(`  MISSING: ${started.missing}`);
      entries.push({ id: system.id, label: system.label, short: system.short, note: system.note, status: 'missing', reason: started.missing });
    } else {
      runners.set(system.id, started);
      entries.push({ id: system.id, label: system.label, short: system.short, note: system.note, status: 'ok', config: started.config });
    }
  }

  // The bare floor of a teejs execution, before the cells and again after them (same run, same load).
  const floor: FloorMeasurement[] = [];
  const wantsFloor = chosenSystems.some((s) => s.id.startsWith('teejs'));
  const floorPlan = quick ? ([3, 20] as const) : ([7, 50] as const);
  const measureFloorNow = async (when: string) => {
    if (!wantsFloor) return;
    const measured = await measureFloor(floorPlan[0], floorPlan[1]);
    floor.push(measured);
    log(`bare floor (${when}): snapshot sandbox + attach + dispose ${fmt(measured.sandboxCpuMs, 3)} ms CPU; isolate + context from our snapshot ${fmt(measured.snapshotContextCpuMs, 3)}, from an empty one ${fmt(measured.emptySnapshotContextCpuMs, 3)}, bare isolated-vm ${fmt(measured.bareCpuMs, 3)}`);
  };
  await measureFloorNow('before the cells');

  const cells: Cell[] = [];
  const guestTimings = new Map<string, GuestTiming[]>();
  const plan = chosenWorkloads.flatMap((workload) =>
    concurrencies.flatMap((concurrency) => chosenSystems.map((system) => ({ workload, concurrency, system }))),
  );
  let index = 0;
  for (const { workload, concurrency, system } of plan) {
    index++;
    const where = `[${index}/${plan.length}] ${workload.id} c=${concurrency} ${system.id}`.padEnd(44);
    const applicable = appliesTo(system, workload, concurrency);
    if (applicable) process.stderr.write(`${where} `); // the rest of the line when the cell is done
    const cell = await runCell(workload, concurrency, system, runners.get(system.id), cells, guestTimings);
    cells.push(cell);
    if (cell.stats) log(describeStats(cell.stats) + describeExtras(cell));
    else if (applicable) log(`${cell.status}: ${cell.reason}`);
  }

  // Hello world below capacity: c=1 with a pause between requests, where a warm pool should
  // always have a prepared sandbox waiting.
  const paced: PacedCell[] = [];
  const thinkMs = Number(options['think-ms']);
  if (chosenWorkloads.some((w) => w.id === 'hello') && concurrencies.includes(1) && thinkMs > 0) {
    for (const system of chosenSystems) {
      const runner = runners.get(system.id);
      if (!runner || !appliesTo(system, hello, 1)) continue;
      process.stderr.write(`paced hello c=1 think ${thinkMs} ms ${system.id}`.padEnd(44) + ' ');
      const measured = await measuredLoop(runner, hello, 1, budgetFor(1), undefined, thinkMs);
      const status = measured.stats.errors === 0 ? 'ok' : measured.stats.errors === measured.stats.count ? 'failed' : 'errors';
      paced.push({ workload: hello.id, system: system.id, thinkMs, status, stats: measured.stats, cpu: measured.cpu, ...(measured.warm ? { warm: measured.warm } : {}) });
      log(describeStats(measured.stats) + describeExtras(measured));
      await new Promise((resolve) => setTimeout(resolve, settleMs));
    }
  }
  await measureFloorNow('after the cells');

  for (const [id, runner] of runners) {
    const entry = entries.find((e) => e.id === id);
    if (entry && runner.stats) entry.stats = runner.stats();
    await runner.close().catch((error: unknown) => log(`closing ${id} failed: ${String(error)}`));
  }

  const cpu = cpuComparison(cells, guestTimings);
  const results: BenchResults = {
    mode,
    machine,
    loadAverageAtEnd: loadAverage(),
    durationMs: Math.round(performance.now() - started),
    plan: {
      concurrencies: [...concurrencies],
      budgets: Object.fromEntries(concurrencies.map((c) => [c, budgetFor(c)])),
      maxRoundMs,
      idleIsolates,
      soak: soakPlan,
      quickSkips: quick ? 'concurrency 64 runs only for the light workloads (hello, secret-log)' : null,
    },
    systems: entries,
    workloads: chosenWorkloads.map((w) => ({ id: w.id, label: w.label, params: w.params, memoryMb: w.memoryMb })),
    cells,
    cpu,
    idle,
    floor,
    paced,
    soaks,
  };
  mkdirSync(options.out!, { recursive: true });
  const written = await writeReports(results, options.out!);
  log(`done in ${fmt(results.durationMs / 1000, 1)} s; wrote ${written.join(', ')}`);
}

async function soakInChild(id: string): Promise<SoakResult | { missing: string }> {
  const script = new URL('./soak.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--no-node-snapshot', script, id, JSON.stringify(soakPlan)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  try {
    return JSON.parse(output) as SoakResult | { missing: string };
  } catch {
    return { missing: `the soak process failed (exit code ${code})` };
  }
}

/** Baselines (`only`) run just their workloads, at concurrency 1; some workloads only at some. */
function appliesTo(system: System, workload: Workload, concurrency: number): boolean {
  if (workload.concurrencies && !workload.concurrencies.includes(concurrency)) return false;
  return !system.only || (system.only.includes(workload.id) && concurrency === 1);
}

async function runCell(
  workload: Workload,
  concurrency: number,
  system: System,
  runner: Runner | undefined,
  done: readonly Cell[],
  guestTimings: Map<string, GuestTiming[]>,
): Promise<Cell> {
  const base = { workload: workload.id, system: system.id, concurrency };
  if (!appliesTo(system, workload, concurrency)) return { ...base, status: 'not-applicable', reason: system.note ?? 'not run' };
  if (!runner) return { ...base, status: 'missing', reason: 'system missing (see systems)' };
  if (quick && workload.fullOnly) return { ...base, status: 'skipped', reason: 'not run in quick mode' };
  if (quick && concurrency === 64 && !lightWorkloads.has(workload.id)) {
    return { ...base, status: 'skipped', reason: 'not run in quick mode' };
  }
  const single = done.find((c) => c.workload === workload.id && c.system === system.id && c.concurrency === 1)?.stats;
  if (single) {
    const roundMs = (single.p50Ms * concurrency) / (system.parallel ? 2 : 1);
    if (roundMs > maxRoundMs) {
      return { ...base, status: 'skipped', reason: `one round of ${concurrency} requests would take ~${fmt(roundMs / 1000, 1)} s (limit ${maxRoundMs / 1000} s)` };
    }
  }
  const timings: GuestTiming[] = [];
  const { stats, cpu, warm } = await measuredLoop(runner, workload, concurrency, budgetFor(concurrency), (outcome) => {
    const timing = guestTiming(outcome);
    if (timing) timings.push(timing);
  });
  if (concurrency === 1 && timings.length) guestTimings.set(`${workload.id}/${system.id}`, timings);
  await new Promise((resolve) => setTimeout(resolve, settleMs)); // background refills finish before the next cell
  return { ...base, status: stats.errors === 0 ? 'ok' : stats.errors === stats.count ? 'failed' : 'errors', stats, cpu, ...(warm ? { warm } : {}) };
}

/** A closed loop, with the CPU it took (this process and the system's own) and its warm-pool hits. */
async function measuredLoop(
  runner: Runner,
  workload: Workload,
  concurrency: number,
  budget: LoopBudget,
  observe?: (outcome: Parameters<NonNullable<Parameters<typeof closedLoop>[4]>>[0]) => void,
  thinkMs?: number,
): Promise<{ stats: LatencyStats; cpu: CellCpu; warm: { hits: number; misses: number } | null }> {
  let hostStart = 0;
  let childStart = new Map<number, number>();
  let warmStart: { hits: number; misses: number } | null = null;
  const stats = await closedLoop(runner, workload, concurrency, budget, observe, {
    thinkMs,
    onMeasureStart: () => {
      hostStart = processCpuMs();
      childStart = childCpu(runner);
      warmStart = warmCounters(runner);
    },
  });
  const host = processCpuMs() - hostStart;
  let children: number | null = null;
  if (runner.pids) {
    children = 0;
    // Only processes seen at both ends count (one replaced meanwhile would count from zero).
    for (const [pid, end] of childCpu(runner)) {
      const start = childStart.get(pid);
      if (start !== undefined) children += end - start;
    }
  }
  const answered = Math.max(1, stats.count);
  const round3 = (value: number) => Math.round(value * 1000) / 1000;
  const warmEnd = warmCounters(runner);
  const ws = warmStart as { hits: number; misses: number } | null;
  return {
    stats,
    cpu: {
      perRequestMs: round3((host + (children ?? 0)) / answered),
      hostPerRequestMs: round3(host / answered),
      childrenPerRequestMs: children === null ? null : round3(children / answered),
    },
    warm: ws && warmEnd ? { hits: warmEnd.hits - ws.hits, misses: warmEnd.misses - ws.misses } : null,
  };
}

function processCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function childCpu(runner: Runner): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const pid of runner.pids?.() ?? []) {
    const ms = cpuTimeMs(pid);
    if (ms !== null) cpu.set(pid, ms);
  }
  return cpu;
}

/** Warm-pool hits and misses so far, summed over the system's pools (null: it has none). */
function warmCounters(runner: Runner): { hits: number; misses: number } | null {
  const stats = runner.stats?.() as { warmPool?: unknown; warmPools?: unknown } | undefined;
  const pools = [stats?.warmPool, ...(Array.isArray(stats?.warmPools) ? stats.warmPools : [])].filter(
    (pool): pool is { hits: number; misses: number } => typeof (pool as { hits?: unknown } | null)?.hits === 'number',
  );
  if (pools.length === 0) return null;
  return { hits: pools.reduce((sum, pool) => sum + pool.hits, 0), misses: pools.reduce((sum, pool) => sum + pool.misses, 0) };
}

function describeExtras(cell: { cpu?: CellCpu; warm?: { hits: number; misses: number } | null }): string {
  const parts: string[] = [];
  if (cell.cpu) parts.push(`cpu ${fmt(cell.cpu.perRequestMs, 3)} ms/req${cell.cpu.childrenPerRequestMs === null ? '' : ` (host ${fmt(cell.cpu.hostPerRequestMs, 3)})`}`);
  if (cell.warm) {
    const total = cell.warm.hits + cell.warm.misses;
    parts.push(`warm hits ${total ? fmt((100 * cell.warm.hits) / total, 1) : 'n/a'}% of ${total}`);
  }
  return parts.length ? `  ${parts.join('  ')}` : '';
}

const entry = options.cluster
  ? () => import('./cluster.ts').then((cluster) => cluster.runCluster({ quick, out: options.out! }))
  : options.service
    ? () => import('./service.ts').then((service) => service.runServiceBench({ quick, out: options.out!, noMemory: options['no-memory'] }))
    : options.abuse
    ? () => import('./abuse.ts').then((abuse) => abuse.runAbuse({ quick, out: options.out!, sharing: options['executor-sharing'] }))
    : options.taming
      ? () => import('./taming.ts').then((taming) => taming.runTaming({ quick, out: options.out! }))
      : options['sandbox-cost']
        ? () => import('./sandbox-cost.ts').then((cost) => cost.runSandboxCost({ quick, out: options.out! }))
        : options.libraries
          ? () => import('./npm-libraries.ts').then((libraries) => libraries.runNpmLibraries({ out: options.out! }))
          : main;
entry().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
