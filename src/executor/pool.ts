// ExecutorPool: guest code runs only in executor processes, started and supervised here.
//
// - Cordoned by tenant (default): a process runs one user's executions at a time (placement.ts),
//   so a kill, a crash or a memory storm costs only the user who caused it. Processes start on
//   demand up to `processes`, with `spare` idle ones kept ready; an execution that finds none
//   waits, and waiting users are served in turn (round robin, FIFO within a user), the process
//   leased longest without a pause passing on.
// - Bounded: each process's resident memory and each execution's deadline are enforced by the
//   host (executor-process.ts); a process that does not come back to its idle size, ran
//   `recycleAfter` executions, or had an execution stopped from outside is retired before
//   another user gets it. Retiring never ends running work: it only stops new work.
// - The abuser pays: a user whose processes keep dying waits longer and longer for new ones
//   (a start costs everyone CPU), and a process whose oldest running execution has used more
//   than a small CPU budget runs its guest threads at the lowest priority (priority.ts).
// - A process that dies ends only its own executions, and is replaced as needed.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { processSigningKey, type SigningKey } from '../attestation/keys.ts';
import { signResult } from '../attestation/receipt.ts';
import { checkLimit, defaultLimits, encodeParams, ExecutionFailure, InMemorySecretStore, LimitError, resolveLimits, type ExecutionObserver, type ExecutionRequest, type ExecutionResult, type SecretStore, type WarmPoolStats } from '../core/index.ts';
import { crashedResult, ExecutorProcess, failedResult } from './executor-process.ts';
import type { Executor } from './executor.ts';
import { memoryWatchAvailable, mib } from './memory.ts';
import { limitsStillCounted, place, retireReason, type Sharing } from './placement.ts';
import { canRaisePriority, defaultCpuBudgetMs } from './priority.ts';
import type { ExecutorEngineOptions } from './protocol.ts';

export interface ExecutorPoolOptions {
  /** Secret values; executors ask for them one at a time, and only for what they may read. */
  secrets?: SecretStore;
  /** Executor processes at most (default 8, at least one per core). */
  processes?: number;
  /**
   * Processes one user may hold at once while all it holds are busy (tenant sharing; default
   * one per core, at most \`processes\`).
   */
  perUser?: number;
  /** Idle processes kept started ahead of demand (default 1). */
  spare?: number;
  /**
   * 'tenant' (default): a process runs one user's executions at a time; 'execution': one
   * execution at a time (each held to its own memory limit); 'shared': any user's, any number.
   */
  sharing?: Sharing;
  /**
   * Warm sandboxes per executor (default 4 ready, up to 8 under load: see `defaultWarm`); false
   * for none. Not more: under a load that empties them a warm pool hides nothing, and each ready
   * sandbox holds about 2 MB that counts against the 32 MB its process may keep above its idle size.
   */
  warm?: { size: number; max?: number } | false;
  /** Engine settings for every executor (limits, network policy...): plain data. */
  engine?: Omit<ExecutorEngineOptions, 'pool'>;
  /** Past an execution's time limit, how long before its executor counts as stuck and is killed (default 200 ms). */
  graceMs?: number;
  /**
   * Resident memory a process may hold for a moment beyond its idle size and the limits of what
   * it runs (default 32 MB); beyond them by less, it may stay 400 ms.
   */
  memoryMarginMb?: number;
  /** How far above its idle size a process may stay after its executions end (default 32 MB). */
  returnMarginMb?: number;
  /** Executions after which a process is replaced (default 10,000). */
  recycleAfter?: number;
  /**
   * Lower the CPU priority of a process's guest threads once its oldest running execution has
   * seen it use more than `cpuBudgetMs` of CPU (default true; priority.ts).
   */
  deprioritiseBusy?: boolean;
  /** The CPU budget of an execution before its process runs at the low priority (default 50 ms). */
  cpuBudgetMs?: number;
  /** Idle processes beyond `spare` stop after this long (default 60 s). */
  idleMs?: number;
  /** Where executor output and supervision events go. */
  log?: (line: string) => void;
  /**
   * The key that signs each result's receipt, here in the host (executors never hold it): this
   * process's own fresh key by default; null for none (the service signs after redaction).
   */
  signingKey?: SigningKey | null;
}

export interface ExecutorPoolStats {
  executors: Array<{
    pid: number | undefined;
    load: number;
    pool: WarmPoolStats | null;
    tenant: string | null;
    residentBytes: number | null;
    idleBytes: number | null;
    executions: number;
    retiring: boolean;
  }>;
  /** Processes that died or were killed (crashes, memory and deadline kills). */
  restarts: number;
  /** Processes retired on purpose (memory not given back, age, a stopped execution). */
  recycled: number;
  inFlight: number;
  /** Executions waiting for a process. */
  waiting: number;
}

type Settings = Required<Omit<ExecutorPoolOptions, 'engine' | 'warm' | 'signingKey'>> & { engine: ExecutorEngineOptions };

/**
 * The executor's warm pool. Its idle size is measured with `size` sandboxes ready, and each
 * sandbox ready beyond them costs the process about 2.7 MB that it keeps while they wait: a
 * process must stay within `returnMarginMb` (32 MB) of its idle size between executions, so the
 * pool may grow by 4 only (a process measured 113 MB against 95 MB idle with 8, 135 MB with 16).
 */
const defaultWarm = { size: 4, max: 8 };

/** After this long idle, a process must be back within the return margin of its idle size. */
const returnSettleMs = 50;

const sampleMs = 5;
const memorySustainedMs = 400;
const housekeepingMs = 250;
const taintedIdleMs = 1000;
const affinityMs = 2000;
const firstPenaltyMs = 250;
const maxPenaltyMs = 10_000;
const strikeMemoryMs = 60_000;

export class ExecutorPool implements Executor {
  readonly #options: Settings;
  readonly #signingKey: SigningKey | null;
  readonly #executors: ExecutorProcess[] = [];
  /** Waiting executions by user, in the order users are served (round robin). */
  readonly #waiting = new Map<string, Array<(executor: ExecutorProcess | undefined) => void>>();
  readonly #housekeeping: NodeJS.Timeout;
  /** Users whose processes were killed or had to be recycled for memory: they wait for new ones. */
  readonly #penalties = new Map<string, { strikes: number; until: number; last: number }>();
  #yielding: ExecutorProcess | null = null;
  #restarts = 0;
  #recycled = 0;
  #recentStarts: number[] = [];
  #closing = false;

  private constructor(options: ExecutorPoolOptions) {
    const processes = options.processes ?? Math.max(8, os.availableParallelism());
    this.#signingKey = options.signingKey === undefined ? processSigningKey() : options.signingKey;
    this.#options = {
      secrets: options.secrets ?? new InMemorySecretStore(),
      processes,
      spare: Math.min(options.spare ?? 1, processes),
      perUser: Math.max(1, Math.min(options.perUser ?? os.availableParallelism(), processes)),
      sharing: options.sharing ?? 'tenant',
      graceMs: options.graceMs ?? 200,
      memoryMarginMb: options.memoryMarginMb ?? 32,
      returnMarginMb: options.returnMarginMb ?? 32,
      recycleAfter: options.recycleAfter ?? 10_000,
      idleMs: options.idleMs ?? 60_000,
      deprioritiseBusy: options.deprioritiseBusy ?? true,
      cpuBudgetMs: options.cpuBudgetMs ?? defaultCpuBudgetMs,
      log: options.log ?? ((line) => process.stderr.write(`teejs: ${line}\n`)),
      // An executor makes its sandboxes on its main thread while idle: the pool sends work to
      // another process meanwhile (placement.ts), and that costs less CPU than isolated-vm's
      // asynchronous calls.
      engine: { ...options.engine, ...(options.warm === false ? {} : { pool: { ...(options.warm ?? defaultWarm), foregroundWhenIdle: true } }) },
    };
    if (!(processes >= 1)) throw new RangeError('an executor pool needs at least one process');
    this.#housekeeping = setInterval(() => this.#keepHouse(), housekeepingMs);
    this.#housekeeping.unref();
  }

  static async start(options: ExecutorPoolOptions = {}): Promise<ExecutorPool> {
    const pool = new ExecutorPool(options);
    const initial = Math.min(pool.#options.processes, pool.#options.spare + 1);
    await Promise.all(Array.from({ length: initial }, () => pool.#spawn().ready));
    return pool;
  }

  get restarts(): number {
    return this.#restarts;
  }

  stats(): ExecutorPoolStats {
    let waiting = 0;
    for (const queue of this.#waiting.values()) waiting += queue.length;
    return {
      executors: this.#executors.map((executor) => ({
        pid: executor.pid,
        load: executor.load,
        pool: executor.poolStats,
        tenant: executor.tenant,
        residentBytes: executor.residentBytes(),
        idleBytes: executor.idleBytes,
        executions: executor.executions,
        retiring: executor.retiring,
      })),
      restarts: this.#restarts,
      recycled: this.#recycled,
      inFlight: this.#executors.reduce((sum, executor) => sum + executor.load, 0),
      waiting,
    };
  }

  async execute(request: ExecutionRequest, observer?: ExecutionObserver): Promise<ExecutionResult> {
    const call = { ...request, executionId: request.executionId ?? randomUUID() };
    // Params are read here once, by the engine's own checked copy (no getter, toJSON or Proxy
    // trap of the caller's object runs): the executor gets that plain copy and the receipt
    // hashes it. Params it refuses go as given, and the executor answers VALIDATION_ERROR.
    let paramsJson: string | null = null;
    try {
      const limits = resolveLimits(this.#options.engine.limits);
      paramsJson = encodeParams(call.params, limits.maxParamsBytes, limits.maxParamsDepth);
      call.params = JSON.parse(paramsJson);
    } catch (error) {
      if (!(error instanceof ExecutionFailure)) throw error;
    }
    const result = await this.#execute(call, observer);
    const signingKey = this.#signingKey;
    if (!signingKey) return result;
    const limits = this.#options.engine.limits;
    return signResult(
      result,
      {
        source: call.source,
        modules: call.modules,
        entry: call.entry,
        paramsJson,
        limits: { timeoutMs: call.timeoutMs ?? limits?.timeoutMs ?? defaultLimits.timeoutMs, memoryMb: call.memoryMb ?? limits?.memoryMb ?? defaultLimits.memoryMb },
        deterministic: call.deterministic === true,
      },
      signingKey,
    );
  }

  async #execute(call: ExecutionRequest & { executionId: string }, observer: ExecutionObserver | undefined): Promise<ExecutionResult> {
    if (this.#closing) return crashedResult(call, new Date(), 'the executor pool is shutting down');
    // Judged here too, before the supervisor arms a deadline or reserves memory with them.
    const limits = this.#options.engine.limits;
    try {
      checkLimit('timeoutMs', call.timeoutMs ?? limits?.timeoutMs ?? defaultLimits.timeoutMs, 'timeoutMs');
      checkLimit('memoryMb', call.memoryMb ?? limits?.memoryMb ?? defaultLimits.memoryMb, 'memoryMb');
    } catch (error) {
      if (!(error instanceof LimitError)) throw error;
      return failedResult(call, new Date(), { code: 'VALIDATION_ERROR', message: error.message });
    }
    const userId = String(call.userId ?? 'anonymous');
    const executor = await this.#acquire(userId);
    if (!executor) {
      return crashedResult(call, new Date(), this.#closing ? 'the executor pool is shutting down' : 'no executor process could be started');
    }
    executor.reserved--;
    const result = await executor.execute(call, observer);
    this.#finished(executor, result);
    return result;
  }

  /** Drains in-flight executions, then stops every executor (killing any that will not stop). */
  async close(deadlineMs = 30_000): Promise<void> {
    this.#closing = true;
    clearInterval(this.#housekeeping);
    for (const queue of this.#waiting.values()) for (const resolve of queue.splice(0)) resolve(undefined);
    this.#waiting.clear();
    await Promise.all(this.#executors.map((executor) => executor.shutdown(deadlineMs)));
  }

  // ---- placement -----------------------------------------------------------------------------

  #acquire(userId: string): Promise<ExecutorProcess | undefined> {
    return new Promise((resolve) => {
      const queue = this.#waiting.get(userId);
      if (queue) queue.push(resolve);
      else this.#waiting.set(userId, [resolve]);
      this.#dispatch();
    });
  }

  /** Hands processes to waiting executions, one user at a time in turn. */
  #dispatch(): void {
    if (this.#closing) return;
    // A process idle since its last execution ended takes no other before it is seen back
    // within the margin of its idle size (or, past `returnSettleMs`, it is retired instead).
    for (const executor of this.#executors) {
      if (executor.returnPending && executor.alive && executor.started && executor.load === 0) this.#check(executor);
    }
    const policy = { sharing: this.#options.sharing, maxProcesses: this.#options.processes, now: performance.now(), affinityMs, perUser: this.#options.perUser };
    let startsWanted = 0;
    let progressed = true;
    while (progressed) {
      progressed = false;
      // While some user finds no process at all (processes still starting will serve some of
      // those who wait: only the rest starve), the process leased the longest without a pause
      // takes no more of its user's work: it drains and passes on (otherwise a steady stream
      // would keep a lease forever). A user running one execution at a time pauses between
      // them, so its lease is always young: what yields is a process held by long or
      // overlapping executions.
      const unplaced = [...this.#waiting.keys()].filter((userId) => place(this.#executors, userId, policy).kind === 'wait').length;
      const yielding = unplaced > this.#starting() ? this.#yieldingProcess(policy.now) : null;
      for (const [userId, queue] of [...this.#waiting]) {
        const placement = place(this.#executors, userId, { ...policy, passing: yielding });
        // A process that is not already this user's costs a start (or another's turn): a user
        // whose processes keep dying waits for it, so the cost of the abuse stays theirs.
        const costly = placement.kind === 'start' || (placement.kind === 'use' && placement.executor.lastTenant !== userId);
        if (costly && this.#penalised(userId, policy.now)) continue;
        if (placement.kind === 'use' && !(placement.executor === yielding && yielding.lastTenant === userId)) {
          const resolve = queue.shift()!;
          const { executor } = placement;
          if (placement.lease) {
            executor.tenant = userId;
            executor.lastTenant = userId;
            executor.leasedSince = policy.now;
          }
          executor.reserved++;
          // Served: to the back of the line.
          this.#waiting.delete(userId);
          if (queue.length > 0) this.#waiting.set(userId, queue);
          resolve(executor);
          progressed = true;
        } else if (placement.kind === 'start') {
          startsWanted++;
        }
      }
    }
    for (let i = this.#starting(); i < startsWanted; i++) {
      if (this.#counted() >= this.#options.processes) break;
      this.#spawn();
    }
  }

  /**
   * A process leased to `userId` was killed (memory, deadline, crash) or recycled for memory it
   * kept: the user's next new process waits 0.25 s, doubling with each strike within a minute,
   * up to 10 s. Starting a process costs 0.5-1 s of CPU that would otherwise come out of every
   * user's share.
   */
  #strike(userId: string | null): void {
    if (userId === null || this.#options.sharing === 'shared' || this.#closing) return;
    const now = performance.now();
    const previous = this.#penalties.get(userId);
    const strikes = previous && now - previous.last < strikeMemoryMs ? previous.strikes + 1 : 1;
    const waitMs = Math.min(maxPenaltyMs, firstPenaltyMs * 2 ** (strikes - 1));
    this.#penalties.set(userId, { strikes, until: now + waitMs, last: now });
    setTimeout(() => this.#dispatch(), waitMs + 1).unref();
  }

  #penalised(userId: string, now: number): boolean {
    const penalty = this.#penalties.get(userId);
    if (penalty === undefined) return false;
    if (now - penalty.last > strikeMemoryMs) this.#penalties.delete(userId);
    return penalty.until > now;
  }

  /**
   * The process that passes to a user who finds none: the one leased the longest without a
   * pause. Once drained, it goes to the waiting user, or, if no other user may have it (an
   * execution in it was stopped, or it was reniced), it is retired to make room for a new one.
   */
  #yieldingProcess(now: number): ExecutorProcess | null {
    const starting = this.#starting();
    let oldest: ExecutorProcess | null = null;
    for (const executor of this.#executors) {
      if (!executor.alive || executor.retiring || !executor.started || executor.lastTenant === null) continue;
      if (executor.load === 0 && (executor.tainted || executor.niced)) {
        if (now - executor.idleSince < affinityMs && executor !== this.#yielding) continue;
        executor.retiring = true;
        this.#recycled++;
        this.#log(`executor ${executor.pid} retired: other users wait, and no other user may have it`);
        void executor.shutdown(1000);
        continue;
      }
      // While processes are starting (those who wait will have them), one short execution (a
      // lease younger than the affinity, holding one execution) does not pass on: its user runs
      // one execution after another, pausing between them, and its lease ends by itself in a
      // moment. At a storm's start the quiet user's process was the only lease, passed on, and
      // the quiet user waited for a start. With nothing starting, it passes on like any other:
      // every user gets a turn.
      if (starting > 0 && executor.load <= 1 && now - executor.leasedSince < affinityMs) continue;
      if (executor.tenant !== null && (oldest === null || executor.leasedSince < oldest.leasedSince)) oldest = executor;
    }
    // Sticky until it has passed to another user: a process chosen anew each time might never drain.
    const current = this.#yielding;
    if (current === null || !current.alive || current.retiring || current.lastTenant !== current.yieldingFrom) {
      this.#yielding = oldest;
      if (oldest) oldest.yieldingFrom = oldest.lastTenant;
    }
    return this.#yielding;
  }

  #starting(): number {
    return this.#executors.filter((executor) => executor.alive && !executor.started && !executor.retiring).length;
  }

  #counted(): number {
    return this.#executors.filter((executor) => executor.alive && !executor.retiring).length;
  }

  #finished(executor: ExecutorProcess, result: ExecutionResult): void {
    const code = result.error?.code;
    // The isolate was stopped from outside: what it left behind (a thread still unwinding,
    // memory not given back) stays with this user.
    if (code === 'TIMEOUT' || code === 'MEMORY_LIMIT') executor.tainted = true;
    if (executor.load === 0) executor.tenant = null;
    this.#check(executor);
    this.#dispatch();
  }

  // ---- recycling -----------------------------------------------------------------------------

  #check(executor: ExecutorProcess): void {
    if (!executor.alive) return;
    if (!executor.retiring) {
      const now = performance.now();
      // An ended execution's limit counts while its memory goes back (usually within 5 ms);
      // idle for longer than that, the process is held to its idle size and the margin alone.
      const counted = limitsStillCounted(executor, executor.inFlightLimitBytes, now, returnSettleMs);
      const resident = executor.residentBytes();
      const idleBytes = executor.idleBytes;
      const back = resident !== null && idleBytes !== null && resident <= idleBytes + this.#options.returnMarginMb * mib;
      if (executor.load === 0 && (counted === 0 || back)) executor.returnPending = false;
      const retirement = retireReason(executor, resident, {
        recycleAfter: this.#options.recycleAfter,
        returnMarginBytes: this.#options.returnMarginMb * mib,
        inFlightLimitBytes: counted,
        taintedIdleMs,
        now,
      });
      if (retirement === null) return;
      executor.retiring = true;
      this.#recycled++;
      if (retirement.cause === 'memory') this.#strike(executor.lastTenant);
      this.#log(`executor ${executor.pid} retired: it ${retirement.reason}`);
    }
    if (executor.load === 0) void executor.shutdown(1000);
  }

  #keepHouse(): void {
    if (this.#closing) return;
    const now = performance.now();
    let spareIdle = 0;
    for (const executor of [...this.#executors]) {
      if (!executor.alive || !executor.started) continue;
      executor.measureCpu();
      // Threads made since the last tick start at the priority of their maker: apply it again.
      executor.keepLowered();
      this.#check(executor);
      if (executor.retiring || executor.load > 0) continue;
      // Lowered for good (the host may not raise priorities) and idle a while: its user's burst
      // of CPU is over, and a fresh process serves it (or anyone) at the normal priority.
      if (executor.niced && now - executor.idleSince >= affinityMs) {
        executor.retiring = true;
        this.#recycled++;
        this.#log(`executor ${executor.pid} retired: its priority was lowered and cannot be raised again`);
        void executor.shutdown(1000);
        continue;
      }
      // Idle beyond the spares for long enough: give the memory back.
      if (++spareIdle > this.#options.spare && now - executor.idleSince > this.#options.idleMs) {
        executor.retiring = true;
        void executor.shutdown(1000);
      }
    }
    this.#ensureSpares();
    this.#dispatch();
  }

  /** Keeps `spare` processes idle and clean (or starting) while below the maximum. */
  #ensureSpares(): void {
    if (this.#closing) return;
    const ready = this.#executors.filter(
      (executor) => executor.alive && !executor.retiring && executor.load === 0 && executor.tenant === null && !executor.tainted && !executor.niced,
    ).length;
    for (let i = ready; i < this.#options.spare && this.#counted() < this.#options.processes; i++) this.#spawn();
  }

  #spawn(): ExecutorProcess {
    const executor = new ExecutorProcess({
      engine: this.#options.engine,
      secrets: this.#options.secrets,
      graceMs: this.#options.graceMs,
      memory: memoryWatchAvailable ? { marginBytes: this.#options.memoryMarginMb * mib, sustainedMs: memorySustainedMs, sampleMs } : null,
      log: this.#options.log,
      cpu: this.#options.deprioritiseBusy ? { budgetMs: this.#options.cpuBudgetMs, canRaise: canRaisePriority } : null,
    });
    this.#executors.push(executor);
    this.#recentStarts = [...this.#recentStarts.filter((time) => performance.now() - time < 10_000), performance.now()];
    executor.ready.then(
      () => this.#dispatch(),
      () => {
        // Nothing can start (the machine is out of memory, the install is broken): say so
        // to whoever waits rather than letting them wait forever.
        if (this.#recentStarts.length > 10 && !this.#executors.some((other) => other.alive && other.started)) {
          for (const queue of this.#waiting.values()) for (const resolve of queue.splice(0)) resolve(undefined);
          this.#waiting.clear();
        }
      },
    );
    void executor.exited.then(({ code, signal }) => {
      this.#executors.splice(this.#executors.indexOf(executor), 1);
      if (this.#closing) return;
      if (!executor.retiring || executor.killed) {
        this.#restarts++;
        this.#strike(executor.lastTenant);
        this.#log(`executor ${executor.pid} ended (${signal ?? `code ${code}`}${executor.killed ? `: ${executor.killed}` : ''}); replacing it as needed`);
      }
      // A crash loop (the machine is out of memory, the binary is broken) must not become a fork bomb.
      const delay = this.#recentStarts.length > 10 ? 1000 : 0;
      setTimeout(() => {
        this.#ensureSpares();
        this.#dispatch();
      }, delay).unref();
    });
    return executor;
  }

  #log(line: string): void {
    this.#options.log(line);
  }
}
