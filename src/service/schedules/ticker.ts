// Fires the due ticks of cron schedules, on every node. Invariants:
// - each tick fires once across all nodes: the store moves a schedule's next tick and records
//   the execution in one transaction, only if the next tick is still the one this node saw
//   (store.fireTick); a node that loses the race does nothing;
// - a tick becomes an async execution (trigger 'schedule', with the schedule and the tick it is
//   for), queued for any node, under the user's quota (over it, the tick is skipped and the
//   schedule says so);
// - missed ticks (every node was down, or the schedule waited on a busy store): one execution
//   catches up, for the earliest missed tick, and the schedule goes on from the next tick after
//   now; the ticks in between are skipped, never run in a burst;
// - a draining node fires no more ticks: the other nodes (or the next start) do.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Schedule, Store } from '../../store/index.ts';
import type { ServiceConfig } from '../config.ts';
import { parseCron } from './cron.ts';

/** How often a node looks for due ticks: a tick fires within about this long of its time. */
const tickLookMs = 1000;

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
        if (await this.#fire(schedule, now)) fired++;
      }
    } catch (error) {
      this.#log.error({ err: error }, 'could not fire the due schedule ticks');
    } finally {
      this.#busy = false;
    }
    if (fired > 0) this.#onQueued();
    return fired;
  }

  async #fire(schedule: Schedule, now: Date): Promise<boolean> {
    const tickAt = schedule.nextAt!;
    let nextAt: string | null;
    try {
      nextAt = parseCron(schedule.cron, schedule.timezone).next(now)?.toISOString() ?? null;
    } catch {
      // Stored expressions were checked when saved; a library upgrade that refuses one stops it.
      nextAt = null;
    }
    const fn = await this.#store.getFunction(schedule.userId, schedule.functionId);
    // The function is deleted with its schedules; gone between the two reads: nothing to do.
    if (!fn) return false;
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
    return outcome.fired;
  }
}
