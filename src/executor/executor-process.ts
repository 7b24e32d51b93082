// One supervised executor process, seen from the host: starts it with least authority, sends it
// executions, answers its secret lookups after checking them, and ends exactly the executions it
// was running when it dies. The host, not the process, enforces the outer bounds:
// - time: an execution whose limit passed `graceMs` ago without an answer ends TIMEOUT then,
//   with its real duration; its process takes no more work, and is killed unless it answers a
//   ping within `pingMs` (wedged: a native call, a frozen process) or replaced once what else
//   it runs has ended (only slow: a starved machine);
// - memory: while it runs anything, the process's resident memory is read every few ms; past its
//   idle size + the limits of what it runs by a margin (checked on a thread of its own as well,
//   memory-backstop.ts, so a busy server thread cannot delay it), or by less for `sustainedMs`,
//   it is killed and what it ran ends MEMORY_LIMIT (V8's heap limit misses large objects and
//   flattened strings: docs/limits.md);
// - any other death ends its executions EXECUTOR_CRASHED.
// Which executions share a process is the pool's choice (by default one user's only).
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultLimits, resolveLimits, type ExecutionError, type ExecutionObserver, type ExecutionRequest, type ExecutionResult, type LogEntry, type SecretStore, type WarmPoolStats } from '../core/index.ts';
import { MemoryBackstop, type BackstopSlot } from './memory-backstop.ts';
import { cpuTimeMs, mib, residentBytes } from './memory.ts';
import { cpuCheckMs, cpuLevel, lowPriorityNice, normalNice, setThreadPriorities } from './priority.ts';
import type { ExecutorEngineOptions, ExecutorMessage, HostMessage } from './protocol.ts';

// `.ts` in a checkout (run by type stripping), `.js` in the built package (dist/).
const childModule = fileURLToPath(new URL(`./child${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));
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

export interface MemoryWatchOptions {
  /** Resident bytes an executor may hold beyond its idle size and its executions' limits, for a moment. */
  marginBytes: number;
  /** Beyond its idle size and its executions' limits for this long (by less than the margin), it is over too. */
  sustainedMs: number;
  /** How often a busy executor's resident memory is read. */
  sampleMs: number;
}

export interface ExecutorProcessOptions {
  engine: ExecutorEngineOptions;
  secrets: SecretStore;
  /** Past an execution's own time limit, how long before its executor counts as stuck and is killed. */
  graceMs: number;
  /** Watch resident memory (null: off, or /proc is not there). */
  memory: MemoryWatchOptions | null;
  /** Where the executor's own stdout/stderr lines go (never the host's stdout). */
  log: (line: string) => void;
  /**
   * CPU priority by behaviour (priority.ts): the CPU budget in ms past which a busy process's
   * guest threads are lowered, and whether the host may raise them again (null: never lowered).
   */
  cpu: { budgetMs: number; canRaise: boolean } | null;
}

interface InFlight {
  request: ExecutionRequest & { executionId: string };
  startedAt: Date;
  /** performance.now() at dispatch, and when the execution's own time limit passes. */
  started: number;
  deadline: number;
  memoryBytes: number;
  /** Resident bytes at dispatch and the most seen while it ran; `alone` while no other execution overlapped it. */
  residentAtStart: number;
  residentPeak: number;
  alone: boolean;
  /** The process's CPU time (ms) when it was dispatched, or null where /proc cannot tell. */
  cpuAtStart: number | null;
  resolve: (result: ExecutionResult) => void;
  watchdog: NodeJS.Timeout;
  /** Hears the console lines the executor relays while it runs; the index and bytes of the next. */
  observer: ExecutionObserver | undefined;
  nextLine: number;
  logBytes: number;
}

const logLevels: ReadonlySet<unknown> = new Set(['log', 'info', 'warn', 'error', 'debug']);

/** How long an ended execution's memory limit still counts toward its process's allowance. */
const releaseMs = 2000;

/** Over how long the resident size at the start of executions is remembered. */
const betweenWindowMs = 2000;

/** How long an executor whose execution overran has to answer a ping before it is killed. */
const pingMs = 500;

/**
 * The same for a process whose guest threads run at the low priority (priority.ts). Its main
 * thread may wait on one of them (isolated-vm disposes an isolate under a lock shared by the
 * process's isolates), and on a loaded machine a thread at nice 19 may wait that long for a CPU:
 * seen as deadline kills that ended the user's other executions EXECUTOR_CRASHED. A lowered
 * process costs others little meanwhile, and the overdue execution has had its answer already.
 */
const pingLoweredMs = 2000;

/** Why the host killed an executor: each in-flight execution's result follows from it. */
type KillCause =
  | { kind: 'memory'; residentBytes: number; allowedBytes: number }
  | { kind: 'deadline' }
  | { kind: 'other'; reason: string };

export class ExecutorProcess {
  readonly #child: ChildProcess;
  readonly #options: ExecutorProcessOptions;
  readonly #inFlight = new Map<number, InFlight>();
  readonly ready: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #nextId = 1;
  #alive = true;
  #cause: KillCause | null = null;
  #poolStats: WarmPoolStats | null = null;
  #sampler: NodeJS.Timeout | null = null;
  #overSince: number | null = null;
  /** Resident bytes at the start of each recent execution: what the process keeps between them. */
  readonly #startResidents: Array<{ at: number; bytes: number }> = [];
  /** The same watch's hard bound, kept by a thread of its own (memory-backstop.ts). */
  #backstop: BackstopSlot | null = null;
  readonly #released: Array<{ bytes: number; until: number }> = [];
  #pingTimer: NodeJS.Timeout | null = null;
  #stopping: Promise<void> | null = null;
  #pongFor = 0;
  /** Resident bytes once started and warm: what "back to idle" means for this process. */
  #idleBytes: number | null = null;
  #executions = 0;
  #started = false;
  /** Placed here by the pool, not yet sent: counted in the load so no one else takes the place. */
  reserved = 0;
  /** Why the host killed this process, once it did. */
  killed: string | null = null;
  /** The user whose executions this process runs (tenant sharing), or null while unleased. */
  tenant: string | null = null;
  /** When its current lease began (performance.now()). */
  leasedSince = 0;
  /** The user it is draining from, while the pool passes it to another. */
  yieldingFrom: string | null = null;
  /** The last user it ran for: a lease back to the same user needs no recycling. */
  lastTenant: string | null = null;
  /** Its warm pool is still making the sandboxes its last executions used (until it says 'prepared'). */
  preparing = false;
  /** Set when this process must take no new work (recycling, shutdown). */
  retiring = false;
  /** Set when something happened here that a next tenant must not inherit (a kill, a memory storm). */
  tainted = false;
  idleSince = performance.now();
  /** Idle since an execution ended, and not yet seen back within the margin of its idle size. */
  returnPending = false;
  /** The CPU cores it kept busy since the measurement before (housekeeping's). */
  recentCores = 0;
  /** Its guest threads run at the low priority (priority.ts). */
  niced = false;
  /** Lowered for good: the host may not raise priorities, so no other user may have it. */
  nicedForGood = false;
  #cpuSeen: { cpuMs: number; at: number } | null = null;
  #cpuTimer: NodeJS.Timeout | null = null;

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
        if (message?.type !== 'ready') {
          reject(new Error('executor spoke before it was ready'));
          return;
        }
        this.#idleBytes = residentBytes(this.pid);
        if (options.memory !== null && this.pid !== undefined) this.#backstop = MemoryBackstop.shared().register(this.pid);
        this.#started = true;
        this.idleSince = performance.now();
        resolve();
      });
      this.#child.once('exit', () => reject(new Error('executor exited while starting')));
    });
    this.ready.catch(() => {});
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#alive = false;
        const killedAt = this.#backstop?.release() ?? null;
        if (killedAt !== null && this.#cause === null) {
          this.#cause = { kind: 'memory', residentBytes: killedAt, allowedBytes: this.#allowedBytes() ?? 0 };
          this.killed ??= 'over its memory allowance';
          this.retiring = true;
          this.tainted = true;
        }
        this.#stopSampling();
        this.#stopCpuWatch();
        if (this.#pingTimer !== null) clearTimeout(this.#pingTimer);
        this.#failAll(this.#cause ?? { kind: 'other', reason: describeExit(code, signal) });
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
    return this.#inFlight.size + this.reserved;
  }

  /** Started and warm: it can take executions. */
  get started(): boolean {
    return this.#started;
  }

  /**
   * The memory limits of what runs here now, and of what ended in the last `releaseMs`: an
   * isolate is disposed after its result is sent, and its memory goes back to the system a
   * little later (or never: then the process is recycled once idle).
   */
  get inFlightLimitBytes(): number {
    let bytes = 0;
    for (const call of this.#inFlight.values()) bytes += call.memoryBytes;
    const now = performance.now();
    while (this.#released.length > 0 && this.#released[0]!.until <= now) this.#released.shift();
    for (const released of this.#released) bytes += released.bytes;
    return bytes;
  }

  /**
   * Ended executions' limits stop counting as soon as the process is seen back near its idle
   * size: their memory is usually back within 5 ms of the result (measured: 185 MB at the
   * answer, 91 MB idle 5 ms later), and only a process that is slow to give it back needs the
   * longer allowance. Seen at the start of an execution, this holds each execution of a
   * process to its own limit, not to its own plus its predecessor's.
   */
  #forgetReleased(resident: number | null): void {
    const watch = this.#options.memory;
    if (this.#released.length === 0 || resident === null || this.#idleBytes === null || watch === null) return;
    if (resident <= this.#idleBytes + watch.marginBytes) {
      this.#released.length = 0;
      this.#armBackstop();
    }
  }

  #noteStartResident(at: number, bytes: number): void {
    this.#startResidents.push({ at, bytes });
    while (this.#startResidents.length > 0 && this.#startResidents[0]!.at < at - betweenWindowMs) this.#startResidents.shift();
  }

  /**
   * The least this process held as an execution started alone in it, over the last
   * `betweenWindowMs`, if it started at least three then: for a process that is never idle
   * (one user's executions back to back), what it keeps between executions. Null otherwise.
   */
  get betweenExecutionsBytes(): number | null {
    const now = performance.now();
    const recent = this.#startResidents.filter((start) => start.at >= now - betweenWindowMs);
    if (recent.length < 3 || now - recent[0]!.at < betweenWindowMs / 2) return null;
    return Math.min(...recent.map((start) => start.bytes));
  }

  #release(call: InFlight): void {
    this.#released.push({ bytes: call.memoryBytes, until: performance.now() + releaseMs });
    this.#armBackstop();
  }

  /** The backstop's hard bound follows the allowance; nothing running, nothing armed. */
  #armBackstop(): void {
    const allowed = this.#allowedBytes();
    const watch = this.#options.memory;
    if (this.#backstop === null || watch === null) return;
    if (allowed === null || this.#inFlight.size === 0) this.#backstop.disarm();
    else this.#backstop.arm(allowed + watch.marginBytes, watch.marginBytes);
  }

  #wentIdle(): void {
    this.idleSince = performance.now();
    this.returnPending = true;
    this.#stopCpuWatch();
    if (this.niced) this.#raise();
  }

  /** Executions this process was given since it started. */
  get executions(): number {
    return this.#executions;
  }

  get idleBytes(): number | null {
    return this.#idleBytes;
  }

  get poolStats(): WarmPoolStats | null {
    return this.#poolStats;
  }

  /** Measures the CPU cores this process kept busy since the call before (`recentCores`). */
  measureCpu(): void {
    const cpuMs = this.#alive ? cpuTimeMs(this.pid) : null;
    const at = performance.now();
    if (cpuMs === null) return;
    const seen = this.#cpuSeen;
    this.#cpuSeen = { cpuMs, at };
    if (seen === null || at <= seen.at) return;
    this.recentCores = (cpuMs - seen.cpuMs) / (at - seen.at);
  }

  // ---- CPU priority (priority.ts) ------------------------------------------------------------

  #startCpuWatch(): void {
    if (this.#cpuTimer !== null || this.#options.cpu === null) return;
    this.#cpuTimer = setInterval(() => this.#checkCpu(), cpuCheckMs);
  }

  #stopCpuWatch(): void {
    if (this.#cpuTimer !== null) clearInterval(this.#cpuTimer);
    this.#cpuTimer = null;
  }

  /**
   * While it runs anything: lowers its guest threads once the CPU it used since its oldest
   * running execution started passes the budget, and raises them again (where the host may)
   * once that is no longer so.
   */
  #checkCpu(): void {
    const cpu = this.#options.cpu;
    if (cpu === null || !this.#alive || this.pid === undefined) return;
    if (this.#inFlight.size === 0) {
      this.#stopCpuWatch();
      return;
    }
    let oldest: InFlight | null = null;
    for (const call of this.#inFlight.values()) if (oldest === null || call.started < oldest.started) oldest = call;
    const now = cpuTimeMs(this.pid);
    const used = now === null || oldest?.cpuAtStart == null ? null : now - oldest.cpuAtStart;
    const level = cpuLevel(used, cpu.budgetMs);
    if (level === 'low' && !this.niced) this.#lower();
    else if (level === 'normal' && this.niced) this.#raise();
  }

  #lower(): void {
    if (this.pid === undefined) return;
    this.niced = true;
    setThreadPriorities(this.pid, lowPriorityNice);
    // Another user must never inherit a lowered priority that cannot be raised again.
    if (!this.#options.cpu?.canRaise) this.nicedForGood = true;
  }

  #raise(): void {
    if (this.pid === undefined || this.nicedForGood) return;
    if (setThreadPriorities(this.pid, normalNice)) this.niced = false;
    else this.nicedForGood = true;
  }

  /** Re-applies the low priority to threads made since it was lowered. */
  keepLowered(): void {
    if (this.niced && this.#alive && this.pid !== undefined) setThreadPriorities(this.pid, lowPriorityNice);
  }

  residentBytes(): number | null {
    return this.#alive ? residentBytes(this.pid) : null;
  }

  execute(request: ExecutionRequest & { executionId: string }, observer?: ExecutionObserver): Promise<ExecutionResult> {
    return new Promise((resolve) => {
      const startedAt = new Date();
      if (!this.#alive) {
        resolve(crashedResult(request, startedAt, 'the executor process is not running'));
        return;
      }
      const id = this.#nextId++;
      const timeoutMs = request.timeoutMs ?? this.#options.engine.limits?.timeoutMs ?? defaultLimits.timeoutMs;
      const memoryMb = request.memoryMb ?? this.#options.engine.limits?.memoryMb ?? defaultLimits.memoryMb;
      const started = performance.now();
      const watchdog = setTimeout(() => this.#overdue(id), timeoutMs + this.#options.graceMs);
      const resident = this.#options.memory ? (residentBytes(this.pid) ?? 0) : 0;
      for (const other of this.#inFlight.values()) other.alone = false;
      this.#inFlight.set(id, {
        request,
        startedAt,
        started,
        deadline: started + timeoutMs,
        memoryBytes: memoryMb * mib,
        residentAtStart: resident,
        residentPeak: resident,
        alone: this.#inFlight.size === 0,
        cpuAtStart: this.#options.cpu === null ? null : cpuTimeMs(this.pid),
        resolve,
        watchdog,
        observer,
        nextLine: 0,
        logBytes: 0,
      });
      this.#executions++;
      if (this.#options.memory && this.#inFlight.size === 1) this.#noteStartResident(started, resident);
      this.#forgetReleased(this.#options.memory ? resident : null);
      this.#armBackstop();
      this.#startSampling();
      this.#startCpuWatch();
      this.#send({ type: 'execute', id, request });
    });
  }

  /** Asks the executor to finish and exit; kills it if it has not after `deadlineMs`. Once. */
  shutdown(deadlineMs: number): Promise<void> {
    this.retiring = true;
    this.#stopping ??= this.#stop(deadlineMs);
    return this.#stopping;
  }

  async #stop(deadlineMs: number): Promise<void> {
    if (!this.#alive) return;
    this.#send({ type: 'shutdown' });
    const timer = setTimeout(() => this.kill('the executor did not stop in time'), deadlineMs);
    await this.exited;
    clearTimeout(timer);
  }

  /**
   * Console lines the executor says an execution printed: passed on only in order (a batch
   * must start at the next index), as plain checked copies, and only within the execution's
   * log limits (an executor is not trusted to keep them). The result's own logs stay the record.
   */
  #relayLogs(id: number, first: unknown, entries: unknown): void {
    const call = this.#inFlight.get(id);
    if (!call?.observer?.onLog || first !== call.nextLine || !Array.isArray(entries)) return;
    const limits = resolveLimits(this.#options.engine.limits);
    for (const entry of entries as unknown[]) {
      if (call.nextLine >= limits.maxLogEntries || entry === null || typeof entry !== 'object') return;
      const { level, message, time } = entry as Record<string, unknown>;
      if (!logLevels.has(level) || typeof message !== 'string' || typeof time !== 'number' || !Number.isFinite(time)) return;
      call.logBytes += Buffer.byteLength(message, 'utf8');
      if (call.logBytes > limits.maxLogBytes) return;
      const copy: LogEntry = { level: level as LogEntry['level'], message, time };
      try {
        call.observer.onLog(copy, call.nextLine++);
      } catch (error) {
        this.#options.log(`executor ${this.pid}: a log listener failed: ${(error as Error)?.message ?? String(error)}`);
      }
    }
  }

  kill(reason: string): void {
    this.#killFor({ kind: 'other', reason });
  }

  #killFor(cause: KillCause): void {
    if (!this.#alive) return;
    this.#cause ??= cause;
    this.killed ??= cause.kind === 'other' ? cause.reason : cause.kind === 'memory' ? 'over its memory allowance' : 'an execution overran its deadline';
    this.retiring = true;
    this.tainted = true;
    this.#child.kill('SIGKILL');
  }

  /**
   * An execution's time limit passed and the grace after it too, without an answer. It ends
   * TIMEOUT now, with its real duration, whatever holds it (a terminate V8 did not honour, a
   * native call, a starved or frozen process); the process takes no more work. If it does not
   * answer a ping within the grace either, it is wedged and killed (what else it ran is lost);
   * if it does, it was only slow: what else it runs may finish, then it is replaced.
   */
  #overdue(id: number): void {
    const call = this.#inFlight.get(id);
    if (!call || !this.#alive) return;
    this.#inFlight.delete(id);
    this.#release(call);
    if (this.load === 0) this.#wentIdle();
    this.retiring = true;
    this.tainted = true;
    call.resolve(resultOfKill({ kind: 'deadline' }, call, performance.now(), 0, this.#idleBytes));
    if (this.#pingTimer !== null) return;
    const ping = this.#nextId++;
    this.#pingTimer = setTimeout(() => this.#killFor({ kind: 'deadline' }), this.niced ? pingLoweredMs : pingMs);
    this.#pongFor = ping;
    this.#send({ type: 'ping', id: ping });
  }

  // ---- memory watch --------------------------------------------------------------------------

  /** What this process may hold now: its idle size, its executions' limits and the margin. */
  #allowedBytes(): number | null {
    if (this.#options.memory === null || this.#idleBytes === null) return null;
    return this.#idleBytes + this.inFlightLimitBytes;
  }

  #startSampling(): void {
    if (this.#sampler !== null || this.#options.memory === null || this.#idleBytes === null) return;
    this.#sampler = setTimeout(() => this.#sample(), this.#options.memory.sampleMs);
  }

  #stopSampling(): void {
    if (this.#sampler !== null) clearTimeout(this.#sampler);
    this.#sampler = null;
  }

  #sample(): void {
    this.#sampler = null;
    if (this.#inFlight.size === 0 || !this.#alive) return;
    const resident = residentBytes(this.pid);
    const allowed = this.#allowedBytes();
    const watch = this.#options.memory;
    if (resident === null || allowed === null || watch === null) return;
    // Near the allowance, every millisecond: memory can grow by 50 MB in 5 ms (a string
    // flattened at memory speed), and the overshoot is what grows between two samples. The
    // backstop's thread does the same; on a loaded machine either may sleep past its period,
    // and both together kept the bound where the backstop alone once missed it by 2 MB.
    const near = resident > allowed - watch.marginBytes;
    this.#sampler = setTimeout(() => this.#sample(), near ? 1 : watch.sampleMs);
    for (const call of this.#inFlight.values()) if (resident > call.residentPeak) call.residentPeak = resident;
    this.#forgetReleased(resident);
    // Over by more than the margin: at once (a fast grower overshoots by one sample at most).
    // Over by less (a slow grower, or V8's own overheads on a heap at its limit): after a while.
    const now = performance.now();
    if (resident <= allowed) {
      this.#overSince = null;
    } else if (resident > allowed + watch.marginBytes || now - (this.#overSince ??= now) >= watch.sustainedMs) {
      this.#killFor({ kind: 'memory', residentBytes: resident, allowedBytes: allowed });
    }
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
      this.#release(call);
      clearTimeout(call.watchdog);
      if (this.load === 0) this.#wentIdle();
      this.#poolStats = message.pool ?? null;
      const pool = this.#poolStats;
      if (pool !== null && typeof pool === 'object' && pool.ready < pool.target) this.preparing = true;
      call.resolve(checkedResult(message.result, call));
    } else if (message.type === 'logs' && typeof message.id === 'number') {
      this.#relayLogs(message.id, message.first, message.entries);
    } else if (message.type === 'prepared') {
      this.preparing = false;
    } else if (message.type === 'pong' && message.id === this.#pongFor && this.#pingTimer !== null) {
      clearTimeout(this.#pingTimer);
      this.#pingTimer = null;
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

  #failAll(cause: KillCause): void {
    const now = performance.now();
    const others = this.#inFlight.size - 1;
    for (const [id, call] of this.#inFlight) {
      clearTimeout(call.watchdog);
      this.#inFlight.delete(id);
      call.resolve(resultOfKill(cause, call, now, others, this.#idleBytes));
    }
  }
}

/** What an execution ends with when its executor died, by the cause the host knows of. */
function resultOfKill(cause: KillCause, call: InFlight, now: number, others: number, idleBytes: number | null): ExecutionResult {
  const { request, startedAt } = call;
  const base = crashedResult(request, startedAt, cause.kind === 'other' ? cause.reason : '');
  base.durationMs = round(now - call.started);
  if (cause.kind === 'memory') {
    const usedMb = Math.round((cause.residentBytes - (idleBytes ?? 0)) / mib);
    const sharing = others > 0 ? ` and ${others} other execution(s) of the same user it ran` : '';
    return {
      ...base,
      error: {
        code: 'MEMORY_LIMIT',
        message:
          `memory limit exceeded: the execution needed more than its ${Math.round(call.memoryBytes / mib)} MB ` +
          `(its executor process grew by ${usedMb} MB, over what this execution${sharing} may use; the process was replaced)`,
      },
      memoryUsedBytes: Math.max(0, cause.residentBytes - (idleBytes ?? cause.residentBytes)),
    };
  }
  if (now >= call.deadline) {
    // Its own limit passed: the answer is TIMEOUT, whatever else ended the process.
    const timeoutMs = Math.round(call.deadline - call.started);
    return {
      ...base,
      error: {
        code: 'TIMEOUT',
        message: `execution timeout: the time limit of ${timeoutMs} ms was reached (the executor process did not stop it in time and was replaced)`,
      },
    };
  }
  if (cause.kind === 'deadline') {
    return {
      ...base,
      error: {
        code: 'EXECUTOR_CRASHED',
        message: 'another execution of the same user in this executor process overran its time limit and the process was replaced; the execution was lost (executions of other users were not affected)',
      },
    };
  }
  return base;
}

/** The identity of a result is the host's, never what an executor claims. */
function checkedResult(result: unknown, call: InFlight): ExecutionResult {
  if (result === null || typeof result !== 'object' || !['success', 'error'].includes((result as ExecutionResult).status)) {
    return crashedResult(call.request, call.startedAt, 'the executor sent a malformed result');
  }
  const checked: ExecutionResult = {
    ...(result as ExecutionResult),
    executionId: call.request.executionId,
    functionId: String(call.request.functionId ?? 'anonymous'),
    userId: String(call.request.userId ?? 'anonymous'),
  };
  // V8's figure misses what escapes its heap; alone in its process, the process's growth tells.
  if (call.alone && call.residentPeak > call.residentAtStart) {
    const grown = call.residentPeak - call.residentAtStart;
    if (!(checked.memoryUsedBytes >= grown)) checked.memoryUsedBytes = grown;
  }
  return checked;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `the executor process died (signal ${signal})` : `the executor process exited (code ${code})`;
}

export function crashedResult(request: ExecutionRequest & { executionId: string }, startedAt: Date, reason: string): ExecutionResult {
  return failedResult(request, startedAt, {
    code: 'EXECUTOR_CRASHED',
    message: `${reason}; the execution was lost (executions in other executor processes were not affected)`,
  });
}

/** An execution that ended before or without its executor: no logs, no result. */
export function failedResult(request: ExecutionRequest & { executionId: string }, startedAt: Date, error: ExecutionError): ExecutionResult {
  const finishedAt = new Date();
  return {
    executionId: request.executionId,
    functionId: String(request.functionId ?? 'anonymous'),
    userId: String(request.userId ?? 'anonymous'),
    status: 'error',
    result: null,
    error,
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
