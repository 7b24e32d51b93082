// The cluster benchmark (`npm run bench -- --cluster`, `--cluster --quick` for a short run):
// 1, 2 and 3 `teejs serve` nodes on one PostgreSQL against one node on SQLite, each node a real
// child process with executor processes. Per configuration: sync and async hello world through
// all nodes in turn (throughput, p50/p99; for async, from the 202 to the recorded end), and the
// rows PostgreSQL wrote per execution and the connections each node held. With two nodes, the
// hand-over (an async execution sent to a full node, started by an idle peer: its recorded
// start minus its creation) and the time from a kill -9 to INTERRUPTED. The database comes
// from TEEJS_BENCH_DATABASE_URL (or TEEJS_TEST_DATABASE_URL); each configuration gets a fresh
// schema. Results: bench/results/cluster.{md,json} (cluster-quick.* with --quick).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { generateApiKey } from '../src/service/auth/keys.ts';
import { machineInfo } from './machine.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = path.join(root, 'node_modules', '.bin');
const hello = 'export default (params) => ({ hello: params.name })';
const sleeper = 'export default (params) => new Promise((resolve) => setTimeout(() => resolve(params.ms), params.ms))';

interface Plan {
  syncMs: number;
  asyncCount: number;
  concurrency: number;
  handovers: number;
  kills: number;
}

interface Node {
  id: string;
  url: string;
  child: ChildProcess;
  exited: Promise<void>;
  dataDir: string;
}

interface Stats {
  count: number;
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

interface ConfigResult {
  name: string;
  store: 'sqlite' | 'postgres';
  nodes: number;
  sync: Stats;
  async: Stats;
  rowsWrittenPerExecution: number | null;
  connectionsPerNode: number | null;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function stats(latencies: number[], elapsedMs: number, errors: number): Stats {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { count: sorted.length, throughput: (sorted.length / elapsedMs) * 1000, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), errors };
}

class Deployment {
  readonly adminKey = generateApiKey().key;
  readonly #masterKey = randomBytes(32).toString('base64');
  readonly nodes: Node[] = [];
  readonly databaseUrl: string | undefined;

  constructor(databaseUrl: string | undefined) {
    this.databaseUrl = databaseUrl;
  }

  async start(id: string, flags: string[] = []): Promise<Node> {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'teejs-bench-cluster-'));
    const child = spawn(path.join(bin, 'teejs'), ['serve', '--data-dir', dataDir, '--port', '0', '--node-id', id, '--log-level', 'error', '--rate-limit', '1000000', '--max-running', '100000', '--max-user-share', '1', ...flags], {
      cwd: root,
      detached: true,
      env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, TEEJS_ADMIN_KEY: this.adminKey, TEEJS_MASTER_KEY: this.#masterKey, ...(this.databaseUrl ? { DATABASE_URL: this.databaseUrl } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const deadline = Date.now() + 120_000;
    for (;;) {
      const match = /listening on (http:\/\/[\d.:]+)/.exec(output);
      if (match) {
        const node = { id, url: match[1]!, child, exited, dataDir };
        this.nodes.push(node);
        return node;
      }
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`node ${id} did not start:\n${output}`);
      await sleep(50);
    }
  }

  kill(node: Node, signal: NodeJS.Signals): void {
    try {
      process.kill(-node.child.pid!, signal);
    } catch {
      // Gone already.
    }
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) this.kill(node, 'SIGTERM');
    await Promise.all(this.nodes.map((node) => Promise.race([node.exited, sleep(30_000)])));
    for (const node of this.nodes) {
      this.kill(node, 'SIGKILL');
      rmSync(node.dataDir, { recursive: true, force: true });
    }
  }
}

async function call(url: string, method: string, key: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function setUp(deployment: Deployment): Promise<{ key: string; fn: string; sleeperFn: string }> {
  const first = deployment.nodes[0]!;
  const user = await call(`${first.url}/v1/users`, 'POST', deployment.adminKey, { name: `bench-${randomBytes(4).toString('hex')}` });
  const key = user.body.apiKey.key as string;
  const fn = await call(`${first.url}/v1/functions`, 'POST', key, { name: 'hello', source: hello });
  const slow = await call(`${first.url}/v1/functions`, 'POST', key, { name: 'sleeper', source: sleeper, timeoutMs: 60_000 });
  return { key, fn: fn.body.id, sleeperFn: slow.body.id };
}

/** Sync hello world in a closed loop, `concurrency` clients, each node in turn. */
async function syncLoop(deployment: Deployment, key: string, fn: string, plan: Plan): Promise<Stats> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const end = started + plan.syncMs;
  await Promise.all(
    Array.from({ length: plan.concurrency }, async () => {
      while (performance.now() < end) {
        const node = deployment.nodes[next++ % deployment.nodes.length]!;
        const t0 = performance.now();
        const answer = await call(`${node.url}/v1/functions/${fn}/executions`, 'POST', key, { params: { name: 'world' } }).catch(() => ({ status: 0, body: undefined }));
        if (answer.status === 200 && answer.body.status === 'success') latencies.push(performance.now() - t0);
        else errors++;
      }
    }),
  );
  return stats(latencies, performance.now() - started, errors);
}

/** `asyncCount` async hello worlds sent through all nodes; latency is the record's end minus its creation. */
async function asyncBatch(deployment: Deployment, key: string, fn: string, plan: Plan): Promise<Stats> {
  const ids: string[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: plan.concurrency }, async () => {
      while (next < plan.asyncCount) {
        const node = deployment.nodes[next++ % deployment.nodes.length]!;
        const answer = await call(`${node.url}/v1/functions/${fn}/executions`, 'POST', key, { params: { name: 'world' }, async: true }).catch(() => ({ status: 0, body: undefined }));
        if (answer.status === 202) ids.push(answer.body.executionId);
        else errors++;
      }
    }),
  );
  const latencies: number[] = [];
  const node = deployment.nodes[0]!;
  for (const id of ids) {
    for (;;) {
      const record = await call(`${node.url}/v1/executions/${id}`, 'GET', key);
      if (record.body.status === 'success' || record.body.status === 'error') {
        if (record.body.status === 'success') latencies.push(Date.parse(record.body.finishedAt) - Date.parse(record.body.createdAt));
        else errors++;
        break;
      }
      await sleep(20);
    }
  }
  return stats(latencies, performance.now() - started, errors);
}

async function pgFigures(databaseUrl: string, schema: string): Promise<{ writes: number; connections: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const writes = await client.query('SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) AS n FROM pg_stat_user_tables WHERE schemaname = $1', [schema]);
    const connections = await client.query('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    return { writes: Number(writes.rows[0].n), connections: Number(connections.rows[0].n) };
  } finally {
    await client.end();
  }
}

async function withSchema(baseUrl: string, body: (databaseUrl: string, schema: string) => Promise<void>): Promise<void> {
  const schema = `teejs_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  try {
    const url = new URL(baseUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    await body(url.toString(), schema);
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

async function measureConfig(name: string, baseUrl: string | undefined, nodes: number, plan: Plan): Promise<ConfigResult> {
  let result: ConfigResult | undefined;
  const run = async (databaseUrl: string | undefined, schema: string | undefined) => {
    const deployment = new Deployment(databaseUrl);
    try {
      for (let i = 0; i < nodes; i++) await deployment.start(`bench-${i + 1}`, ['--concurrency', '8']);
      const { key, fn } = await setUp(deployment);
      // Warm-up: every node's executors and warm pools.
      await syncLoop(deployment, key, fn, { ...plan, syncMs: 1000 });
      const before = databaseUrl && schema ? await pgFigures(baseUrl!, schema) : undefined;
      const asyncStats = await asyncBatch(deployment, key, fn, plan);
      const afterAsync = databaseUrl && schema ? await pgFigures(baseUrl!, schema) : undefined;
      const syncStats = await syncLoop(deployment, key, fn, plan);
      // Writes per execution, measured over the async batch (polling reads write nothing).
      const rows = before && afterAsync ? (afterAsync.writes - before.writes) / asyncStats.count : null;
      result = { name, store: databaseUrl ? 'postgres' : 'sqlite', nodes, sync: syncStats, async: asyncStats, rowsWrittenPerExecution: rows, connectionsPerNode: afterAsync ? afterAsync.connections / nodes : null };
    } finally {
      await deployment.stop();
    }
  };
  if (baseUrl) await withSchema(baseUrl, run);
  else await run(undefined, undefined);
  log(`${name}: sync ${fmt(result!.sync)} | async ${fmt(result!.async)}${result!.rowsWrittenPerExecution === null ? '' : ` | ${result!.rowsWrittenPerExecution.toFixed(1)} row writes/execution, ${result!.connectionsPerNode!.toFixed(1)} connections/node`}`);
  return result!;
}

function fmt(s: Stats): string {
  return `${s.throughput.toFixed(1)}/s p50 ${s.p50Ms.toFixed(1)} ms p99 ${s.p99Ms.toFixed(1)} ms n=${s.count}${s.errors ? ` errors=${s.errors}` : ''}`;
}

/** Two nodes: hand-over latency and time from kill -9 to INTERRUPTED. */
async function measureFailover(baseUrl: string, plan: Plan): Promise<{ handover: Stats; interruptedMs: number[]; leaseMs: number }> {
  const leaseMs = 6000;
  let out: { handover: Stats; interruptedMs: number[]; leaseMs: number } | undefined;
  await withSchema(baseUrl, async (databaseUrl) => {
    const deployment = new Deployment(databaseUrl);
    try {
      const busy = await deployment.start('busy', ['--concurrency', '1']);
      const idle = await deployment.start('idle', ['--concurrency', '4']);
      const { key, fn, sleeperFn } = await setUp(deployment);
      await call(`${idle.url}/v1/functions/${fn}/executions`, 'POST', key, { params: { name: 'warm' } });
      // Fill the busy node's one slot with a long execution it claims itself.
      const long = await call(`${busy.url}/v1/functions/${sleeperFn}/executions`, 'POST', key, { params: { ms: 600_000 } }).catch(() => undefined);
      void long;
      await sleep(500);
      const latencies: number[] = [];
      for (let i = 0; i < plan.handovers; i++) {
        const answer = await call(`${busy.url}/v1/functions/${fn}/executions`, 'POST', key, { params: { name: String(i) }, async: true });
        for (;;) {
          const record = await call(`${idle.url}/v1/executions/${answer.body.executionId}`, 'GET', key);
          if (record.body.status === 'success') {
            latencies.push(Date.parse(record.body.startedAt) - Date.parse(record.body.createdAt));
            break;
          }
          await sleep(5);
        }
      }
      const handover = stats(latencies, 1, 0);

      const interruptedMs: number[] = [];
      for (let k = 0; k < plan.kills; k++) {
        const victim = await deployment.start(`victim-${k}`, ['--concurrency', '2']);
        // Sync: it runs on the node the client called (async work may go to any node).
        void call(`${victim.url}/v1/functions/${sleeperFn}/executions`, 'POST', key, { params: { ms: 50_000 } }).catch(() => undefined);
        let executionId: string | undefined;
        while (!executionId) {
          const page = await call(`${idle.url}/v1/functions/${sleeperFn}/executions?status=running`, 'GET', key);
          executionId = (page.body.items as Array<{ executionId: string; nodeId: string }>).find((e) => e.nodeId === victim.id)?.executionId;
          if (!executionId) await sleep(20);
        }
        const started = { body: { executionId } };
        const killedAt = Date.now();
        deployment.kill(victim, 'SIGKILL');
        for (;;) {
          const record = await call(`${idle.url}/v1/executions/${started.body.executionId}`, 'GET', key);
          if (record.body.status === 'error') {
            interruptedMs.push(Date.now() - killedAt);
            break;
          }
          await sleep(50);
        }
      }
      out = { handover, interruptedMs, leaseMs };
      deployment.kill(busy, 'SIGKILL');
    } finally {
      await deployment.stop();
    }
  });
  log(`hand-over to an idle peer: p50 ${out!.handover.p50Ms.toFixed(1)} ms p99 ${out!.handover.p99Ms.toFixed(1)} ms n=${out!.handover.count}`);
  log(`kill -9 to INTERRUPTED (lease ${out!.leaseMs} ms): ${out!.interruptedMs.map((ms) => `${ms} ms`).join(', ')}`);
  return out!;
}

export async function runCluster(options: { quick: boolean; out: string }): Promise<void> {
  const baseUrl = process.env.TEEJS_BENCH_DATABASE_URL ?? process.env.TEEJS_TEST_DATABASE_URL;
  if (!baseUrl) {
    log('the cluster benchmark needs PostgreSQL: set TEEJS_BENCH_DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/DB');
    process.exit(2);
  }
  const plan: Plan = options.quick ? { syncMs: 2000, asyncCount: 200, concurrency: 16, handovers: 20, kills: 1 } : { syncMs: 10_000, asyncCount: 1000, concurrency: 16, handovers: 100, kills: 3 };
  const machine = machineInfo();
  log(`teejs cluster benchmark (${options.quick ? 'quick' : 'full'}) — ${machine.cores} cores, ${machine.cpuModel}; every node on this machine`);
  const configs: ConfigResult[] = [];
  configs.push(await measureConfig('1 node, SQLite', undefined, 1, plan));
  for (const nodes of [1, 2, 3]) configs.push(await measureConfig(`${nodes} node${nodes > 1 ? 's' : ''}, PostgreSQL`, baseUrl, nodes, plan));
  const failover = await measureFailover(baseUrl, plan);
  const results = { machine, plan, configs, failover, at: new Date().toISOString() };
  const mode = options.quick ? 'cluster-quick' : 'cluster';
  mkdirSync(options.out, { recursive: true });
  writeFileSync(path.join(options.out, `${mode}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(options.out, `${mode}.md`), report(results));
  log(`written: ${path.join(options.out, `${mode}.md`)}`);
}

function report(results: { machine: ReturnType<typeof machineInfo>; plan: Plan; configs: ConfigResult[]; failover: { handover: Stats; interruptedMs: number[]; leaseMs: number } }): string {
  const row = (c: ConfigResult) =>
    `| ${c.name} | ${c.sync.throughput.toFixed(1)} | ${c.sync.p50Ms.toFixed(1)} | ${c.sync.p99Ms.toFixed(1)} | ${c.async.throughput.toFixed(1)} | ${c.async.p50Ms.toFixed(1)} | ${c.async.p99Ms.toFixed(1)} | ${c.rowsWrittenPerExecution?.toFixed(1) ?? '-'} | ${c.connectionsPerNode?.toFixed(1) ?? '-'} |`;
  return [
    '# Cluster benchmark',
    '',
    `${results.machine.cores} cores (${results.machine.cpuModel}); every node and PostgreSQL on this one machine. Hello world; sync: ${results.plan.concurrency} clients in a closed loop for ${results.plan.syncMs} ms, through every node in turn; async: ${results.plan.asyncCount} executions sent by ${results.plan.concurrency} clients, latency from creation to the recorded end. Each node: --concurrency 8, default executors.`,
    '',
    '| deployment | sync /s | sync p50 ms | sync p99 ms | async /s | async p50 ms | async p99 ms | row writes / execution | connections / node |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.configs.map(row),
    '',
    `Hand-over: an async execution sent to a node whose one slot is busy, started by an idle peer (PostgreSQL NOTIFY): start minus creation p50 ${results.failover.handover.p50Ms.toFixed(1)} ms, p99 ${results.failover.handover.p99Ms.toFixed(1)} ms (n=${results.failover.handover.count}).`,
    '',
    `kill -9 of a node to its started execution reading INTERRUPTED on another node (--lease ${results.failover.leaseMs}): ${results.failover.interruptedMs.map((ms) => `${ms} ms`).join(', ')}.`,
    '',
  ].join('\n');
}
