// Fires the due ticks of cron schedules, on every node. Invariants:
// - each tick fires once across all nodes: the store moves a schedule's next tick and records
//   the execution in one transaction, only if the next tick is still the one this node saw
//   (store.fireTick); a node that loses the race does nothing;
// - a tick becomes an async execution (trigger 'schedule', with the schedule and the tick it is
//   for), queued for any node, under the user's quota (over it, the tick is skipped and the
//   schedule says so);
// - late ticks (a busy node looked late, a node stopped and another took over) fire, each once,
//   while they are less than `catchUpMs` late; ticks missed longer than that (every node was
//   down) are coalesced: one execution catches up, for the earliest missed tick, and the
//   schedule goes on from the next tick after now, never running the missed ones in a burst;
// - a draining node fires no more ticks: the other nodes (or the next start) do.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Schedule, Store } from '../../store/index.ts';
import type { ServiceConfig } from '../config.ts';
import { parseCron } from './cron.ts';

/** How often a node looks for due ticks: a tick fires within about this long of its time. */
const tickLookMs = 1000;
/** Ticks later than this are coalesced into one catch-up execution. */
export const catchUpMs = 60_000;
/** Ticks one schedule may fire in one look (a schedule every second, looked at late). */
const ticksPerLook = 10;

export class ScheduleTicker {
  readonly #store: Store;
  readonly #config: ServiceConfig;
  readonly #log: FastifyBaseLogger;
  readonly #onQueued: () => void;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(options: { store: Store; config: ServiceConfig; log: FastifyBaseLogger; onQueued: () => void }) {
    this.#store = options.store;
    this.#config = options.config;
    this.#log = options.log;
    this.#onQueued = options.onQueued;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.look(), tickLookMs).unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One look for due ticks (the timer's; tests call it too). */
  async look(): Promise<number> {
    if (this.#busy) return 0;
    this.#busy = true;
    let fired = 0;
    try {
      const now = new Date();
      for (const schedule of await this.#store.dueSchedules(now.toISOString(), 100)) {
        let tickAt: string | null = schedule.nextAt;
        for (let i = 0; i < ticksPerLook && tickAt !== null && Date.parse(tickAt) <= now.getTime(); i++) {
          const outcome = await this.#fire(schedule, tickAt, now);
          if (outcome.fired) fired++;
          // Another node fired it: the rest of this schedule's ticks are its to fire too.
          if (outcome.taken) break;
          tickAt = outcome.nextAt;
        }
      }
    } catch (error) {
      this.#log.error({ err: error }, 'could not fire the due schedule ticks');
    } finally {
      this.#busy = false;
    }
    if (fired > 0) this.#onQueued();
    return fired;
  }

  async #fire(schedule: Schedule, tickAt: string, now: Date): Promise<{ fired: boolean; taken: boolean; nextAt: string | null }> {
    let nextAt: string | null;
    try {
      const cron = parseCron(schedule.cron, schedule.timezone);
      const late = now.getTime() - Date.parse(tickAt) > catchUpMs;
      nextAt = cron.next(late ? now : new Date(tickAt))?.toISOString() ?? null;
    } catch {
      // Stored expressions were checked when saved; a library upgrade that refuses one stops it.
      nextAt = null;
    }
    const fn = await this.#store.getFunction(schedule.userId, schedule.functionId);
    // The function is deleted with its schedules; gone between the two reads: nothing to do.
    if (!fn) return { fired: false, taken: true, nextAt: null };
    const outcome = await this.#store.fireTick(
      schedule.id,
      tickAt,
      nextAt,
      {
        id: randomUUID(),
        userId: schedule.userId,
        functionId: fn.id,
        functionVersion: fn.version,
        async: true,
        params: schedule.params,
        createdAt: now.toISOString(),
        phase: 'queued',
        nodeId: null,
        leaseExpiresAt: null,
        trigger: 'schedule',
      },
      { maxActivePerUser: this.#config.quotas.concurrentExecutionsPerUser },
    );
    if (!outcome.fired && outcome.reason === 'quota') this.#log.warn({ scheduleId: schedule.id, tickAt }, 'schedule tick skipped: the user is at its quota of running and queued executions');
    return { fired: outcome.fired, taken: !outcome.fired && outcome.reason === 'taken', nextAt };
  }
}
