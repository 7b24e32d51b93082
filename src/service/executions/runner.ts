// Runs executions for the service. Each is recorded `queued` when accepted and `running` once it
// has a slot and goes to an executor (a sync one that has its slot at once is recorded running
// in one write); async ones wait in the store (a durable queue shared by all nodes), sync ones
// wait on this node, where their client is. Invariants:
// - only a started execution can end error/INTERRUPTED: it may have run in part. One that had
//   not started when its node went away is run by another node (an async one stays in the
//   shared queue; a sync one waiting here joins it when this node's lease runs out);
// - this node renews the leases of everything it holds, started or waiting, until the last of
//   them ends or the shutdown grace passes, stopping included: a node that drains never loses
//   a result to a peer that thinks it dead;
// - other nodes learn of queued work and of nodes that stopped at once (the store's
//   announcements: PostgreSQL NOTIFY); a sweep every third of a lease is the fallback, and ends
//   the started executions of nodes whose lease ran out (a killed node).
// Nothing here throws into a request for a failure of the guest.
// Slots are handed out by a FairScheduler (scheduler.ts): in turn across users, sync and async
// alike, never more than a user's cap (--max-user-share) to one user. A slot bounds memory and
// executors, not CPU: an execution that only awaits a timer or a fetch still holds one, which is
// why one user may hold only its share of them.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { SigningKey } from '../../attestation/keys.ts';
import { signResult, type ReceiptInputs } from '../../attestation/receipt.ts';
import type { ExecutionRequest, ExecutionResult, LogEntry } from '../../core/index.ts';
import type { Executor } from '../../executor/executor.ts';
import type { ExecutionOutcome, ExecutionRecord, ExecutionTrigger, FunctionCode, FunctionRecord, FunctionVersion, QueuedUser, Store } from '../../store/index.ts';
import type { ServiceConfig } from '../config.ts';
import type { ServiceMetrics } from '../metrics/metrics.ts';
import { redactExecution, redactor, type Redact } from '../secrets/redact.ts';
import type { SecretVault } from '../secrets/vault.ts';
import { FairScheduler } from './scheduler.ts';
import { LiveLogs } from './live-logs.ts';

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

/** This node's registration in the store, renewed with the leases. */
export interface NodeHeartbeat {
  heartbeat(load: { running: number; draining: boolean }): Promise<void>;
}

export class ExecutionRunner {
  /** Console lines of the executions running here, for followers (GET /v1/executions/{id}/logs). */
  readonly liveLogs: LiveLogs;
  readonly #options: RunnerOptions;
  readonly #leaseMs: number;
  /** Executions this node holds (sync ones from the moment they are recorded): drained on stop. */
  readonly #inFlight = new Set<Promise<unknown>>();
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
  #listener: { close(): Promise<void> } | undefined;
  #node: NodeHeartbeat | undefined;

  constructor(options: RunnerOptions) {
    this.#options = options;
    this.liveLogs = new LiveLogs(options.store, options.log);
    this.#leaseMs = options.config.leaseMs;
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

  get stopping(): boolean {
    return this.#stopping;
  }

  /**
   * Ends what a previous life of this node left started, then starts taking queued work. The
   * node must be registered first (`node`): only then is nothing else running under its id.
   */
  async start(node?: NodeHeartbeat): Promise<number> {
    const { store, config, log } = this.#options;
    this.#node = node;
    const now = new Date().toISOString();
    const settled = store.exclusive
      ? await store.interruptExecutions({ all: true }, interrupted, now)
      : await store.interruptExecutions({ nodeId: config.nodeId, expiredBefore: now }, interrupted, now);
    if (settled.interrupted > 0) log.warn({ executions: settled.interrupted }, 'executions interrupted by the previous stop ended as INTERRUPTED');
    if (settled.released > 0) log.warn({ executions: settled.released }, 'executions that had not started before the previous stop went back to the queue');
    this.#timers.push(
      setInterval(() => void this.#heartbeat(), this.#leaseMs / 3).unref(),
      setInterval(() => void this.#sweep(), this.#sweepMs()).unref(),
    );
    if (store.listenForWork) {
      this.#listener = await store.listenForWork(
        () => this.wake(),
        (error) => log.warn({ err: error }, 'lost the PostgreSQL connection that listens for work; reconnecting (the sweep covers the gap)'),
      );
    }
    this.pump();
    return settled.interrupted;
  }

  /**
   * Expired leases are looked for every third of a lease, so a killed node's executions end
   * within about 1.3 leases of its last renewal; on an exclusive store there is no other node,
   * and the sweep only backs up the in-process wake-ups.
   */
  #sweepMs(): number {
    return this.#options.store.exclusive ? 15_000 : this.#leaseMs / 3;
  }

  /**
   * Drains: takes no more queued work (other nodes are told to look at once), keeps renewing
   * the leases of what this node holds, and waits for it to end, at most `graceMs`. Whatever
   * is still held then is settled honestly at once rather than left to a peer's sweep: started
   * executions end INTERRUPTED, waiting ones go to the shared queue. Answers whether everything
   * ended within the grace.
   */
  async drain(graceMs: number): Promise<boolean> {
    const { store, log } = this.#options;
    this.#stopping = true;
    await store.announceWork().catch((error: unknown) => log.warn({ err: error }, 'could not tell other nodes that this one drains'));
    void this.#heartbeat();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    let drained = true;
    // Again until none is left: a request admitted just before the stop adds its execution late.
    while (drained && this.#inFlight.size > 0) drained = await Promise.race([Promise.allSettled([...this.#inFlight]).then(() => true as const), deadline]);
    clearTimeout(timer);
    if (!drained) {
      const now = new Date().toISOString();
      try {
        const settled = await store.interruptExecutions({ nodeId: this.#options.config.nodeId }, interrupted, now);
        log.warn({ ...settled, graceMs }, 'shutdown grace passed: running executions ended as INTERRUPTED, waiting ones went back to the queue');
      } catch (error) {
        log.error({ err: error }, 'could not settle the executions left at the end of the shutdown grace (their leases will expire)');
      }
    }
    return drained;
  }

  /** Stops the timers and the listener: after drain(), once nothing of this node runs. */
  async close(): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.#listener?.close();
    this.#listener = undefined;
  }

  /** drain() then close(): what a stop in the middle of a start needs. */
  async stop(graceMs: number): Promise<void> {
    await this.drain(graceMs);
    await this.close();
  }

  /**
   * Records an execution and runs it: sync returns the completed record, async returns the
   * record as queued at once. `id` is given when an idempotency key reserved it already.
   */
  async submit(fn: FunctionRecord, params: unknown, async: boolean, extra: { id?: string; trigger?: ExecutionTrigger } = {}): Promise<Submitted> {
    const { store, config } = this.#options;
    const now = new Date();
    // A sync execution whose turn is now is recorded started, with its slot: one write instead
    // of a queued record and its start. Only where this server knows the whole queue (an
    // exclusive store seen empty): elsewhere queued work of other users may come first.
    const startNow = !async && !this.#stopping && store.exclusive && !this.#queueMayHoldWork && this.#scheduler.takeNow(fn.userId);
    let created;
    try {
      created = await store.createExecution(
        {
          id: extra.id ?? randomUUID(),
          userId: fn.userId,
          functionId: fn.id,
          functionVersion: fn.version,
          async,
          params,
          createdAt: now.toISOString(),
          phase: startNow ? 'started' : 'queued',
          // A sync one waits here, where its client is, under this node's lease.
          nodeId: async ? null : config.nodeId,
          leaseExpiresAt: async ? null : new Date(now.getTime() + this.#leaseMs).toISOString(),
          trigger: extra.trigger ?? 'api',
        },
        { maxActivePerUser: config.quotas.concurrentExecutionsPerUser },
      );
    } catch (error) {
      if (startNow) this.#release(fn.userId);
      throw error;
    }
    if (!created.ok) {
      if (startNow) this.#release(fn.userId);
      return { ok: false, reason: 'quota' };
    }
    const execution = created.value;
    if (async) {
      this.#queuedHere++;
      this.#queueMayHoldWork = true;
      this.pump();
      return { ok: true, execution };
    }
    return this.#track(this.#runSync(execution, fn, startNow));
  }

  /** A sync execution: waits for its slot unless it holds one (`started`), runs, answers its record. */
  async #runSync(execution: ExecutionRecord, fn: FunctionRecord, started: boolean): Promise<Submitted> {
    const { store, config, log } = this.#options;
    if (!started) {
      await new Promise<void>((grant) => {
        this.#scheduler.enqueue({ userId: execution.userId, createdAt: execution.createdAt, grant });
        this.pump();
      });
      try {
        const at = new Date();
        started = await store.startExecution(execution.id, config.nodeId, new Date(at.getTime() + this.#leaseMs).toISOString(), at.toISOString());
      } catch (error) {
        log.error({ err: error, executionId: execution.id }, 'could not start a sync execution');
        await this.#recordFailure(execution);
      }
    }
    let done: ExecutionRecord | undefined;
    if (started) done = await this.#run(execution, fn);
    // Not started: this node's lease ran out while it waited (it stalled), and it went to the
    // shared queue, where another node runs it; the client sees it queued.
    else this.#release(execution.userId);
    // Read back only when this node did not record the end itself (a failure, an interruption).
    done ??= await store.getExecution(fn.userId, execution.id);
    return { ok: true, execution: done ?? execution };
  }

  /**
   * The execution with its receipt. A finished one has the receipt it was completed with; one
   * that a restart or a lease sweep ended as INTERRUPTED (in bulk, in the store) gets its
   * receipt at its first read, signed by this node and stored once: every read after that,
   * here or on another server, answers the same one.
   */
  async withReceipt(execution: ExecutionRecord): Promise<ExecutionRecord> {
    if (execution.receipt !== null || (execution.status !== 'success' && execution.status !== 'error') || execution.startedAt === null || execution.finishedAt === null) return execution;
    const { store, signingKey } = this.#options;
    const code = await store.getFunctionVersion(execution.userId, execution.functionId, execution.functionVersion);
    if (!code) return execution;
    const { receipt } = signResult(
      {
        executionId: execution.id,
        functionId: execution.functionId,
        userId: execution.userId,
        status: execution.status as 'success' | 'error',
        result: execution.result,
        error: execution.error,
        logs: execution.logs,
        network: execution.network,
        startedAt: execution.startedAt,
        finishedAt: execution.finishedAt,
      },
      { ...codeInputs(code), params: execution.params, functionVersion: execution.functionVersion, limits: { timeoutMs: code.timeoutMs, memoryMb: code.memoryMb }, deterministic: code.deterministic },
      signingKey,
    );
    if (await store.setExecutionReceipt(execution.id, receipt)) return { ...execution, receipt };
    return (await store.getExecution(execution.userId, execution.id)) ?? execution;
  }

  /** Work was queued outside submit() (a schedule's tick): look at the queue now. */
  wake(): void {
    this.#queueMayHoldWork = true;
    this.pump();
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
    const lease = new Date(Date.now() + this.#leaseMs).toISOString();
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

  #track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight.add(work);
    return work.finally(() => this.#inFlight.delete(work));
  }

  /**
   * Runs one recorded execution on a slot already taken, and records its outcome; answers the
   * record as completed, or undefined when this node did not complete it (see #recordFailure).
   */
  async #run(execution: ExecutionRecord, code: FunctionVersion | FunctionRecord): Promise<ExecutionRecord | undefined> {
    const { store, executor, vault, metrics, config, log, signingKey } = this.#options;
    const inputs: ReceiptInputs = {
      ...codeInputs(code),
      params: execution.params,
      functionVersion: execution.functionVersion,
      limits: { timeoutMs: code.timeoutMs, memoryMb: code.memoryMb },
      deterministic: code.deterministic,
    };
    const live = this.liveLogs.open(execution.id);
    // Live lines are redacted as the record will be: with the values of the secrets the function
    // may read (those it read are among them), fetched at its first line.
    const liveRedaction = new LiveRedaction(code.allowedSecrets.length === 0 ? null : () => vault.values(execution.userId, code.allowedSecrets));
    let liveClosed = false;
    const closeLive = async () => {
      if (liveClosed) return;
      liveClosed = true;
      await liveRedaction.settled();
      // Only an execution that logged has lines in the store: the others cost no query here.
      if (await live.close()) await store.deleteLogLines(execution.id).catch((error: unknown) => log.warn({ err: error, executionId: execution.id }, 'could not delete live log lines'));
    };
    try {
      const request: ExecutionRequest = {
        ...codeInputs(code),
        env: code.env,
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
      let result: ExecutionResult = await executor.execute(request, { onLog: (entry, index) => liveRedaction.pass(entry, index, live.onLog) });
      const readValues = await vault.values(execution.userId, result.secretsRead);
      result = redactExecution(result, [...new Set([...readValues, ...(await liveRedaction.loadedValues())])]);
      // The receipt names the result as answered: redacted, with the record's identity.
      result = signResult({ ...result, executionId: execution.id, functionId: execution.functionId, userId: execution.userId }, inputs, signingKey);
      const outcome: ExecutionOutcome = {
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
      };
      const saved = await store.completeExecution(execution.id, outcome, config.historyPerFunction);
      await closeLive();
      metrics.recordExecution(result.status, result.error?.code ?? null, result.durationMs / 1000);
      if (!saved) return undefined;
      if (result.secretsRead.length > 0) await store.recordSecretReads(execution.userId, execution.id, result.secretsRead, result.finishedAt);
      // What the store now holds, without reading it back.
      return { ...execution, ...outcome, phase: 'done' };
    } catch (error) {
      log.error({ err: error, executionId: execution.id }, 'execution could not be run or recorded');
      await this.#recordFailure(execution, inputs);
    } finally {
      await closeLive().catch((error: unknown) => log.warn({ err: error, executionId: execution.id }, 'could not end live logs'));
      this.#release(execution.userId);
    }
  }

  /**
   * Ends an execution this node holds as INTERNAL_ERROR (our failure, not the guest's), signed
   * like any other when the function's code is known (`inputs`).
   */
  async #recordFailure(execution: ExecutionRecord, inputs?: ReceiptInputs): Promise<void> {
    const { store, metrics, config, log, signingKey } = this.#options;
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
    const { executionId: _id, functionId: _fn, userId: _user, ...outcome } = inputs ? signResult(failed, inputs, signingKey) : failed;
    await store
      .completeExecution(execution.id, outcome, config.historyPerFunction)
      .catch((again: unknown) => log.error({ err: again, executionId: execution.id }, 'could not record the failed execution'));
    metrics.recordExecution('error', 'INTERNAL_ERROR', 0);
  }

  /** Renews this node's leases (while it holds anything) and its registration. */
  async #heartbeat(): Promise<void> {
    const { store, config, log } = this.#options;
    const node = this.#node;
    const now = Date.now();
    if (this.#inFlight.size > 0 || this.#scheduler.running > 0) {
      await store.renewLeases(config.nodeId, new Date(now + this.#leaseMs).toISOString()).catch((error: unknown) => log.error({ err: error }, 'could not renew execution leases'));
    }
    await node?.heartbeat({ running: this.#scheduler.running, draining: this.#stopping });
  }

  /** Ends executions of servers whose lease expired, and picks up work queued by other servers. */
  async #sweep(): Promise<void> {
    const { store, log, metrics } = this.#options;
    try {
      const now = new Date().toISOString();
      const settled = await store.interruptExecutions({ expiredBefore: now }, interrupted, now);
      if (settled.interrupted > 0) log.warn({ executions: settled.interrupted }, 'executions of a server that stopped ended as INTERRUPTED');
      if (settled.released > 0) log.warn({ executions: settled.released }, 'executions waiting on a server that stopped went back to the queue');
      metrics.recordSettled(settled);
      await store.pruneIdempotencyKeys(now);
    } catch (error) {
      log.error({ err: error }, 'could not sweep expired executions');
    }
    this.#queueMayHoldWork = true;
    this.pump();
  }
}

/** What runs, for the engine and the receipt alike: one file, or the entry with the other modules. */
function codeInputs(code: FunctionCode): { source: string; modules?: Record<string, string>; entry?: string } {
  if (code.modules === null || code.entry === null) return { source: code.source };
  return { source: code.source, modules: code.modules, entry: code.entry };
}

/**
 * Redacts an execution's live console lines with the values of the secrets it may read, loaded
 * once at its first line; lines pass on in order (each waits for the ones before it).
 */
class LiveRedaction {
  readonly #load: (() => Promise<string[]>) | null;
  #values: Promise<string[]> | null = null;
  #redact: Redact | null = null;
  #chain: Promise<void> = Promise.resolve();

  constructor(load: (() => Promise<string[]>) | null) {
    this.#load = load;
  }

  pass(entry: LogEntry, index: number, next: (entry: LogEntry, index: number) => void): void {
    if (this.#load === null) return next(entry, index);
    this.#values ??= this.#load().catch(() => []);
    this.#chain = this.#chain.then(async () => {
      this.#redact ??= redactor(await this.#values!);
      next({ ...entry, message: this.#redact(entry.message) }, index);
    });
  }

  /** The values live lines were redacted with (none when no line came). */
  async loadedValues(): Promise<string[]> {
    return this.#values === null ? [] : await this.#values;
  }

  /** Resolves once every line given has passed on. */
  settled(): Promise<void> {
    return this.#chain;
  }
}
