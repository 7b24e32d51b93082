// Prometheus metrics of one service instance, in a registry of its own (so two apps in one
// process, as in tests, never share counters): executions by status and code, their duration,
// HTTP requests by route template (never by raw URL: ids would explode the label set), and the
// executor pool's own figures when the executor reports them.
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Executor } from '../../executor/executor.ts';

/** What an executor pool may report (ExecutorPool.stats()); absent for the in-process engine. */
interface PoolFigures {
  executors: Array<{ pool: { ready: number; created: number } | null }>;
  restarts: number;
  inFlight: number;
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
  readonly #requestDuration: Histogram<'method' | 'route'>;

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
    this.#requests = new Counter({ name: 'teejs_http_requests_total', help: 'HTTP requests by method, route and status', labelNames: ['method', 'route', 'status_code'], registers });
    this.#requestDuration = new Histogram({ name: 'teejs_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'], registers });
    new Gauge({ name: 'teejs_executions_running', help: 'Executions running on this server', registers, collect() { this.set(options.running()); } });
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
