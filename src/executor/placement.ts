// Which executor process runs an execution: policy as data, apart from the processes themselves.
//
// Invariants (sharing 'tenant', the default):
// - a process runs executions of one user at a time: it is leased to that user while anything
//   of theirs runs in it, and the lease ends when its load drops to zero;
// - a user with a leased process keeps using it, unless it is being retired; while every
//   process leased to it is busy, it may lease one more idle process that is its own from
//   before or was never used, up to `perUser` at once (by default one per core: one process's
//   main thread, which makes every isolate, is what a user's steady stream would wait for);
//   never one another user had, and never the last idle process when no other can be started;
//   a never-used process joins a user's (the processes it holds or held last) only while it has
//   fewer than `perUser` of them, so the spare the pool keeps is not taken over and over;
// - an idle process goes back to its last user first; to another user only if nothing in it
//   was ever killed or stopped from outside (`tainted`) and nothing runs at a lowered priority
//   (`niced`): those are recycled instead; and not before it was idle `affinityMs` (its user,
//   running one execution after another, may be back in a moment: it is the longest-held
//   process that passes on when processes run out, see pool.ts);
// - when no process fits, a new one is started while the pool is below its maximum, otherwise
//   the execution waits (fairly across users: the pool's queue);
// - an idle process that is still preparing its next sandboxes (an executor makes them right
//   after it answers, on its own thread) is passed over for one of the same user's, or a fresh
//   one (within `perUser`), that has its sandboxes ready: the next execution then runs on
//   another core than the one preparing, instead of waiting behind it.
// With sharing 'execution', the same, but a process runs one execution at a time: the memory
// watch then holds each execution to its own limit (with 'tenant', a user's executions running
// together share one allowance, the sum of their limits), at the cost of a process per
// execution running at once.
// With sharing 'shared', any live process takes any user's execution (least loaded first): the
// old density-first behaviour, for operators who accept that one user's crash ends others'.

export type Sharing = 'tenant' | 'execution' | 'shared';
export const sharingModes: readonly Sharing[] = ['tenant', 'execution', 'shared'];

export interface Candidate {
  readonly alive: boolean;
  /** Started and warm. */
  readonly started: boolean;
  readonly retiring: boolean;
  readonly tainted: boolean;
  /** Its guest threads run at a lowered priority (priority.ts): while idle, one the host could not raise again. */
  readonly niced: boolean;
  readonly tenant: string | null;
  readonly lastTenant: string | null;
  readonly load: number;
  readonly idleSince: number;
  /** Still making the sandboxes it used up (its warm pool is below its target). */
  readonly preparing?: boolean;
}

export type Placement<E> =
  | { kind: 'use'; executor: E; lease: boolean }
  | { kind: 'start' }
  | { kind: 'wait'; reason: string };

export interface PlacementPolicy {
  sharing: Sharing;
  maxProcesses: number;
  /** performance.now() of the decision. */
  now: number;
  /**
   * How long an idle process stays its last user's while a new one can be started instead: a
   * user running one execution after another is idle between them for a moment only.
   */
  affinityMs: number;
  /**
   * The process being passed on from a user who held it longest while others found none
   * (pool.ts): once idle, another user takes it at once, without waiting out its affinity.
   */
  passing?: Candidate | null;
  /** Processes one user may hold leased at once (tenant sharing; default 1). */
  perUser?: number;
}

export function place<E extends Candidate>(executors: readonly E[], userId: string, policy: PlacementPolicy): Placement<E> {
  const usable = executors.filter((executor) => executor.alive && executor.started && !executor.retiring);
  const counted = executors.filter((executor) => executor.alive && !executor.retiring).length;
  const canStart = counted < policy.maxProcesses;

  if (policy.sharing === 'shared') {
    const best = leastLoaded(usable.filter((executor) => !executor.preparing)) ?? leastLoaded(usable);
    if (best) return { kind: 'use', executor: best, lease: false };
    return canStart ? { kind: 'start' } : { kind: 'wait', reason: 'every executor process is starting or being replaced' };
  }

  // Processes this user holds or held last: a never-used one joins them only below `perUser`,
  // so that taking a spare (which the pool then replaces) does not go on without end.
  const perUser = policy.sharing === 'tenant' ? (policy.perUser ?? 1) : 1;
  const mayJoin = usable.filter((executor) => executor.tenant === userId || executor.lastTenant === userId).length < perUser;

  if (policy.sharing === 'tenant') {
    const leased = usable.filter((executor) => executor.tenant === userId);
    const own = leastLoaded(leased.filter((executor) => !executor.preparing)) ?? leastLoaded(leased);
    if (own && (own.load === 0 || leased.length >= (policy.perUser ?? 1))) return { kind: 'use', executor: own, lease: false };
    if (own) {
      // Every process it holds is busy: one more of its own, or a never-used one, if idle, and
      // if that leaves an idle process for other users or room to start one.
      const idleCount = usable.filter((executor) => executor.tenant === null && executor.load === 0).length;
      const more = usable.filter((executor) => executor.tenant === null && executor.load === 0 && (executor.lastTenant === userId || (executor.lastTenant === null && mayJoin)));
      const extra = idleCount > 1 || canStart ? (more.find((executor) => !executor.preparing) ?? more[0]) : undefined;
      return { kind: 'use', executor: extra ?? own, lease: extra !== undefined };
    }
  }
  const idle = usable.filter((executor) => executor.tenant === null && executor.load === 0);
  const fresh = idle.find((executor) => executor.lastTenant === null);
  const returning = idle.filter((executor) => executor.lastTenant === userId);
  if (returning.length > 0) {
    // Its own process that has its sandboxes ready; else a fresh one that has; else its own anyway.
    const ready = returning.find((executor) => !executor.preparing) ?? (fresh && !fresh.preparing && mayJoin ? fresh : returning[0]!);
    return { kind: 'use', executor: ready, lease: true };
  }
  // Never used first, then the clean one idle the longest (the others' affinity lasts longest).
  if (fresh) return { kind: 'use', executor: fresh, lease: true };
  const clean = idle.filter((executor) => !executor.tainted && !executor.niced).sort((a, b) => a.idleSince - b.idleSince)[0];
  if (clean && policy.now - clean.idleSince >= policy.affinityMs) return { kind: 'use', executor: clean, lease: true };
  const passed = idle.find((executor) => executor === policy.passing && !executor.tainted && !executor.niced);
  if (passed) return { kind: 'use', executor: passed, lease: true };
  if (canStart) return { kind: 'start' };
  const whose = policy.sharing === 'tenant' ? "other users' executions" : 'an execution';
  return { kind: 'wait', reason: `all ${policy.maxProcesses} executor processes run ${whose}` };
}

function leastLoaded<E extends Candidate>(executors: readonly E[]): E | undefined {
  let best: E | undefined;
  for (const executor of executors) if (best === undefined || executor.load < best.load) best = executor;
  return best;
}

/** Why an executor should be retired now (`memory`: its user's doing), or null to keep it. */
export type Retirement = { cause: 'memory' | 'age' | 'stopped'; reason: string };

export function retireReason(
  executor: {
    load: number;
    executions: number;
    tainted: boolean;
    idleSince: number;
    idleBytes: number | null;
    recentCores: number;
    /** What it held at the start of its recent executions, at least (null: not known). */
    betweenExecutionsBytes?: number | null;
  },
  residentBytes: number | null,
  limits: { recycleAfter: number; returnMarginBytes: number; inFlightLimitBytes: number; taintedIdleMs: number; now: number },
): Retirement | null {
  if (executor.idleBytes !== null && residentBytes !== null) {
    const allowed = executor.idleBytes + limits.inFlightLimitBytes + limits.returnMarginBytes;
    if (residentBytes > allowed) {
      const reason = `holds ${Math.round(residentBytes / 2 ** 20)} MB, over ${Math.round(allowed / 2 ** 20)} MB (its idle size, what it runs and a margin)`;
      return { cause: 'memory', reason };
    }
  }
  // Never idle (one user's executions back to back), it is never seen at rest: what it held as
  // each of them started is what it did not give back. Only once an execution was stopped from
  // outside in it (tainted): a stopped isolate may leave memory behind, while a healthy process
  // under a steady load also holds its code cache and its own heap's working set (a 1 MB
  // bundle run back to back kept 44 MB, and recycling it every 2 s cost more than it saved).
  const between = executor.betweenExecutionsBytes ?? null;
  if (executor.tainted && executor.idleBytes !== null && between !== null && between > executor.idleBytes + limits.returnMarginBytes) {
    const kept = Math.round((between - executor.idleBytes) / 2 ** 20);
    // Not a strike against its user: a process grows slowly by itself too (compiled code, its
    // own heap), and a user running back to back should not wait for its replacement.
    return { cause: 'age', reason: `keeps ${kept} MB over its idle size between executions` };
  }
  if (executor.load > 0) return null;
  if (executor.executions >= limits.recycleAfter) return { cause: 'age', reason: `ran ${executor.executions} executions` };
  // Idle yet busy: a stopped isolate's thread still runs (V8 does not interrupt every native
  // call, e.g. joining a huge sparse array): nothing but the end of the process stops it.
  if (executor.tainted && limits.now - executor.idleSince >= 500 && executor.recentCores > 0.5) {
    return { cause: 'stopped', reason: 'still uses the CPU for an execution that was stopped' };
  }
  if (executor.tainted && limits.now - executor.idleSince >= limits.taintedIdleMs) {
    return { cause: 'stopped', reason: 'an execution in it was stopped from outside' };
  }
  return null;
}

/**
 * The memory limits that still count toward a process's allowance when judging whether it gave
 * memory back: those of what runs in it and of what ended lately (an isolate's memory goes back
 * a little after its result), but none once it has been idle `settleMs`: from then on an idle
 * process is held to its idle size and the margin alone.
 */
export function limitsStillCounted(executor: { load: number; idleSince: number }, inFlightLimitBytes: number, now: number, settleMs: number): number {
  return executor.load === 0 && now - executor.idleSince >= settleMs ? 0 : inFlightLimitBytes;
}
