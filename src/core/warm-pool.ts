// The warm pool: sandboxes bootstrapped ahead of demand (isolate, context, capabilities,
// hardening), each handed to exactly one execution and then disposed. Refilled in the
// background; its target size follows the load (grows on a miss, shrinks when idle).
// A sandbox from the pool is indistinguishable from a cold one: both come from Sandbox.create
// and nothing about the execution reaches a sandbox before `run`.
import type { Capability } from './capability.ts';
import { Sandbox, type BootMode } from './sandbox.ts';

/** Where sandboxes come from: made on demand, or taken from a warm pool. */
export interface SandboxSource {
  acquire(memoryMb: number): Promise<Sandbox>;
}

export interface WarmPoolOptions {
  /** The memory limit of the pooled sandboxes; executions asking for another get a cold one. */
  memoryMb: number;
  /** Ready sandboxes kept even when idle. */
  min: number;
  /** Ready sandboxes at most, however busy. */
  max: number;
  /** How many sandboxes are bootstrapped at once (each takes a CPU for a few ms). */
  parallelism?: number;
  /** After this long without a miss, the target shrinks by one toward `min`. */
  idleShrinkMs?: number;
  /**
   * True while executions run in this process: refills then wait for `idle()` (unless the pool
   * is empty), so that bootstrapping competes as little as possible with running executions.
   */
  busy?: () => boolean;
  /**
   * While nothing runs in this process (`busy()` false), make sandboxes on the main thread
   * (foreground: less CPU, no thread hops), one per turn of the event loop, so that an execution
   * arriving meanwhile waits for one sandbox at most. For a process whose host sends work
   * elsewhere while it prepares (an executor); otherwise the main thread stays free throughout.
   */
  foregroundWhenIdle?: boolean;
}

export interface WarmPoolStats {
  ready: number;
  target: number;
  hits: number;
  misses: number;
  created: number;
  failures: number;
}

export class WarmPool implements SandboxSource {
  readonly #capabilities: readonly Capability[];
  readonly #options: Required<WarmPoolOptions>;
  readonly #ready: Sandbox[] = [];
  readonly #shrinkTimer: NodeJS.Timeout;
  #target: number;
  #creating = 0;
  #closed = false;
  #lastMiss = Date.now();
  #stats = { hits: 0, misses: 0, created: 0, failures: 0 };
  #failureBackoff: NodeJS.Timeout | null = null;
  #fullWaiters: Array<() => void> = [];

  constructor(capabilities: readonly Capability[], options: WarmPoolOptions) {
    if (!(options.min >= 0 && options.max >= Math.max(1, options.min))) {
      throw new RangeError('warm pool: need 0 <= min <= max and max >= 1');
    }
    this.#capabilities = capabilities;
    this.#options = { parallelism: 2, idleShrinkMs: 30_000, busy: () => false, foregroundWhenIdle: false, ...options };
    this.#target = Math.max(options.min, 1);
    this.#shrinkTimer = setInterval(() => this.#shrinkIfIdle(), Math.max(1000, this.#options.idleShrinkMs / 4));
    this.#shrinkTimer.unref();
    this.#refill();
  }

  get memoryMb(): number {
    return this.#options.memoryMb;
  }

  stats(): WarmPoolStats {
    return { ready: this.#ready.length, target: this.#target, ...this.#stats };
  }

  async acquire(memoryMb: number): Promise<Sandbox> {
    if (memoryMb === this.#options.memoryMb && !this.#closed) {
      const sandbox = this.#ready.pop();
      if (sandbox) {
        this.#stats.hits++;
        setImmediate(() => this.#refill());
        return sandbox;
      }
      this.#stats.misses++;
      this.#lastMiss = Date.now();
      this.#target = Math.min(this.#options.max, this.#target + 1);
      this.#refill();
    }
    return this.#create(memoryMb);
  }

  /** Resolves once the pool holds its target (for tests and benchmarks that want it warm). */
  async warm(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.#ready.length < this.#target && Date.now() < until && !this.#closed) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /**
   * Resolves once the pool holds its target again (at once if it does): the moment its owner
   * can say it has prepared what it used, so that work may go elsewhere meanwhile.
   */
  full(): Promise<void> {
    if (this.#closed || this.#ready.length >= this.#target) return Promise.resolve();
    return new Promise((resolve) => this.#fullWaiters.push(resolve));
  }

  #checkFull(): void {
    if (this.#fullWaiters.length === 0 || !(this.#closed || this.#ready.length >= this.#target)) return;
    for (const resolve of this.#fullWaiters.splice(0)) resolve();
  }

  /** The process has nothing running: a good moment to refill. */
  idle(): void {
    setImmediate(() => this.#refill());
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#shrinkTimer);
    if (this.#failureBackoff) clearTimeout(this.#failureBackoff);
    for (const sandbox of this.#ready.splice(0)) sandbox.dispose();
    this.#checkFull();
  }

  #create(memoryMb: number, mode: BootMode = 'foreground'): Promise<Sandbox> {
    return Sandbox.create({ memoryMb, capabilities: this.#capabilities, mode });
  }

  #refill(): void {
    // While executions run here and a sandbox is still in stock, wait for a quiet moment.
    if (this.#ready.length > 0 && this.#options.busy()) return;
    if (this.#options.foregroundWhenIdle && !this.#options.busy()) {
      this.#refillForeground();
      return;
    }
    while (
      !this.#closed &&
      this.#failureBackoff === null &&
      this.#ready.length + this.#creating < this.#target &&
      this.#creating < this.#options.parallelism
    ) {
      this.#creating++;
      // On the isolate's own thread: the main thread stays free for executions arriving meanwhile.
      this.#create(this.#options.memoryMb, 'background').then(
        (sandbox) => {
          this.#made(sandbox);
          this.#refill();
        },
        (error: unknown) => this.#failed(error),
      );
    }
  }

  /** A sandbox made for the pool: kept ready, or disposed when the pool is closed or full. */
  #made(sandbox: Sandbox): void {
    this.#creating--;
    this.#stats.created++;
    if (this.#closed || this.#ready.length >= this.#options.max) sandbox.dispose();
    else this.#ready.push(sandbox);
    this.#checkFull();
  }

  #refillForeground(): void {
    if (this.#closed || this.#failureBackoff !== null || this.#creating > 0 || this.#ready.length >= this.#target) return;
    this.#creating++;
    this.#create(this.#options.memoryMb, 'foreground').then(
      (sandbox) => {
        this.#made(sandbox);
        // The next one in a later turn: IPC and timers run in between.
        setImmediate(() => this.#refill());
      },
      (error: unknown) => this.#failed(error),
    );
  }

  #failed(error: unknown): void {
    this.#creating--;
    this.#stats.failures++;
    process.emitWarning(`teejs: warm pool could not create a sandbox: ${(error as Error)?.message ?? String(error)}`);
    // Don't spin on a persistent failure; executions still get cold sandboxes meanwhile.
    this.#failureBackoff = setTimeout(() => {
      this.#failureBackoff = null;
      this.#refill();
    }, 1000);
    this.#failureBackoff.unref();
  }

  #shrinkIfIdle(): void {
    if (Date.now() - this.#lastMiss < this.#options.idleShrinkMs || this.#target <= this.#options.min) return;
    this.#target--;
    this.#lastMiss = Date.now();
    while (this.#ready.length > this.#target) this.#ready.shift()?.dispose();
    this.#checkFull();
  }
}
