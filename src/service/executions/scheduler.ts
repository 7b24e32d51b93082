// Who gets this server's next free slot. Invariants:
// - at most `slots` executions hold a slot at once, and at most `userCap` of one user;
// - a free slot goes to a user with waiting work (sync in memory, async in the store) and
//   nothing running, if there is one, then to the one served least recently (a user never
//   served, or forgotten, goes first), ties to the older work: round robin across users, so no
//   user waits behind another's backlog, and a user running one execution at a time (a quiet
//   tenant) goes before users who already hold slots;
// - the last `reserve` free slots go only to users with nothing running: users who hold slots
//   cannot fill the server, so a newcomer finds a slot at once even while several users run
//   long executions at their caps (each user's cap alone does not ensure that: with more than
//   1/share busy users, their caps add up to more than the slots);
// - within a user, the oldest work goes first, sync and async alike (as far as the store's
//   snapshot tells: it gives the oldest queued execution of each user, not the others).
// The cap is hard: it holds even while nobody else waits. Running executions cannot be
// pre-empted, so a user let past it on an idle server could keep a newcomer waiting for as
// long as its longest execution runs (up to the maximum timeout); with the cap, a newcomer
// finds a slot as soon as any other user's execution ends, or at once while fewer than
// 1/share users are busy. Pure bookkeeping, no I/O: the runner claims what this plans.
import type { QueuedUser } from '../../store/index.ts';

/** A sync execution waiting for a slot; `grant` hands it one (already counted). */
export interface SyncWaiter {
  userId: string;
  createdAt: string;
  grant: () => void;
}

/** Users remembered for their turn; beyond this the least recently served are forgotten. */
const rememberedUsers = 10_000;

export class FairScheduler {
  readonly slots: number;
  readonly userCap: number;
  /** Free slots kept for users with nothing running. */
  readonly reserve: number;
  #running = 0;
  readonly #runningBy = new Map<string, number>();
  readonly #sync = new Map<string, SyncWaiter[]>();
  /** When each user was last given a slot (a counter); Map order is least recent first. */
  readonly #served = new Map<string, number>();
  #turn = 0;

  constructor(slots: number, share: number) {
    this.slots = slots;
    this.userCap = capFor(slots, share);
    this.reserve = reserveFor(slots, this.userCap);
  }

  get running(): number {
    return this.#running;
  }

  get free(): number {
    return this.slots - this.#running;
  }

  runningOf(userId: string): number {
    return this.#runningBy.get(userId) ?? 0;
  }

  /** Sync executions waiting, by user. */
  syncWaiting(): Map<string, number> {
    return new Map([...this.#sync].map(([userId, waiters]) => [userId, waiters.length]));
  }

  /** Users holding as many slots as they may. */
  usersAtCap(): number {
    let count = 0;
    for (const running of this.#runningBy.values()) if (running >= this.userCap) count++;
    return count;
  }

  /**
   * Takes a slot for `userId` at once when its turn is now: nobody waits on this server and
   * the user is within its cap and the room kept for newcomers. The caller knows that the
   * store's queue holds nothing either (async executions take the same turns). False: wait in
   * line with enqueue().
   */
  takeNow(userId: string): boolean {
    if (this.#sync.size > 0 || this.free <= 0) return false;
    const running = this.runningOf(userId);
    if (running >= this.userCap || (running > 0 && this.free <= this.reserve)) return false;
    this.#take(userId);
    return true;
  }

  /** Adds a sync execution to its user's line; plan() grants it a slot in its turn. */
  enqueue(waiter: SyncWaiter): void {
    const line = this.#sync.get(waiter.userId);
    if (line) line.push(waiter);
    else this.#sync.set(waiter.userId, [waiter]);
  }

  /**
   * Hands out the free slots in turn: grants sync waiters at once, and reserves slots for
   * queued async executions, answered as how many to claim of each user (the caller claims
   * them and gives back with unreserve() what it could not claim).
   */
  plan(queued: readonly QueuedUser[]): Map<string, number> {
    const inStore = new Map(queued.filter((q) => q.queued > 0).map((q) => [q.userId, { left: q.queued, oldestAt: q.oldestAt }]));
    const claims = new Map<string, number>();
    while (this.#running < this.slots) {
      let best: { userId: string; turn: number; headAt: string } | undefined;
      for (const userId of new Set([...this.#sync.keys(), ...inStore.keys()])) {
        const running = this.runningOf(userId);
        if (running >= this.userCap || (running > 0 && this.free <= this.reserve)) continue;
        // Users with nothing running go first (their turns come before any counter value).
        const turn = running === 0 ? -1 / ((this.#served.get(userId) ?? 0) + 1) : (this.#served.get(userId) ?? 0);
        const syncAt = this.#sync.get(userId)?.[0]?.createdAt;
        const asyncAt = inStore.get(userId)?.oldestAt;
        const headAt = syncAt === undefined ? asyncAt! : asyncAt === undefined || syncAt <= asyncAt ? syncAt : asyncAt;
        if (!best || turn < best.turn || (turn === best.turn && (headAt < best.headAt || (headAt === best.headAt && userId < best.userId)))) {
          best = { userId, turn, headAt };
        }
      }
      if (!best) break;
      const { userId } = best;
      this.#take(userId);
      const line = this.#sync.get(userId);
      const stored = inStore.get(userId);
      if (line?.[0] && (!stored || line[0].createdAt <= stored.oldestAt)) {
        const waiter = line.shift()!;
        if (line.length === 0) this.#sync.delete(userId);
        waiter.grant();
      } else {
        // Only the oldest queued execution's time is known; the rest are no older.
        stored!.left--;
        if (stored!.left === 0) inStore.delete(userId);
        claims.set(userId, (claims.get(userId) ?? 0) + 1);
      }
    }
    return claims;
  }

  /** Gives back slots reserved by plan() for executions that were not claimed after all. */
  unreserve(userId: string, count: number): void {
    for (let i = 0; i < count; i++) this.release(userId);
  }

  /** An execution of `userId` ended (or never ran): its slot is free again. */
  release(userId: string): void {
    const running = this.runningOf(userId);
    if (running <= 0) throw new Error('released a slot that was not taken');
    if (running === 1) this.#runningBy.delete(userId);
    else this.#runningBy.set(userId, running - 1);
    this.#running--;
  }

  #take(userId: string): void {
    this.#running++;
    this.#runningBy.set(userId, this.runningOf(userId) + 1);
    this.#served.delete(userId);
    this.#served.set(userId, ++this.#turn);
    if (this.#served.size > rememberedUsers) {
      // The least recently served are forgotten: they would have gone first anyway.
      for (const forgotten of [...this.#served.keys()].slice(0, this.#served.size - rememberedUsers / 2)) this.#served.delete(forgotten);
    }
  }
}

/**
 * Free slots kept for users with nothing running: a fifth of the slots (at least one), never
 * more than a user's cap leaves over (none when one user may hold every slot).
 */
export function reserveFor(slots: number, userCap: number): number {
  return Math.max(0, Math.min(Math.max(1, Math.floor(slots / 5)), slots - userCap));
}

/** Slots one user may hold: its share of them, rounded down, but at least one. */
export function capFor(slots: number, share: number): number {
  return Math.max(1, Math.floor(slots * share + 1e-9));
}
