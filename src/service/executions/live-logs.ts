// Live logs: the console lines of executions while they run, for GET /v1/executions/{id}/logs
// (Server-Sent Events). The node running an execution keeps its lines here as the executor
// relays them; on a shared store (several nodes) it also appends them to the store in small
// batches, so that a client connected to another node reads them there.
//
// Invariants:
// - a line's index is its index in the execution's stored `logs`, and its entry is the same
//   object; lines come already bounded by the execution's log limits (engine, executor
//   supervisor), so what is kept per execution is bounded too, and kept only while it runs;
// - the stored record stays the truth: a follower ends by reading the finished execution and
//   sending what it has not sent yet (the truncation marker included), then `end`;
// - a follower holds an index, never a copy of the lines: a slow client only makes the stream
//   wait (the response's backpressure), the server buffers nothing for it.
import type { FastifyBaseLogger } from 'fastify';
import type { LogEntry } from '../../core/index.ts';
import type { Store } from '../../store/index.ts';

/** How often a batch of lines goes to the store (several nodes only). */
const storeBatchMs = 250;

/** One running execution's lines on the node that runs it. */
export class LiveExecution {
  readonly lines: LogEntry[] = [];
  ended = false;
  readonly #waiters = new Set<() => void>();

  push(entry: LogEntry, index: number): void {
    // Relayed in order, from 0: anything else is dropped rather than misnumbered.
    if (this.ended || index !== this.lines.length) return;
    this.lines.push(entry);
    this.#wake();
  }

  end(): void {
    this.ended = true;
    this.#wake();
  }

  /** Resolves at the next line or the end, after `ms`, or when `signal` aborts. */
  changed(ms: number, signal: AbortSignal): Promise<void> {
    if (this.ended || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

export class LiveLogs {
  readonly #running = new Map<string, LiveExecution>();
  readonly #opened = new Set<() => void>();
  readonly #store: Store;
  readonly #log: FastifyBaseLogger;

  constructor(store: Store, log: FastifyBaseLogger) {
    this.#store = store;
    this.#log = log;
  }

  get(executionId: string): LiveExecution | undefined {
    return this.#running.get(executionId);
  }

  /**
   * An execution starts on this node: its lines are kept here (and batched to a shared store)
   * until `close`, which waits for the last batch and answers whether any line went to the
   * store (then the caller deletes them once the execution is recorded). Followers waiting on
   * this node are told.
   */
  open(executionId: string): { onLog: (entry: LogEntry, index: number) => void; close: () => Promise<boolean> } {
    const live = new LiveExecution();
    this.#running.set(executionId, live);
    for (const wake of [...this.#opened]) wake();
    const batcher = this.#store.exclusive ? null : new LineBatcher(this.#store, executionId, this.#log);
    return {
      onLog: (entry, index) => {
        live.push(entry, index);
        batcher?.add(entry, index);
      },
      close: async () => {
        await batcher?.close();
        live.end();
        this.#running.delete(executionId);
        return batcher?.stored ?? false;
      },
    };
  }

  /** Resolves when an execution starts on this node, after `ms`, or when `signal` aborts. */
  anyOpened(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#opened.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#opened.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** Appends an execution's lines to the store every `storeBatchMs`, one batch at a time, in order. */
class LineBatcher {
  readonly #store: Store;
  readonly #executionId: string;
  readonly #log: FastifyBaseLogger;
  #pending: LogEntry[] = [];
  #first = 0;
  /** Whether a batch was sent to the store. */
  stored = false;
  #timer: NodeJS.Timeout | null = null;
  #writing: Promise<void> = Promise.resolve();

  constructor(store: Store, executionId: string, log: FastifyBaseLogger) {
    this.#store = store;
    this.#executionId = executionId;
    this.#log = log;
  }

  add(entry: LogEntry, index: number): void {
    if (this.#pending.length === 0) this.#first = index;
    this.#pending.push(entry);
    this.#timer ??= setTimeout(() => this.#flush(), storeBatchMs);
  }

  #flush(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#pending.length > 0) {
      const batch = this.#pending;
      const first = this.#first;
      this.#pending = [];
      this.stored = true;
      this.#writing = this.#writing.then(() =>
        this.#store.appendLogLines(this.#executionId, first, batch).catch((error: unknown) => {
          // Followers elsewhere miss these lines live; they get them from the record at the end.
          this.#log.warn({ err: error, executionId: this.#executionId }, 'could not store live log lines');
        }),
      );
    }
    return this.#writing;
  }

  close(): Promise<void> {
    return this.#flush();
  }
}
