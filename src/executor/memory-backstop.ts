// The memory watch's backstop: a worker thread that reads the resident size of every watched
// executor from /proc and SIGKILLs one that is over its hard bound (its allowance and the
// margin), on a thread of its own. The server's thread runs the full watch (executor-process.ts:
// peaks, the rule for a process a little over its allowance for a while, the results), but it
// also stores logs, parses requests and answers clients: under load it ran late by tens of
// milliseconds, in which a memory bomb grows by hundreds of megabytes. This thread does nothing
// else, and sleeps with Atomics.wait, so it is on time whatever the server does.
//
// Invariants:
// - It kills only a pid the server registered, and only while that pid's process is the one
//   registered: the process's start time (/proc/PID/stat, field 22) is read at registration and
//   checked before each kill, so a pid the kernel gave to another process is never killed.
// - Before it kills, it writes the resident size it saw into the slot; the server reads it when
//   the process's exit is reported (after the kill, by construction) and answers MEMORY_LIMIT.
// - A bound of 0 means "not armed": an idle process is never killed by the backstop.
//
// Shared memory layout: one Int32Array, `slotInts` entries per slot, sizes in KiB (a 32-bit KiB
// count reaches 2 TiB). Entry 0 of the array is the worker's wake-up word; the last entry is 1
// while the worker naps (nothing armed, a long wait): only then does arming a slot wake it. A
// wake-up on every arm (each execution's start and end) cost the server's thread 0.7 s over a
// 55 s run: on a loaded machine, waking a thread that slept can hand it the waker's CPU.
import { Worker } from 'node:worker_threads';

const slotInts = 4;
const PID = 0;
const HARD_KIB = 1;
const NEAR_KIB = 2;
const KILLED_KIB = 3;
const slotCount = 256;
const napIndex = 1 + slotCount * slotInts;
const kib = 1024;

/** Sampling period far from the bound, and near it (within `nearBytes`). */
const farSampleMs = 5;
const nearSampleMs = 1;

export interface BackstopSlot {
  /** Arms (or re-arms) the bound: the process is killed once it holds more than `hardBytes`. */
  arm(hardBytes: number, nearBytes: number): void;
  disarm(): void;
  /** Frees the slot; returns the resident bytes it was killed at, if the backstop killed it. */
  release(): number | null;
}

export class MemoryBackstop {
  static #shared: MemoryBackstop | null = null;

  /** One worker for the whole process, started on first use. */
  static shared(): MemoryBackstop {
    MemoryBackstop.#shared ??= new MemoryBackstop();
    return MemoryBackstop.#shared;
  }

  readonly #table = new Int32Array(new SharedArrayBuffer((2 + slotCount * slotInts) * 4));
  readonly #worker: Worker;

  private constructor() {
    this.#worker = new Worker(workerSource, { eval: true, workerData: { table: this.#table, slotInts, slotCount, napIndex, farSampleMs, nearSampleMs } });
    // Never what keeps the server alive.
    this.#worker.unref();
    this.#worker.on('error', () => {});
  }

  /** A slot for `pid`, or null when every slot is taken (the server's own watch still runs). */
  register(pid: number): BackstopSlot | null {
    const table = this.#table;
    for (let slot = 0; slot < slotCount; slot++) {
      const base = 1 + slot * slotInts;
      if (Atomics.compareExchange(table, base + PID, 0, pid) !== 0) continue;
      Atomics.store(table, base + HARD_KIB, 0);
      Atomics.store(table, base + KILLED_KIB, 0);
      let released = false;
      return {
        arm: (hardBytes, nearBytes) => {
          if (released) return;
          Atomics.store(table, base + NEAR_KIB, Math.max(0, Math.ceil(nearBytes / kib)));
          Atomics.store(table, base + HARD_KIB, Math.max(1, Math.min(2 ** 31 - 1, Math.ceil(hardBytes / kib))));
          // Sampling already (every few ms), it will see the slot on its next round.
          if (Atomics.load(table, napIndex) === 1) {
            Atomics.store(table, 0, 1);
            Atomics.notify(table, 0);
          }
        },
        disarm: () => {
          if (!released) Atomics.store(table, base + HARD_KIB, 0);
        },
        release: () => {
          if (released) return null;
          released = true;
          Atomics.store(table, base + HARD_KIB, 0);
          const killed = Atomics.load(table, base + KILLED_KIB);
          Atomics.store(table, base + KILLED_KIB, 0);
          Atomics.store(table, base + PID, 0);
          return killed > 0 ? killed * kib : null;
        },
      };
    }
    return null;
  }
}

// The worker's whole program: plain JavaScript, evaluated as a CommonJS script.
const workerSource = `
const { workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const { table, slotInts, slotCount, napIndex, farSampleMs, nearSampleMs } = workerData;
const starts = new Map();
function read(path) { try { return readFileSync(path, 'latin1'); } catch { return null; } }
function startTime(pid) {
  const text = read('/proc/' + pid + '/stat');
  if (text === null) return null;
  // Fields after the command name, which may hold spaces and parentheses: field 22 is the 20th.
  return text.slice(text.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}
for (;;) {
  let waitMs = 50;
  for (let slot = 0; slot < slotCount; slot++) {
    const base = 1 + slot * slotInts;
    const pid = Atomics.load(table, base);
    if (pid === 0) continue;
    if (!starts.has(pid)) starts.set(pid, startTime(pid));
    const hard = Atomics.load(table, base + 1);
    if (hard === 0) continue;
    const statm = read('/proc/' + pid + '/statm');
    if (statm === null) continue;
    const residentKib = Number(statm.split(' ')[1]) * 4;
    if (residentKib > hard) {
      if (Atomics.load(table, base) === pid && starts.get(pid) !== null && startTime(pid) === starts.get(pid)) {
        Atomics.store(table, base + 3, residentKib);
        Atomics.store(table, base + 1, 0);
        try { process.kill(pid, 'SIGKILL'); } catch {}
      }
      continue;
    }
    waitMs = Math.min(waitMs, residentKib > hard - Atomics.load(table, base + 2) ? nearSampleMs : farSampleMs);
  }
  if (starts.size > 0) {
    const live = new Set();
    for (let slot = 0; slot < slotCount; slot++) live.add(Atomics.load(table, 1 + slot * slotInts));
    for (const pid of starts.keys()) if (!live.has(pid)) starts.delete(pid);
  }
  Atomics.store(table, 0, 0);
  if (waitMs > farSampleMs) {
    // Napping: arming a slot sets the wake-up word and wakes it. The flag is set before the last
    // look at the slots: an arm this look misses sees the flag, and its word ends the wait.
    Atomics.store(table, napIndex, 1);
    let armed = false;
    for (let slot = 0; slot < slotCount && !armed; slot++) armed = Atomics.load(table, 1 + slot * slotInts + 1) !== 0;
    if (!armed) Atomics.wait(table, 0, 0, waitMs);
    Atomics.store(table, napIndex, 0);
  } else {
    Atomics.wait(table, 0, 0, waitMs);
  }
}
`;
