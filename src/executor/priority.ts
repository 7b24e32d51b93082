// CPU priority of executor processes, by behaviour: a multi-level feedback queue of two levels.
// Short executions (most of them: a few ms of CPU) run at the normal priority; a process whose
// oldest running execution has seen it use more than a small CPU budget (a loop, a microtask
// storm, a memory bomb filling pages, a console flood) has its guest threads lowered to nice 19,
// so that the short executions of other users preempt it. Alone on the machine it still gets
// every idle cycle. The process's main thread keeps its priority: it runs the deadlines and
// answers the host, and must not wait behind the guests it supervises.
//
// Invariants:
// - Linux priorities are per thread (setpriority on a thread id changes that thread only), and a
//   thread starts at its creator's priority: every thread of the process but the main one is
//   reniced, again whenever new ones may have appeared.
// - Raising a priority again needs CAP_SYS_NICE (or an RLIMIT_NICE that allows it): the host
//   finds out once (`canRaisePriority`). Where it may, a process goes back to normal once what
//   overran its budget has ended; where it may not, a lowered process stays lowered, serves only
//   its own user and is retired once idle (placement.ts, pool.ts), so that no other user ever
//   inherits a low priority.
// - A process being started (0.5-1 s of CPU) runs at the normal priority: whoever waits for it
//   may be a quiet user (started at nice 19 on a loaded machine, starts took tens of seconds).
import { readdirSync } from 'node:fs';
import os from 'node:os';

/** The nice value of a lowered process's threads (the lowest priority, short of SCHED_IDLE). */
export const lowPriorityNice = 19;
export const normalNice = 0;

/**
 * CPU (ms) an execution may see its process use, from its start, before the process's guest
 * threads are lowered. A hello world uses 1-3 ms; the budget is checked every `cpuCheckMs`.
 */
export const defaultCpuBudgetMs = 50;
export const cpuCheckMs = 20;

/**
 * Whether this process may raise a thread's priority again (root with CAP_SYS_NICE, or an
 * RLIMIT_NICE that allows it). Probed once on the main thread: one step up, then back.
 */
export const canRaisePriority: boolean = probeRaise();

function probeRaise(): boolean {
  try {
    const current = os.getPriority(process.pid);
    if (current <= -20) return true;
    os.setPriority(process.pid, current - 1);
    os.setPriority(process.pid, current);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sets the nice value of every thread of `pid` (all but its main thread unless `mainToo`).
 * Returns false if a thread refused (no privilege to raise it); threads that ended meanwhile
 * are no failure.
 */
export function setThreadPriorities(pid: number, nice: number, { mainToo = false } = {}): boolean {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    threads = [String(pid)];
  }
  let ok = true;
  for (const thread of threads) {
    if (!mainToo && thread === String(pid)) continue;
    try {
      os.setPriority(Number(thread), nice);
    } catch (error) {
      // ESRCH: the thread ended meanwhile. Anything else (EACCES): not allowed.
      if ((error as { info?: { code?: string } }).info?.code !== 'ESRCH') ok = false;
    }
  }
  return ok;
}

/**
 * The level a busy process belongs at: `low` once the CPU it used since its oldest running
 * execution started is past the budget. A user running short executions back to back, even
 * many at once, stays `normal` (its oldest execution is always young); one long CPU-bound
 * execution does not.
 */
export function cpuLevel(cpuSinceOldestStartMs: number | null, budgetMs: number): 'normal' | 'low' {
  return cpuSinceOldestStartMs !== null && cpuSinceOldestStartMs > budgetMs ? 'low' : 'normal';
}
