// What one synchronous hello-world execution costs the server besides the guest's run, counted
// (not timed): store calls by method (each write method is one commit), fsync and fdatasync
// calls of the server process (strace, when installed), JSON.stringify and JSON.parse calls in
// the server process, and log lines at the default level. The service runs in this process
// (startService, as `teejs serve` does, with the executor pool), so that its store and the JSON
// functions can be watched; the client sends a pre-encoded body and checks answers as text, so
// that it adds no JSON calls of its own. Executor processes are not counted: their messages are
// structured clones, not JSON.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { loadConfig } from '../src/service/config.ts';
import { startService } from '../src/service/server.ts';
import { generateApiKey } from '../src/service/auth/keys.ts';
import { httpLoad } from './load.ts';
import { helloTarget, serviceFlags } from './service.ts';

/** Store methods that write (each is one transaction or one autocommitted statement). */
const writeMethods = /^(create|update|delete|put|start|complete|claim|record|set|renew|interrupt|touch|reserve|release|prune|activate|register|heartbeat|init|fire|finish|save|revoke|mark|retire)/i;

export interface ServiceCosts {
  executions: number;
  /** Per execution, by store method. */
  storeCalls: Record<string, number>;
  storeReadsPerExecution: number;
  storeWritesPerExecution: number;
  fsyncsPerExecution: number | null;
  fsyncNote: string;
  jsonStringifyPerExecution: number;
  jsonParsePerExecution: number;
  /** The same calls by who made them (from the caller's stack). */
  jsonByOrigin: Record<string, number>;
  logLinesPerExecution: number;
  failures: number;
}

export async function measureServiceCosts(executions: number, concurrency: number): Promise<ServiceCosts> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'teejs-bench-costs-'));
  const adminKey = generateApiKey().key;
  const env = { TEEJS_ADMIN_KEY: adminKey, TEEJS_MASTER_KEY: randomBytes(32).toString('base64') };
  const config = loadConfig(['--data-dir', dataDir, '--port', '0', ...serviceFlags], env);
  let logLines = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const byte of chunk) if (byte === 10) logLines++;
      done();
    },
  });
  const logger = pino({ level: config.logLevel, base: { service: 'teejs', node: config.nodeId } }, sink);
  const service = await startService(config, { logger });
  const store = service.store as unknown as Record<string, unknown>;
  const calls = new Map<string, number>();
  let counting = false;
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(store))) {
    const original = store[name];
    if (name === 'constructor' || typeof original !== 'function') continue;
    store[name] = function (this: unknown, ...args: unknown[]) {
      if (counting) calls.set(name, (calls.get(name) ?? 0) + 1);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
  const json = { stringify: 0, parse: 0 };
  const jsonBy = new Map<string, number>();
  const { stringify, parse } = JSON;
  const count = (kind: 'stringify' | 'parse') => {
    json[kind]++;
    const origin = originOf(new Error().stack ?? '');
    jsonBy.set(`${kind} ${origin}`, (jsonBy.get(`${kind} ${origin}`) ?? 0) + 1);
  };
  JSON.stringify = function (...args: Parameters<typeof stringify>) {
    if (counting) count('stringify');
    return stringify.apply(JSON, args);
  } as typeof JSON.stringify;
  JSON.parse = function (...args: Parameters<typeof parse>) {
    if (counting) count('parse');
    return parse.apply(JSON, args);
  } as typeof JSON.parse;
  try {
    const target = await helloTarget({ url: service.url }, adminKey);
    // Warm-up: executor processes started, caches filled, the JIT warm.
    await httpLoad(target, { connections: concurrency, amount: Math.min(500, executions) });
    await sleep(500);
    const trace = startStrace(dataDir);
    if (trace) await sleep(1000); // attached to every thread before counting starts
    calls.clear();
    jsonBy.clear();
    logLines = 0;
    counting = true;
    const stats = await httpLoad(target, { connections: concurrency, amount: executions });
    counting = false;
    const fsyncs = trace ? await trace.stop() : null;
    const per = (count: number) => Math.round((count / executions) * 1000) / 1000;
    const storeCalls = Object.fromEntries([...calls].sort(([a], [b]) => a.localeCompare(b)).map(([name, count]) => [name, per(count)]));
    const total = (writes: boolean) => per([...calls].filter(([name]) => writeMethods.test(name) === writes).reduce((sum, [, count]) => sum + count, 0));
    return {
      executions,
      storeCalls,
      storeReadsPerExecution: total(false),
      storeWritesPerExecution: total(true),
      fsyncsPerExecution: fsyncs === null ? null : per(fsyncs),
      fsyncNote: trace ? 'fsync and fdatasync calls of the server process (strace -f -c)' : 'not measured: strace is not installed',
      jsonStringifyPerExecution: per(json.stringify),
      jsonParsePerExecution: per(json.parse),
      jsonByOrigin: Object.fromEntries([...jsonBy].sort(([a], [b]) => a.localeCompare(b)).map(([name, n]) => [name, per(n)])),
      logLinesPerExecution: per(logLines),
      failures: stats.errors,
    };
  } finally {
    counting = false;
    JSON.stringify = stringify;
    JSON.parse = parse;
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Who called JSON.stringify or JSON.parse, from the stack (the first frame past this file). */
function originOf(stack: string): string {
  const frame = stack.split('\n').slice(3).join('\n');
  if (frame.includes('canonicalize')) return 'receipt (canonical JSON, one call per string or number)';
  if (frame.includes('/pino/')) return 'log line';
  if (frame.includes('fast-json-stringify')) return 'response (the result field)';
  if (frame.includes('secure-json-parse') || frame.includes('content-type-parser')) return 'request body';
  if (frame.includes('core/params.ts')) return 'params check (size and depth)';
  if (frame.includes('/store/')) return 'store (JSON columns)';
  if (frame.includes('/executor/')) return 'executor pool';
  return 'other';
}

/** strace counting this process's fsync and fdatasync calls (all threads), or null without strace. */
function startStrace(dir: string): { stop(): Promise<number> } | null {
  if (spawnSync('strace', ['-V'], { stdio: 'ignore' }).status !== 0) return null;
  const file = join(dir, 'strace.txt');
  const child = spawn('strace', ['-f', '-c', '-e', 'trace=fsync,fdatasync', '-o', file, '-p', String(process.pid)], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async stop() {
      child.kill('SIGINT');
      await exited;
      // The summary's rows: "% time seconds usecs/call calls errors syscall".
      let count = 0;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const fields = line.trim().split(/\s+/);
        const name = fields.at(-1);
        if (name === 'fsync' || name === 'fdatasync') count += Number(fields[3]);
      }
      return count;
    },
  };
}
