// Prometheus metrics of one service instance, in a registry of its own (so two apps in one
// process, as in tests, never share counters): executions by status and code, their duration,
// HTTP requests by route template (never by raw URL: ids would explode the label set), and the
// executor pool's own figures when the executor reports them. Labels never carry tenant ids (a
// label per user would grow without bound and tell scrapers who the tenants are): the queue by
// user is summed up as how many users wait, the deepest user's queue and the users at their cap.
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Executor } from '../../executor/executor.ts';

/** What an executor pool may report (ExecutorPool.stats()); absent for the in-process engine. */
interface PoolFigures {
  executors: Array<{ pool: { ready: number; created: number } | null }>;
  restarts: number;
  inFlight: number;
}

/** What the runner reports of the executions waiting for a slot. */
export interface QueueFigures {
  byUser: Map<string, number>;
  usersAtCap: number;
}

function poolFigures(executor: Executor): PoolFigures | undefined {
  const stats = (executor as { stats?: () => PoolFigures }).stats;
  return typeof stats === 'function' ? stats.call(executor) : undefined;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly #executions: Counter<'status' | 'code'>;
  readonly #duration: Histogram<'status'>;
  readonly #requests: Counter<'method' | 'route' | 'status_code'>;
  readonly #settled: Counter<'outcome'>;
  readonly #requestDuration: Histogram<'method' | 'route'>;
  #queue: (() => Promise<QueueFigures>) | undefined;
  /** One read of the queue serves all its gauges in a scrape. */
  #queueRead: { at: number; figures: Promise<QueueFigures | undefined> } | undefined;

  constructor(options: { executor: Executor; running: () => number }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'teejs_' });
    this.#executions = new Counter({ name: 'teejs_executions_total', help: 'Finished executions by status and error code', labelNames: ['status', 'code'], registers });
    this.#duration = new Histogram({
      name: 'teejs_execution_duration_seconds',
      help: 'Wall time of executions',
      labelNames: ['status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.#settled = new Counter({
      name: 'teejs_executions_abandoned_total',
      help: 'Executions of stopped or dead nodes settled here: interrupted (had started) or requeued (had not)',
      labelNames: ['outcome'],
      registers,
    });
    this.#requests = new Counter({ name: 'teejs_http_requests_total', help: 'HTTP requests by method, route and status', labelNames: ['method', 'route', 'status_code'], registers });
    this.#requestDuration = new Histogram({ name: 'teejs_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'], registers });
    new Gauge({ name: 'teejs_executions_running', help: 'Executions running on this server', registers, collect() { this.set(options.running()); } });
    const queue = (): Promise<QueueFigures | undefined> => this.#queueFigures();
    new Gauge({
      name: 'teejs_executions_waiting',
      help: 'Executions waiting for a slot: sync ones on this server and async ones in the queue',
      registers,
      async collect() {
        const figures = await queue();
        if (figures) this.set([...figures.byUser.values()].reduce((sum, n) => sum + n, 0));
      },
    });
    new Gauge({
      name: 'teejs_users_waiting',
      help: 'Users with executions waiting for a slot',
      registers,
      async collect() {
        const figures = await queue();
        if (figures) this.set(figures.byUser.size);
      },
    });
    new Gauge({
      name: 'teejs_user_waiting_max',
      help: 'Executions waiting of the user with the most waiting',
      registers,
      async collect() {
        const figures = await queue();
        if (figures) this.set(Math.max(0, ...figures.byUser.values()));
      },
    });
    new Gauge({
      name: 'teejs_users_at_cap',
      help: 'Users running as many executions on this server as --max-user-share lets one user',
      registers,
      async collect() {
        const figures = await queue();
        if (figures) this.set(figures.usersAtCap);
      },
    });
    const executor = options.executor;
    new Gauge({
      name: 'teejs_pool_executors',
      help: 'Executor processes of the pool',
      registers,
      collect() {
        const figures = poolFigures(executor);
        if (figures) this.set(figures.executors.length);
      },
    });
    new Gauge({
      name: 'teejs_pool_warm_sandboxes',
      help: 'Sandboxes ready in the warm pools of all executors',
      registers,
      collect() {
        const figures = poolFigures(executor);
        if (figures) this.set(figures.executors.reduce((sum, e) => sum + (e.pool?.ready ?? 0), 0));
      },
    });
    new Gauge({
      name: 'teejs_pool_refills_total',
      help: 'Sandboxes the warm pools have made (refills), since start',
      registers,
      collect() {
        const figures = poolFigures(executor);
        if (figures) this.set(figures.executors.reduce((sum, e) => sum + (e.pool?.created ?? 0), 0));
      },
    });
    new Gauge({
      name: 'teejs_executor_restarts_total',
      help: 'Executor processes replaced after dying, since start',
      registers,
      collect() {
        const figures = poolFigures(executor);
        if (figures) this.set(figures.restarts);
      },
    });
  }

  /** Where the queue gauges read from (the runner, made after the metrics). */
  observeQueue(read: () => Promise<QueueFigures>): void {
    this.#queue = read;
  }

  #queueFigures(): Promise<QueueFigures | undefined> {
    const read = this.#queue;
    if (!read) return Promise.resolve(undefined);
    if (!this.#queueRead || Date.now() - this.#queueRead.at > 100) {
      // A store that does not answer leaves the gauges out of this scrape, not the scrape failing.
      this.#queueRead = { at: Date.now(), figures: read().catch(() => undefined) };
    }
    return this.#queueRead.figures;
  }

  recordSettled(settled: { interrupted: number; released: number }): void {
    if (settled.interrupted > 0) this.#settled.inc({ outcome: 'interrupted' }, settled.interrupted);
    if (settled.released > 0) this.#settled.inc({ outcome: 'requeued' }, settled.released);
  }

  recordExecution(status: string, code: string | null, seconds: number): void {
    this.#executions.inc({ status, code: code ?? 'none' });
    this.#duration.observe({ status }, seconds);
  }

  /** Counts every HTTP answer, labelled by the route's template. */
  instrument(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
      this.#requests.inc({ method: request.method, route, status_code: String(reply.statusCode) });
      this.#requestDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    });
  }
}
