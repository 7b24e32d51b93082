// Runs executions for the service. Each is recorded as `running` before it starts and completed
// after; async ones wait in the store (a durable queue) until this or another server has a free
// slot. A server that dies leaves `started` executions behind: a restart (or, with several
// servers, the expiry of the dead server's lease) ends them as error/INTERRUPTED. Queued ones
// are simply run later. Nothing here throws into a request for a failure of the guest.
// Slots are handed out by a FairScheduler (scheduler.ts): in turn across users, sync and async
// alike, never more than a user's cap (--max-user-share) to one user. A slot bounds memory and
// executors, not CPU: an execution that only awaits a timer or a fetch still holds one, which is
// why one user may hold only its share of them.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { SigningKey } from '../../attestation/keys.ts';
import { signResult, type ReceiptInputs } from '../../attestation/receipt.ts';
import type { ExecutionRequest, ExecutionResult } from '../../core/types.ts';
import type { Executor } from '../../executor/executor.ts';
import type { ExecutionRecord, FunctionRecord, FunctionVersion, QueuedUser, Store } from '../../store/index.ts';
import type { ServiceConfig } from '../config.ts';
import type { ServiceMetrics } from '../metrics/metrics.ts';
import { redactExecution } from '../secrets/redact.ts';
import type { SecretVault } from '../secrets/vault.ts';
import { FairScheduler } from './scheduler.ts';

const leaseMs = 30_000;
const interrupted = { code: 'INTERRUPTED' as const, message: 'execution interrupted: the server running it stopped before it finished' };

export type Submitted = { ok: true; execution: ExecutionRecord } | { ok: false; reason: 'quota' };

export interface RunnerOptions {
  config: ServiceConfig;
  store: Store;
  executor: Executor;
  vault: SecretVault;
  metrics: ServiceMetrics;
  /** Signs each finished execution's receipt, after redaction: what is stored is what is answered. */
  signingKey: SigningKey;
  log: FastifyBaseLogger;
}

export class ExecutionRunner {
  readonly #options: RunnerOptions;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #scheduler: FairScheduler;
  /**
   * False once the store's queue was seen empty and nothing was queued since: spares a query
   * per sync execution. Only an exclusive store (SQLite) can know; with PostgreSQL other
   * servers queue work too, so it is always asked.
   */
  #queueMayHoldWork = true;
  /** Async executions this server queued, to tell whether an empty answer is still true. */
  #queuedHere = 0;
  #pumping = false;
  #pumpAgain = false;
  #stopping = false;
  #timers: NodeJS.Timeout[] = [];

  constructor(options: RunnerOptions) {
    this.#options = options;
    this.#scheduler = new FairScheduler(options.config.concurrency, options.config.maxUserShare);
    options.metrics.observeQueue(() => this.waiting());
  }

  get running(): number {
    return this.#scheduler.running;
  }

  /** Slots one user may hold on this server. */
  get userCap(): number {
    return this.#scheduler.userCap;
  }

  /** Executions waiting for a slot, by user: sync ones here, async ones in the store. */
  async waiting(): Promise<{ byUser: Map<string, number>; usersAtCap: number }> {
    const byUser = this.#scheduler.syncWaiting();
    for (const queued of await this.#options.store.queuedByUser()) byUser.set(queued.userId, (byUser.get(queued.userId) ?? 0) + queued.queued);
    return { byUser, usersAtCap: this.#scheduler.usersAtCap() };
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
      this.#queuedHere++;
      this.#queueMayHoldWork = true;
      this.pump();
      return { ok: true, execution };
    }
    await new Promise<void>((grant) => {
      this.#scheduler.enqueue({ userId: execution.userId, createdAt: execution.createdAt, grant });
      this.pump();
    });
    await this.#track(this.#run(execution, fn));
    const done = await store.getExecution(fn.userId, execution.id);
    return { ok: true, execution: done ?? execution };
  }

  /**
   * The execution with its receipt. A finished one has the receipt it was completed with; one
   * that a restart or a lease sweep ended as INTERRUPTED (in bulk, in the store) gets its
   * receipt at its first read, signed by this node and stored once: every read after that,
   * here or on another server, answers the same one.
   */
  async withReceipt(execution: ExecutionRecord): Promise<ExecutionRecord> {
    if (execution.receipt !== null || execution.status === 'running' || execution.startedAt === null || execution.finishedAt === null) return execution;
    const { store, signingKey } = this.#options;
    const code = await store.getFunctionVersion(execution.userId, execution.functionId, execution.functionVersion);
    if (!code) return execution;
    const { receipt } = signResult(
      {
        executionId: execution.id,
        functionId: execution.functionId,
        userId: execution.userId,
        status: execution.status,
        result: execution.result,
        error: execution.error,
        logs: execution.logs,
        network: execution.network,
        startedAt: execution.startedAt,
        finishedAt: execution.finishedAt,
      },
      { source: code.source, params: execution.params, functionVersion: execution.functionVersion, limits: { timeoutMs: code.timeoutMs, memoryMb: code.memoryMb }, deterministic: code.deterministic },
      signingKey,
    );
    if (await store.setExecutionReceipt(execution.id, receipt)) return { ...execution, receipt };
    return (await store.getExecution(execution.userId, execution.id)) ?? execution;
  }

  /** Hands free slots out: to sync executions waiting here, and to queued ones it claims. */
  pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    void this.#dispatch()
      .catch((error: unknown) => this.#options.log.error({ err: error }, 'could not claim queued executions'))
      .finally(() => {
        this.#pumping = false;
        if (this.#pumpAgain) {
          this.#pumpAgain = false;
          this.pump();
        }
      });
  }

  /** One round of handing out slots; pump() runs one at a time, so plans never overlap. */
  async #dispatch(): Promise<void> {
    const { store, config, log } = this.#options;
    const scheduler = this.#scheduler;
    if (scheduler.free <= 0) return;
    // While stopping, sync executions already admitted still get slots; the queue waits for the
    // next start.
    let queued: QueuedUser[] = [];
    if (!this.#stopping && (this.#queueMayHoldWork || !store.exclusive)) {
      const queuedBefore = this.#queuedHere;
      try {
        queued = await store.queuedByUser();
        if (queued.length === 0 && queuedBefore === this.#queuedHere) this.#queueMayHoldWork = false;
      } catch (error) {
        // Sync executions waiting here still get their slots; the queue is read again at the
        // next release or sweep.
        log.error({ err: error }, 'could not read the queue of executions');
      }
    }
    const claims = scheduler.plan(queued);
    const lease = new Date(Date.now() + leaseMs).toISOString();
    for (const [userId, count] of claims) {
      let claimed: ExecutionRecord[];
      try {
        claimed = await store.claimQueued(config.nodeId, lease, count, userId);
      } catch (error) {
        scheduler.unreserve(userId, count);
        log.error({ err: error, userId }, 'could not claim queued executions');
        continue;
      }
      for (const execution of claimed) void this.#track(this.#runQueued(execution));
      if (claimed.length < count) {
        // Another server took them (or they were deleted) since the queue was read: plan again.
        scheduler.unreserve(userId, count - claimed.length);
        this.#pumpAgain = true;
      }
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
    if (!code) return this.#release(execution.userId);
    await this.#run(execution, code);
  }

  #release(userId: string): void {
    this.#scheduler.release(userId);
    this.pump();
  }

  #track(work: Promise<void>): Promise<void> {
    this.#inFlight.add(work);
    return work.finally(() => this.#inFlight.delete(work));
  }

  /** Runs one recorded execution on a slot already taken, and records its outcome. */
  async #run(execution: ExecutionRecord, code: FunctionVersion | FunctionRecord): Promise<void> {
    const { store, executor, vault, metrics, config, log, signingKey } = this.#options;
    const inputs: ReceiptInputs = {
      source: code.source,
      params: execution.params,
      functionVersion: execution.functionVersion,
      limits: { timeoutMs: code.timeoutMs, memoryMb: code.memoryMb },
      deterministic: code.deterministic,
    };
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
        deterministic: code.deterministic,
        ...(code.form ? { form: code.form } : {}),
      };
      let result: ExecutionResult = await executor.execute(request);
      result = redactExecution(result, await vault.values(execution.userId, result.secretsRead));
      // The receipt names the result as answered: redacted, with the record's identity.
      result = signResult({ ...result, executionId: execution.id, functionId: execution.functionId, userId: execution.userId }, inputs, signingKey);
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
          receipt: result.receipt,
        },
        config.historyPerFunction,
      );
      if (saved) await store.recordSecretReads(execution.userId, execution.id, result.secretsRead, result.finishedAt);
      metrics.recordExecution(result.status, result.error?.code ?? null, result.durationMs / 1000);
    } catch (error) {
      log.error({ err: error, executionId: execution.id }, 'execution could not be run or recorded');
      const at = new Date().toISOString();
      const failed = {
        executionId: execution.id,
        functionId: execution.functionId,
        userId: execution.userId,
        status: 'error' as const,
        result: null,
        error: { code: 'INTERNAL_ERROR' as const, message: 'internal error while running the execution' },
        logs: [],
        network: [],
        secretsRead: [],
        startedAt: execution.startedAt ?? at,
        finishedAt: at,
        durationMs: 0,
        cpuTimeMs: 0,
        memoryUsedBytes: 0,
      };
      const { executionId: _id, functionId: _fn, userId: _user, ...outcome } = signResult(failed, inputs, signingKey);
      await store
        .completeExecution(execution.id, outcome, config.historyPerFunction)
        .catch((again: unknown) => log.error({ err: again, executionId: execution.id }, 'could not record the failed execution'));
      metrics.recordExecution('error', 'INTERNAL_ERROR', 0);
    } finally {
      this.#release(execution.userId);
    }
  }

  async #heartbeat(): Promise<void> {
    if (this.#scheduler.running === 0) return;
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
    this.#queueMayHoldWork = true;
    this.pump();
  }
}
