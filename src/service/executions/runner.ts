// Runs executions for the service. Each is recorded as `running` before it starts and completed
// after; async ones wait in the store (a durable queue) until this or another server has a free
// slot. A server that dies leaves `started` executions behind: a restart (or, with several
// servers, the expiry of the dead server's lease) ends them as error/INTERRUPTED. Queued ones
// are simply run later. Nothing here throws into a request for a failure of the guest.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { ExecutionRequest, ExecutionResult } from '../../core/types.ts';
import type { Executor } from '../../executor/executor.ts';
import type { ExecutionRecord, FunctionRecord, FunctionVersion, Store } from '../../store/index.ts';
import type { ServiceConfig } from '../config.ts';
import type { ServiceMetrics } from '../metrics/metrics.ts';
import { redactExecution } from '../secrets/redact.ts';
import type { SecretVault } from '../secrets/vault.ts';

const leaseMs = 30_000;
const interrupted = { code: 'INTERRUPTED' as const, message: 'execution interrupted: the server running it stopped before it finished' };

export type Submitted = { ok: true; execution: ExecutionRecord } | { ok: false; reason: 'quota' };

export interface RunnerOptions {
  config: ServiceConfig;
  store: Store;
  executor: Executor;
  vault: SecretVault;
  metrics: ServiceMetrics;
  log: FastifyBaseLogger;
}

export class ExecutionRunner {
  readonly #options: RunnerOptions;
  readonly #inFlight = new Set<Promise<void>>();
  /** Sync executions waiting for a slot; they go before queued async ones. */
  readonly #waiting: Array<() => void> = [];
  #running = 0;
  #pumping = false;
  #pumpAgain = false;
  #stopping = false;
  #timers: NodeJS.Timeout[] = [];

  constructor(options: RunnerOptions) {
    this.#options = options;
  }

  get running(): number {
    return this.#running;
  }

  /** Ends what a previous life of this server left started, then starts taking queued work. */
  async start(): Promise<number> {
    const { store, config } = this.#options;
    const now = new Date().toISOString();
    const ended = store.exclusive
      ? await store.interruptExecutions({ all: true }, interrupted, now)
      : await store.interruptExecutions({ nodeId: config.nodeId, expiredBefore: now }, interrupted, now);
    if (ended > 0) this.#options.log.warn({ executions: ended }, 'executions interrupted by the previous stop ended as INTERRUPTED');
    this.#timers.push(
      setInterval(() => void this.#heartbeat(), leaseMs / 3).unref(),
      setInterval(() => void this.#sweep(), leaseMs / 2).unref(),
    );
    this.pump();
    return ended;
  }

  /** Stops taking queued work and waits (at most `graceMs`) for running executions to finish. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.all(this.#inFlight), deadline]);
    clearTimeout(timer);
  }

  /**
   * Records an execution and runs it: sync returns the completed record, async returns the
   * record as queued (`running`) at once.
   */
  async submit(fn: FunctionRecord, params: unknown, async: boolean): Promise<Submitted> {
    const { store, config } = this.#options;
    const now = new Date();
    const created = await store.createExecution(
      {
        id: randomUUID(),
        userId: fn.userId,
        functionId: fn.id,
        functionVersion: fn.version,
        async,
        params,
        createdAt: now.toISOString(),
        phase: async ? 'queued' : 'started',
        nodeId: async ? null : config.nodeId,
        leaseExpiresAt: async ? null : new Date(now.getTime() + leaseMs).toISOString(),
      },
      { maxActivePerUser: config.quotas.concurrentExecutionsPerUser },
    );
    if (!created.ok) return { ok: false, reason: 'quota' };
    const execution = created.value;
    if (async) {
      this.pump();
      return { ok: true, execution };
    }
    await this.#slot();
    await this.#track(this.#run(execution, fn));
    const done = await store.getExecution(fn.userId, execution.id);
    return { ok: true, execution: done ?? execution };
  }

  /** Claims queued executions while there are free slots. */
  pump(): void {
    if (this.#stopping) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    void this.#claim()
      .catch((error: unknown) => this.#options.log.error({ err: error }, 'could not claim queued executions'))
      .finally(() => {
        this.#pumping = false;
        if (this.#pumpAgain) {
          this.#pumpAgain = false;
          this.pump();
        }
      });
  }

  async #claim(): Promise<void> {
    const { store, config } = this.#options;
    const free = config.concurrency - this.#running - this.#waiting.length;
    if (free <= 0 || this.#stopping) return;
    const claimed = await store.claimQueued(config.nodeId, new Date(Date.now() + leaseMs).toISOString(), free);
    for (const execution of claimed) {
      this.#running++;
      void this.#track(this.#runQueued(execution));
    }
  }

  async #runQueued(execution: ExecutionRecord): Promise<void> {
    let code: FunctionVersion | undefined;
    try {
      code = await this.#options.store.getFunctionVersion(execution.userId, execution.functionId, execution.functionVersion);
    } catch (error) {
      // Left started: the lease sweep ends it as INTERRUPTED if this server cannot.
      this.#options.log.error({ err: error, executionId: execution.id }, 'could not load the function of a queued execution');
    }
    // The function was deleted meanwhile, and its executions with it: nothing to run.
    if (!code) return this.#release();
    await this.#run(execution, code);
  }

  #slot(): Promise<void> {
    if (this.#running < this.#options.config.concurrency) {
      this.#running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) {
      next(); // the slot passes straight to a waiting sync execution
      return;
    }
    this.#running--;
    this.pump();
  }

  #track(work: Promise<void>): Promise<void> {
    this.#inFlight.add(work);
    return work.finally(() => this.#inFlight.delete(work));
  }

  /** Runs one recorded execution on a slot already taken, and records its outcome. */
  async #run(execution: ExecutionRecord, code: FunctionVersion | FunctionRecord): Promise<void> {
    const { store, executor, vault, metrics, config, log } = this.#options;
    try {
      const request: ExecutionRequest = {
        source: code.source,
        language: code.language,
        executionId: execution.id,
        functionId: execution.functionId,
        userId: execution.userId,
        params: execution.params,
        timeoutMs: code.timeoutMs,
        memoryMb: code.memoryMb,
        allowedSecrets: code.allowedSecrets,
        // The function's hosts narrow the operator's list; none listed means no fetch at all.
        network: { allowHosts: code.allowedHosts },
        ...(code.form ? { form: code.form } : {}),
      };
      let result: ExecutionResult = await executor.execute(request);
      result = redactExecution(result, await vault.values(execution.userId, result.secretsRead));
      const saved = await store.completeExecution(
        execution.id,
        {
          status: result.status,
          result: result.result,
          error: result.error,
          logs: result.logs,
          network: result.network,
          secretsRead: result.secretsRead,
          startedAt: result.startedAt,
          finishedAt: result.finishedAt,
          durationMs: result.durationMs,
          cpuTimeMs: result.cpuTimeMs,
          memoryUsedBytes: result.memoryUsedBytes,
        },
        config.historyPerFunction,
      );
      if (saved) await store.recordSecretReads(execution.userId, execution.id, result.secretsRead, result.finishedAt);
      metrics.recordExecution(result.status, result.error?.code ?? null, result.durationMs / 1000);
    } catch (error) {
      log.error({ err: error, executionId: execution.id }, 'execution could not be run or recorded');
      const at = new Date().toISOString();
      await store
        .completeExecution(
          execution.id,
          {
            status: 'error',
            result: null,
            error: { code: 'INTERNAL_ERROR', message: 'internal error while running the execution' },
            logs: [],
            network: [],
            secretsRead: [],
            startedAt: execution.startedAt ?? at,
            finishedAt: at,
            durationMs: 0,
            cpuTimeMs: 0,
            memoryUsedBytes: 0,
          },
          config.historyPerFunction,
        )
        .catch((again: unknown) => log.error({ err: again, executionId: execution.id }, 'could not record the failed execution'));
      metrics.recordExecution('error', 'INTERNAL_ERROR', 0);
    } finally {
      this.#release();
    }
  }

  async #heartbeat(): Promise<void> {
    if (this.#running === 0) return;
    const { store, config, log } = this.#options;
    await store.renewLeases(config.nodeId, new Date(Date.now() + leaseMs).toISOString()).catch((error: unknown) => log.error({ err: error }, 'could not renew execution leases'));
  }

  /** Ends executions of servers whose lease expired, and picks up work queued by other servers. */
  async #sweep(): Promise<void> {
    const { store, log } = this.#options;
    try {
      const now = new Date().toISOString();
      const ended = await store.interruptExecutions({ expiredBefore: now }, interrupted, now);
      if (ended > 0) log.warn({ executions: ended }, 'executions of a server that stopped ended as INTERRUPTED');
    } catch (error) {
      log.error({ err: error }, 'could not sweep expired executions');
    }
    this.pump();
  }
}
