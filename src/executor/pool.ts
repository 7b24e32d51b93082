// ExecutorPool: guest code runs only in executor processes (one per core by default), started
// and supervised here. A dead executor is replaced at once; its executions end EXECUTOR_CRASHED
// and no other execution notices. Same ExecutionResult as the in-process core.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { InMemorySecretStore, type SecretStore } from '../core/ext/secrets/store.ts';
import type { WarmPoolStats } from '../core/pool.ts';
import type { ExecutionRequest, ExecutionResult } from '../core/types.ts';
import { crashedResult, ExecutorProcess } from './executor-process.ts';
import type { Executor } from './executor.ts';
import type { ExecutorEngineOptions } from './protocol.ts';

export interface ExecutorPoolOptions {
  /** Secret values; executors ask for them one at a time, and only for what they may read. */
  secrets?: SecretStore;
  /** Executor processes (default: one per core). */
  processes?: number;
  /** Warm sandboxes per executor (default 4 ready, up to 16 under load); false for none. */
  warm?: { size: number; max?: number } | false;
  /** Engine settings for every executor (limits, network policy...): plain data. */
  engine?: Omit<ExecutorEngineOptions, 'pool'>;
  /** Past an execution's time limit, how long before its executor counts as stuck and is killed. */
  graceMs?: number;
  /** Where executor output and supervision events go. */
  log?: (line: string) => void;
}

export interface ExecutorPoolStats {
  executors: Array<{ pid: number | undefined; load: number; pool: WarmPoolStats | null }>;
  restarts: number;
  inFlight: number;
}

export class ExecutorPool implements Executor {
  readonly #options: Required<Omit<ExecutorPoolOptions, 'engine' | 'warm'>> & { engine: ExecutorEngineOptions };
  readonly #executors: ExecutorProcess[] = [];
  #restarts = 0;
  #recentRestarts: number[] = [];
  #closing = false;
  #nextPick = 0;

  private constructor(options: ExecutorPoolOptions) {
    this.#options = {
      secrets: options.secrets ?? new InMemorySecretStore(),
      processes: options.processes ?? Math.max(1, os.availableParallelism()),
      graceMs: options.graceMs ?? 5000,
      log: options.log ?? ((line) => process.stderr.write(`teejs: ${line}\n`)),
      engine: { ...options.engine, ...(options.warm === false ? {} : { pool: options.warm ?? { size: 4, max: 16 } }) },
    };
  }

  static async start(options: ExecutorPoolOptions = {}): Promise<ExecutorPool> {
    const pool = new ExecutorPool(options);
    await Promise.all(Array.from({ length: pool.#options.processes }, () => pool.#spawn().ready));
    return pool;
  }

  get restarts(): number {
    return this.#restarts;
  }

  stats(): ExecutorPoolStats {
    return {
      executors: this.#executors.map((executor) => ({ pid: executor.pid, load: executor.load, pool: executor.poolStats })),
      restarts: this.#restarts,
      inFlight: this.#executors.reduce((sum, executor) => sum + executor.load, 0),
    };
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const call = { ...request, executionId: request.executionId ?? randomUUID() };
    if (this.#closing) return crashedResult(call, new Date(), 'the executor pool is shutting down');
    const executor = await this.#pick();
    if (!executor) return crashedResult(call, new Date(), 'no executor process could be started');
    return executor.execute(call);
  }

  /** Drains in-flight executions, then stops every executor (killing any that will not stop). */
  async close(deadlineMs = 30_000): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#executors.map((executor) => executor.shutdown(deadlineMs)));
  }

  /** The least-loaded live executor, rotating among equals so all stay warm. */
  async #pick(): Promise<ExecutorProcess | undefined> {
    const live = this.#executors.filter((executor) => executor.alive);
    if (live.length === 0) return undefined;
    const start = this.#nextPick++ % live.length;
    let best = live[start]!;
    for (let i = 1; i < live.length; i++) {
      const candidate = live[(start + i) % live.length]!;
      if (candidate.load < best.load) best = candidate;
    }
    try {
      await best.ready;
      return best;
    } catch {
      return this.#executors.find((executor) => executor.alive && executor !== best);
    }
  }

  #spawn(): ExecutorProcess {
    const executor = new ExecutorProcess({
      engine: this.#options.engine,
      secrets: this.#options.secrets,
      graceMs: this.#options.graceMs,
      log: this.#options.log,
    });
    this.#executors.push(executor);
    void executor.exited.then(({ code, signal }) => {
      this.#executors.splice(this.#executors.indexOf(executor), 1);
      if (this.#closing) return;
      this.#log(`executor ${executor.pid} ended (${signal ?? `code ${code}`}); starting a replacement`);
      this.#replace();
    });
    return executor;
  }

  #replace(): void {
    this.#restarts++;
    const now = Date.now();
    this.#recentRestarts = [...this.#recentRestarts.filter((time) => now - time < 10_000), now];
    // A crash loop (the machine is out of memory, the binary is broken) must not become a fork bomb.
    const delay = this.#recentRestarts.length > 5 ? 1000 : 0;
    setTimeout(() => {
      if (!this.#closing) this.#spawn();
    }, delay).unref();
  }

  #log(line: string): void {
    this.#options.log(line);
  }
}
