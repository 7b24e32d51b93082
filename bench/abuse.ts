// The noisy-neighbour benchmark (`npm run bench -- --abuse`, `--abuse --quick` for a short
// variant): the real service, started as `teejs serve` in a child process with its default
// configuration (only the per-key rate limit raised, so that the quiet tenant's closed loop is
// not rate limited), a quiet tenant running hello world in a closed loop, and abusive tenants
// running memory bombs, infinite loops, sleepers, microtask storms and console floods, each at
// its quota of executions running or queued at once.
//
// Phases, each of a fixed length: warm-up, idle (nothing runs: each executor's idle size),
// baseline (the quiet tenant alone), abuse (everyone), drain (the abusive loops stop issuing;
// their last executions finish), settle (the quiet tenant alone again), rest (nothing runs:
// settled sizes), solo (each memory bomb once, alone, to time its end against the moment the
// tree's RSS crossed its limit). Memory: the whole process tree, read from /proc every ~20 ms by
// abuse-sampler.ts. Analysis and targets: abuse-analysis.ts; reports: abuse-report.ts.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { Agent, request } from 'undici';
import { describeConfig, loadConfig, type ServiceConfig } from '../src/service/config.ts';
import { analyse, type AbuseResults, type ExecutionSample, type Phases } from './abuse-analysis.ts';
import { abuseKinds, abusiveTenants, fullLimits, helloSource, quickLimits, type AbuseKind } from './abuse-payloads.ts';
import { printSummary, writeAbuseReports } from './abuse-report.ts';
import type { SamplerInput, SamplerOutput } from './abuse-sampler.ts';
import { loadAverage, machineInfo } from './machine.ts';

export interface AbusePlan {
  warmupMs: number;
  idleMs: number;
  baselineMs: number;
  abuseMs: number;
  settleMs: number;
  restMs: number;
  /** Pause before and after each solo bomb. */
  soloGapMs: number;
  /** A request not answered by then counts as failed (CLIENT_TIMEOUT). */
  clientTimeoutMs: number;
  quietLoops: number;
  sampleIntervalMs: number;
}

const plans: Record<'quick' | 'full', AbusePlan> = {
  quick: { warmupMs: 1000, idleMs: 1500, baselineMs: 4000, abuseMs: 8000, settleMs: 4000, restMs: 1500, soloGapMs: 700, clientTimeoutMs: 60_000, quietLoops: 1, sampleIntervalMs: 20 },
  full: { warmupMs: 3000, idleMs: 3000, baselineMs: 15_000, abuseMs: 45_000, settleMs: 15_000, restMs: 3000, soloGapMs: 1500, clientTimeoutMs: 120_000, quietLoops: 1, sampleIntervalMs: 20 },
};

const log = (line: string) => process.stderr.write(`${line}\n`);

interface Api {
  base: string;
  agent: Agent;
}

interface Answer {
  status: number;
  body: Record<string, unknown> | null;
}

async function call(api: Api, method: 'GET' | 'POST', path: string, key: string | null, body: unknown, timeoutMs: number): Promise<Answer> {
  const response = await request(`${api.base}${path}`, {
    method,
    dispatcher: api.agent,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.body.text();
  let parsed: Record<string, unknown> | null = null;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = null;
  }
  return { status: response.statusCode, body: parsed };
}

async function mustCall(api: Api, path: string, key: string, body: unknown): Promise<Record<string, unknown>> {
  const answer = await call(api, 'POST', path, key, body, 30_000);
  if (answer.status >= 300 || !answer.body) throw new Error(`POST ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Runs one execution synchronously and records what the caller saw. */
async function execute(api: Api, key: string, functionId: string, who: { tenant: string; kind: string; timeoutMs: number; memoryMb: number }, clientTimeoutMs: number): Promise<ExecutionSample> {
  const sentAt = Date.now();
  const clock = performance.now();
  const sample: ExecutionSample = { ...who, sentAt, receivedAt: sentAt, latencyMs: 0, httpStatus: null, status: null, code: null, durationMs: null, startedAt: null, finishedAt: null, memoryUsedBytes: null, detail: null };
  try {
    const answer = await call(api, 'POST', `/v1/functions/${functionId}/executions`, key, { params: {} }, clientTimeoutMs);
    sample.httpStatus = answer.status;
    const body = answer.body ?? {};
    if (answer.status === 200) {
      sample.status = body.status as 'success' | 'error';
      const error = body.error as { code?: string; message?: string } | null;
      sample.code = error?.code ?? null;
      sample.detail = error?.message?.slice(0, 200) ?? null;
      sample.durationMs = typeof body.durationMs === 'number' ? body.durationMs : null;
      sample.startedAt = typeof body.startedAt === 'string' ? Date.parse(body.startedAt) : null;
      sample.finishedAt = typeof body.finishedAt === 'string' ? Date.parse(body.finishedAt) : null;
      sample.memoryUsedBytes = typeof body.memoryUsedBytes === 'number' ? body.memoryUsedBytes : null;
      if (who.kind === 'hello' && sample.status === 'success' && (body.result as { hello?: string } | null)?.hello !== 'world') {
        sample.status = 'error';
        sample.code = 'WRONG_RESULT';
      }
    } else {
      const error = (body.error ?? {}) as { code?: string; message?: string };
      sample.code = `HTTP_${answer.status}${error.code ? `_${error.code}` : ''}`;
      sample.detail = error.message?.slice(0, 200) ?? null;
    }
  } catch (error) {
    const name = (error as Error).name;
    sample.code = name === 'TimeoutError' || name === 'AbortError' ? 'CLIENT_TIMEOUT' : 'CONNECTION_ERROR';
    sample.detail = (error as Error).message.slice(0, 200);
  }
  sample.receivedAt = Date.now();
  sample.latencyMs = Math.round((performance.now() - clock) * 100) / 100;
  return sample;
}

interface Service {
  child: ChildProcess;
  base: string;
  exited: Promise<void>;
  gone: { t: number; code: number | null; signal: string | null } | null;
  output: string[];
}

async function startServer(args: string[], env: NodeJS.ProcessEnv): Promise<Service> {
  const bin = new URL('../bin/teejs.js', import.meta.url).pathname;
  // detached: the server leads a process group of its own, so that it and its executors can be
  // killed at once whatever happens to this process.
  const child = spawn(process.execPath, ['--no-node-snapshot', bin, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const service: Service = { child, base: '', exited: Promise.resolve(), gone: null, output: [] };
  service.exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      service.gone = { t: Date.now(), code, signal };
      resolve();
    }),
  );
  const keep = (chunk: string) => {
    for (const line of chunk.split('\n')) if (line.trim()) service.output.push(line.slice(0, 500));
    if (service.output.length > 400) service.output.splice(0, service.output.length - 400);
  };
  child.stderr!.setEncoding('utf8').on('data', keep);
  service.base = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`the service did not start within 60 s:\n${seen.slice(-2000)}`));
    }, 60_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      keep(chunk);
      seen += chunk;
      const match = /listening on (http:\/\/[\d.:[\]]+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (code ${code}) before listening:\n${seen.slice(-2000)}`));
    });
  });
  return service;
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function startSampler(rootPid: number, plan: AbusePlan): { control: Int32Array; latestMb: Float64Array; done: Promise<SamplerOutput> } {
  const shared = new SharedArrayBuffer(16);
  const input: SamplerInput = {
    rootPid,
    intervalMs: plan.sampleIntervalMs,
    scanEveryMs: 250,
    // Leave the machine at least a fifth of its memory (other work runs here too).
    minAvailableBytes: os.totalmem() * 0.2,
    maxTreeBytes: os.totalmem() * 0.6,
    control: shared,
  };
  const worker = new Worker(new URL('./abuse-sampler.ts', import.meta.url), { workerData: input });
  const done = new Promise<SamplerOutput>((resolve, reject) => {
    worker.once('message', (output: SamplerOutput) => resolve(output));
    worker.once('error', reject);
  });
  return { control: new Int32Array(shared, 0, 2), latestMb: new Float64Array(shared, 8, 1), done };
}

async function readMetrics(api: Api): Promise<Record<string, number>> {
  try {
    const response = await request(`${api.base}/metrics`, { dispatcher: api.agent, signal: AbortSignal.timeout(10_000) });
    const text = await response.body.text();
    const wanted: Record<string, number> = {};
    for (const line of text.split('\n')) {
      if (!/^teejs_(executor_restarts_total|executions_total|pool_executors)\b/.test(line)) continue;
      const at = line.lastIndexOf(' ');
      wanted[line.slice(0, at)] = Number(line.slice(at + 1));
    }
    return wanted;
  } catch (error) {
    return { unavailable: 1, [`error: ${(error as Error).message}`]: 1 };
  }
}

/** Files under src/ with uncommitted changes: the service runs the working tree as it is. */
function uncommittedSource(): string[] {
  try {
    const status = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: new URL('..', import.meta.url), encoding: 'utf8' });
    return status.split('\n').filter(Boolean).map((line) => line.slice(3));
  } catch {
    return [];
  }
}

export async function runAbuse(options: { quick: boolean; out: string; sharing?: string }): Promise<void> {
  const mode = options.quick ? 'quick' : 'full';
  const plan = plans[mode];
  const limits = options.quick ? quickLimits : fullLimits;
  const machine = machineInfo();
  const srcChanges = uncommittedSource();
  const startedAt = Date.now();
  log(`teejs noisy-neighbour benchmark (${mode}): ${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')}`);

  const dataDir = mkdtempSync(join(os.tmpdir(), 'teejs-abuse-'));
  const adminKey = `tjs_bench_${randomBytes(24).toString('hex')}`;
  // The service's defaults: nothing of this shell's TEEJS_* settings (or database) leaks in.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TEEJS_') && name !== 'DATABASE_URL'));
  env.TEEJS_ADMIN_KEY = adminKey;
  const serveArgs = ['--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--rate-limit', '1000000', '--log-level', 'warn'];
  if (options.sharing !== undefined) serveArgs.push('--executor-sharing', options.sharing);
  const config: ServiceConfig = loadConfig(serveArgs, env);
  const quota = config.quotas.concurrentExecutionsPerUser;
  log(`service defaults: up to ${config.executors} executor process(es), ${config.concurrency} executions at once, ${quota} running or queued per user`);

  let service: Service;
  try {
    service = await startServer(serveArgs, env);
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const pid = service.child.pid!;
  const onExit = () => killGroup(service.child);
  const onSignal = () => {
    killGroup(service.child);
    process.exit(130);
  };
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const sampler = startSampler(pid, plan);
  const api: Api = { base: service.base, agent: new Agent({ connections: 1024, headersTimeout: plan.clientTimeoutMs + 10_000, bodyTimeout: plan.clientTimeoutMs + 10_000, keepAliveTimeout: 60_000 }) };
  log(`service pid ${pid} at ${service.base}`);

  const aborted = () => service.gone !== null;
  const phases: Phases = {} as Phases;
  const mark = (name: keyof Phases, from: number) => (phases[name] = { start: from, end: Date.now() });
  const quiet: ExecutionSample[] = [];
  const storm: ExecutionSample[] = [];
  const solo: Array<ExecutionSample & { preTreeBytes: number | null }> = [];
  let samplerOutput: SamplerOutput | null = null;
  let serverDied: Service['gone'] = null;
  let metricsBefore: Record<string, number> = {};
  let metricsAfter: Record<string, number> = {};

  try {
    // Tenants and their functions.
    const user = async (name: string) => ((await mustCall(api, '/v1/users', adminKey, { name })).apiKey as { key: string }).key;
    const fn = async (key: string, name: string, source: string, timeoutMs?: number, memoryMb?: number) =>
      (await mustCall(api, '/v1/functions', key, { name, source, ...(timeoutMs ? { timeoutMs } : {}), ...(memoryMb ? { memoryMb } : {}) })).id as string;
    const quietKey = await user('quiet');
    const helloId = await fn(quietKey, 'hello', helloSource);
    const helloWho = { tenant: 'quiet', kind: 'hello', timeoutMs: config.limits.defaultTimeoutMs, memoryMb: config.limits.defaultMemoryMb };
    const kinds = abuseKinds(limits);
    const tenants = await Promise.all(
      abusiveTenants(kinds).map(async (tenant) => {
        const key = await user(tenant.name);
        const functions = new Map<string, string>();
        for (const kind of tenant.kinds) functions.set(kind.id, await fn(key, kind.id, kind.source, kind.timeoutMs, kind.memoryMb));
        return { ...tenant, key, functions };
      }),
    );
    const bomber = tenants.find((t) => t.name === 'bomber')!;
    metricsBefore = await readMetrics(api);

    // The quiet tenant's closed loop runs from warm-up to the end of the settle phase.
    let quietStop = false;
    const quietLoop = async () => {
      while (!quietStop && !aborted()) {
        const sample = await execute(api, quietKey, helloId, helloWho, plan.clientTimeoutMs);
        quiet.push(sample);
        if (sample.status !== 'success') await sleep(50); // no hot loop on a dead server
      }
    };

    let t = Date.now();
    log(`warm-up ${plan.warmupMs / 1000} s…`);
    let quietLoops = Array.from({ length: plan.quietLoops }, quietLoop);
    await sleep(plan.warmupMs);
    quietStop = true;
    await Promise.all(quietLoops);
    mark('warmup', t);

    t = Date.now();
    log(`idle ${plan.idleMs / 1000} s (nothing runs: executors' idle sizes)…`);
    await sleep(plan.idleMs);
    mark('idle', t);

    t = Date.now();
    log(`baseline ${plan.baselineMs / 1000} s (the quiet tenant alone)…`);
    quietStop = false;
    quietLoops = Array.from({ length: plan.quietLoops }, quietLoop);
    await sleep(plan.baselineMs);
    mark('baseline', t);

    t = Date.now();
    log(`abuse ${plan.abuseMs / 1000} s: ${tenants.length} abusive tenants × ${quota} closed loops each, beside the quiet tenant…`);
    let abuseStop = false;
    const abusiveLoop = async (tenant: (typeof tenants)[number], index: number) => {
      let turn = index;
      while (!abuseStop && !aborted()) {
        const kind: AbuseKind = tenant.kinds[turn++ % tenant.kinds.length]!;
        const sample = await execute(api, tenant.key, tenant.functions.get(kind.id)!, { tenant: tenant.name, kind: kind.id, timeoutMs: kind.timeoutMs, memoryMb: kind.memoryMb }, plan.clientTimeoutMs);
        storm.push(sample);
        if (sample.httpStatus === 429) await sleep(250); // over the quota for a moment: retry soon, not at once
        else if (sample.httpStatus === null) await sleep(100);
      }
    };
    const abusers = tenants.flatMap((tenant) => Array.from({ length: quota }, (_, i) => abusiveLoop(tenant, i)));
    const progress = setInterval(() => log(`  ${Math.round((Date.now() - t) / 1000)} s: tree ${Math.round(sampler.latestMb[0]!)} MB, ${storm.length} abusive executions done, quiet ${quiet.length}, load ${os.loadavg()[0]!.toFixed(1)}`), 5000);
    await Promise.race([sleep(plan.abuseMs), service.exited]);
    abuseStop = true;
    mark('abuse', t);
    t = Date.now();
    log('drain: abusive loops stop issuing; waiting for their last executions…');
    await Promise.all(abusers);
    clearInterval(progress);
    mark('drain', t);

    t = Date.now();
    log(`settle ${plan.settleMs / 1000} s (the quiet tenant alone again)…`);
    await Promise.race([sleep(plan.settleMs), service.exited]);
    quietStop = true;
    await Promise.all(quietLoops);
    mark('settle', t);

    t = Date.now();
    log(`rest ${plan.restMs / 1000} s (nothing runs: settled sizes)…`);
    await Promise.race([sleep(plan.restMs), service.exited]);
    mark('rest', t);

    t = Date.now();
    log('solo: each memory bomb once, alone…');
    for (const kind of kinds.filter((k) => k.category === 'memory bomb')) {
      if (aborted()) break;
      await sleep(plan.soloGapMs);
      const preTreeBytes = sampler.latestMb[0]! * 2 ** 20;
      const sample = await execute(api, bomber.key, bomber.functions.get(kind.id)!, { tenant: 'bomber', kind: kind.id, timeoutMs: kind.timeoutMs, memoryMb: kind.memoryMb }, plan.clientTimeoutMs);
      solo.push({ ...sample, preTreeBytes });
      log(`  ${kind.id}: ${sample.code ?? sample.status} after ${sample.durationMs ?? sample.receivedAt - sample.sentAt} ms`);
    }
    await sleep(plan.soloGapMs);
    mark('solo', t);
    metricsAfter = await readMetrics(api);
  } finally {
    // The server dying on its own is a result; our stopping it is not.
    serverDied = service.gone;
    // Stop the service gracefully (nothing runs by now), then make sure its whole group is gone.
    if (!service.gone) service.child.kill('SIGTERM');
    await Promise.race([service.exited, sleep(20_000)]);
    killGroup(service.child);
    Atomics.store(sampler.control, 0, 1);
    Atomics.notify(sampler.control, 0);
    samplerOutput = await Promise.race([sampler.done, sleep(10_000).then(() => null)]);
    await api.agent.close().catch(() => {});
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rmSync(dataDir, { recursive: true, force: true });
  }

  const results: AbuseResults = analyse({
    mode,
    machine,
    srcChanges,
    loadAverageAtEnd: loadAverage(),
    durationMs: Date.now() - startedAt,
    plan,
    limits,
    kinds: abuseKinds(limits).map(({ source, ...rest }) => ({ ...rest, source })),
    tenants: abusiveTenants(abuseKinds(limits)).map((tenant) => ({ name: tenant.name, kinds: tenant.kinds.map((k) => k.id), loops: quota })),
    config: { ...describeConfig(config), dataDir: '(a temporary directory)' },
    serverPid: pid,
    serverDied,
    // The data directory is a temporary path of the machine that ran it: not for the results.
    serverOutputTail: service.output.slice(-40).map((line) => line.split(dataDir).join('DATA_DIR')),
    phases,
    quiet,
    storm,
    solo,
    sampler: samplerOutput,
    metricsBefore,
    metricsAfter,
  });
  mkdirSync(options.out, { recursive: true });
  const written = await writeAbuseReports(results, options.out);
  printSummary(results);
  log(`done in ${Math.round(results.durationMs / 1000)} s; wrote ${written.join(', ')}`);
}
