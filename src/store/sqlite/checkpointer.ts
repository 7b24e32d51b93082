// WAL checkpoints of the embedded store, on a thread of their own. SQLite moves the WAL into the
// database file (a checkpoint: copying pages, then fsync) when a commit finds the WAL past its
// threshold, inside that commit: on the server's only thread, while every request waits. Here
// the server's connection checkpoints only as a backstop (a WAL past `backstopPages`), and a
// worker thread with a connection of its own runs a PASSIVE checkpoint every `intervalMs`,
// which never blocks the server's reads or writes; the next commit after a complete one starts
// the WAL over.
//
// Invariants:
// - Durability is that of WAL with synchronous = NORMAL, with or without this thread: a commit
//   is in the WAL before it returns (it survives the process being killed), and the WAL is
//   fsynced before each checkpoint, so a power cut or a kernel crash loses at most the commits
//   since the last checkpoint, never the database's consistency.
// - If the thread fails, the server's connection goes back to SQLite's own checkpoints.
import { Worker } from 'node:worker_threads';

/** Pages the WAL may hold before the server's own connection checkpoints (SQLite's default is 1,000). */
export const backstopPages = 10_000;

export interface CheckpointerOptions {
  file: string;
  intervalMs: number;
  /** The thread failed: checkpoints must go back to the server's connection. */
  onFailure(error: Error): void;
}

export class Checkpointer {
  readonly #worker: Worker;
  /** Entry 0: 1 once asked to stop (the worker waits on it between checkpoints). */
  readonly #control = new Int32Array(new SharedArrayBuffer(4));
  readonly #exited: Promise<void>;
  #stopping = false;

  constructor(options: CheckpointerOptions) {
    this.#worker = new Worker(workerSource, { eval: true, workerData: { file: options.file, intervalMs: options.intervalMs, control: this.#control } });
    // Never what keeps the server alive.
    this.#worker.unref();
    const fail = (error: Error) => {
      if (!this.#stopping) options.onFailure(error);
      this.#stopping = true;
    };
    this.#worker.on('error', fail);
    this.#worker.on('message', (message: string) => fail(new Error(`WAL checkpoint failed: ${message}`)));
    this.#exited = new Promise((resolve) =>
      this.#worker.once('exit', (code) => {
        if (code !== 0) fail(new Error(`the WAL checkpoint thread exited with code ${code}`));
        this.#stopping = true;
        resolve();
      }),
    );
  }

  /** Stops the thread and waits for it to close its connection. */
  async close(): Promise<void> {
    this.#stopping = true;
    // Unreferenced, the thread would let the process exit while it is waited for here.
    this.#worker.ref();
    Atomics.store(this.#control, 0, 1);
    Atomics.notify(this.#control, 0);
    await this.#exited;
  }
}

// The worker's whole program: plain JavaScript, evaluated as a CommonJS script. A failed
// checkpoint is reported and ends the thread: the server's connection takes over.
const workerSource = `
const { workerData, parentPort } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const { file, intervalMs, control } = workerData;
const db = new DatabaseSync(file);
try {
  while (Atomics.wait(control, 0, 0, intervalMs) === 'timed-out') db.exec('PRAGMA wal_checkpoint(PASSIVE)');
} catch (error) {
  parentPort.postMessage(String(error && error.message));
} finally {
  db.close();
}
`;
