// One supervised executor process, seen from the host: starts it with least authority, sends it
// executions, answers its secret lookups after checking them, and turns its death into
// EXECUTOR_CRASHED results for exactly the executions it was running.
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SecretStore } from '../core/ext/secrets/store.ts';
import type { WarmPoolStats } from '../core/pool.ts';
import type { ExecutionRequest, ExecutionResult } from '../core/types.ts';
import type { ExecutorEngineOptions, ExecutorMessage, HostMessage } from './protocol.ts';

const childModule = fileURLToPath(new URL('./child.ts', import.meta.url));
const packageRoot = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);

/** What an executor may read: its own code and the packages it loads, nothing else. */
function readableRoots(): string[] {
  const roots = new Set([packageRoot]);
  for (const dependency of ['isolated-vm', 'undici']) {
    try {
      // The node_modules folder holding the package (it also holds their own dependencies).
      roots.add(path.dirname(path.dirname(require.resolve(`${dependency}/package.json`))));
    } catch {
      // Not installed: nothing to allow.
    }
  }
  // node-gyp-build probes this file to tell musl from glibc; it need not exist.
  roots.add('/etc/alpine-release');
  return [...roots];
}

/**
 * The whole environment of an executor: nothing from the host's (no secrets, keys or database
 * URLs reach an executor), only settings for the executor's own memory use. Measured with the
 * benchmark's soak (hello world, 40,000 executions per run, docs/bench.md):
 *
 * - MALLOC_ARENA_MAX=2: isolated-vm runs every isolate's work on threads of its own, and glibc
 *   gives each allocating thread a malloc arena of its own (up to 8 per core); memory freed
 *   into one arena is not reused by another, so the freed memory of thousands of disposed
 *   isolates stays resident, spread over many arenas. Two arenas held each executor about
 *   8 MB lower from the start, with no measurable loss of throughput.
 */
export const executorEnvironment: Readonly<Record<string, string>> = Object.freeze({ MALLOC_ARENA_MAX: '2' });

/**
 * V8 flags for the executor's own Node isolate, read when it starts. (The guests' isolates are
 * created later, after the executor sets their young generation: see guest-heap.ts.)
 *
 * - --max-semi-space-size=2 (MB): under a steady stream of executions V8 grows the young
 *   generation of the executor's own heap up to 64 MB (Node 24, 64-bit) and keeps it while the
 *   stream lasts: 25-50 MB of RSS per executor that came and went between samples. With a
 *   2 MB semi-space the executor's heap stays at about 21 MB.
 */
export const executorV8Flags: readonly string[] = Object.freeze(['--max-semi-space-size=2']);

export interface ExecutorProcessOptions {
  engine: ExecutorEngineOptions;
  secrets: SecretStore;
  /** How long past an execution's own time limit the host waits before declaring the executor stuck. */
  graceMs: number;
  /** Where the executor's own stdout/stderr lines go (never the host's stdout). */
  log: (line: string) => void;
}

interface InFlight {
  request: ExecutionRequest & { executionId: string };
  startedAt: Date;
  resolve: (result: ExecutionResult) => void;
  watchdog: NodeJS.Timeout;
}

export class ExecutorProcess {
  readonly #child: ChildProcess;
  readonly #options: ExecutorProcessOptions;
  readonly #inFlight = new Map<number, InFlight>();
  readonly ready: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #nextId = 1;
  #alive = true;
  #crashReason: string | null = null;
  #poolStats: WarmPoolStats | null = null;

  constructor(options: ExecutorProcessOptions) {
    this.#options = options;
    this.#child = fork(childModule, [JSON.stringify(options.engine)], {
      execArgv: [
        '--no-node-snapshot',
        '--permission',
        // isolated-vm is a native addon; the permission model must be told to load it.
        '--allow-addons',
        ...readableRoots().map((root) => `--allow-fs-read=${root}`),
        '--disable-warning=SecurityWarning',
        ...executorV8Flags,
      ],
      // A clean environment: only the allocator setting above, nothing of the host's.
      env: { ...executorEnvironment },
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.trim()) options.log(`executor ${this.pid}: ${line}`);
      });
    }
    this.ready = new Promise((resolve, reject) => {
      this.#child.once('message', (message: ExecutorMessage) => {
        if (message?.type === 'ready') resolve();
        else reject(new Error('executor spoke before it was ready'));
      });
      this.#child.once('exit', () => reject(new Error('executor exited while starting')));
    });
    this.ready.catch(() => {});
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#alive = false;
        this.#failAll(this.#crashReason ?? describeExit(code, signal));
        resolve({ code, signal });
      });
    });
    this.#child.on('message', (message: ExecutorMessage) => this.#onMessage(message));
    this.#child.on('error', (error) => options.log(`executor ${this.pid}: ${error.message}`));
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get alive(): boolean {
    return this.#alive;
  }

  get load(): number {
    return this.#inFlight.size;
  }

  get poolStats(): WarmPoolStats | null {
    return this.#poolStats;
  }

  execute(request: ExecutionRequest & { executionId: string }): Promise<ExecutionResult> {
    return new Promise((resolve) => {
      const startedAt = new Date();
      if (!this.#alive) {
        resolve(crashedResult(request, startedAt, 'the executor process is not running'));
        return;
      }
      const id = this.#nextId++;
      const limit = (request.timeoutMs ?? this.#options.engine.limits?.timeoutMs ?? 30_000) + this.#options.graceMs;
      const watchdog = setTimeout(() => this.kill(`the executor stopped responding (no result ${limit} ms after the start)`), limit);
      this.#inFlight.set(id, { request, startedAt, resolve, watchdog });
      this.#send({ type: 'execute', id, request });
    });
  }

  /** Asks the executor to finish and exit; kills it if it has not after `deadlineMs`. */
  async shutdown(deadlineMs: number): Promise<void> {
    if (!this.#alive) return;
    this.#send({ type: 'shutdown' });
    const timer = setTimeout(() => this.kill('the executor did not stop in time'), deadlineMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(reason: string): void {
    if (!this.#alive) return;
    this.#crashReason ??= reason;
    this.#child.kill('SIGKILL');
  }

  #send(message: HostMessage): void {
    try {
      this.#child.send(message);
    } catch (error) {
      this.kill(`the executor's channel failed: ${(error as Error).message}`);
    }
  }

  #onMessage(message: ExecutorMessage): void {
    if (message === null || typeof message !== 'object') return;
    if (message.type === 'result' && typeof message.id === 'number') {
      const call = this.#inFlight.get(message.id);
      if (!call) return;
      this.#inFlight.delete(message.id);
      clearTimeout(call.watchdog);
      this.#poolStats = message.pool ?? null;
      call.resolve(checkedResult(message.result, call));
    } else if (message.type === 'secret' && typeof message.id === 'number') {
      void this.#answerSecret(message.id, message.userId, message.name);
    }
  }

  /**
   * An executor may read a secret only for an execution it is running right now, of the same
   * user, and within that execution's allow-list: a compromised executor reaches no further.
   */
  async #answerSecret(id: number, userId: unknown, name: unknown): Promise<void> {
    let value: string | null = null;
    if (typeof userId === 'string' && typeof name === 'string') {
      const entitled = [...this.#inFlight.values()].some(
        ({ request }) =>
          String(request.userId ?? 'anonymous') === userId && (!request.allowedSecrets || request.allowedSecrets.includes(name)),
      );
      if (entitled) {
        try {
          const found = await this.#options.secrets.get(userId, name);
          value = typeof found === 'string' ? found : null;
        } catch (error) {
          this.#options.log(`secret store failed: ${(error as Error).message}`);
        }
      }
    }
    if (this.#alive) this.#send({ type: 'secret', id, value });
  }

  #failAll(reason: string): void {
    for (const [id, call] of this.#inFlight) {
      clearTimeout(call.watchdog);
      this.#inFlight.delete(id);
      call.resolve(crashedResult(call.request, call.startedAt, reason));
    }
  }
}

/** The identity of a result is the host's, never what an executor claims. */
function checkedResult(result: unknown, call: InFlight): ExecutionResult {
  if (result === null || typeof result !== 'object' || !['success', 'error'].includes((result as ExecutionResult).status)) {
    return crashedResult(call.request, call.startedAt, 'the executor sent a malformed result');
  }
  return {
    ...(result as ExecutionResult),
    executionId: call.request.executionId,
    functionId: String(call.request.functionId ?? 'anonymous'),
    userId: String(call.request.userId ?? 'anonymous'),
  };
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `the executor process died (signal ${signal})` : `the executor process exited (code ${code})`;
}

export function crashedResult(request: ExecutionRequest & { executionId: string }, startedAt: Date, reason: string): ExecutionResult {
  const finishedAt = new Date();
  return {
    executionId: request.executionId,
    functionId: String(request.functionId ?? 'anonymous'),
    userId: String(request.userId ?? 'anonymous'),
    status: 'error',
    result: null,
    error: { code: 'EXECUTOR_CRASHED', message: `${reason}; the execution was lost (executions in other executor processes were not affected)` },
    logs: [],
    network: [],
    secretsRead: [],
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    cpuTimeMs: 0,
    memoryUsedBytes: 0,
  };
}
