// /health: the process answers (liveness). /ready: it can serve (the store answers and the
// server is neither starting nor draining), for load balancers; both keep answering while it
// drains. /metrics: Prometheus.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';

const Status = Type.Object({ status: Type.String(), reason: Type.Optional(Type.String()) }, { $id: 'HealthStatus' });

export async function healthRoutes(app: FastifyInstance, { store, lifecycle, metrics }: ServiceContext): Promise<void> {
  const config = { access: 'public' as const };
  const tags = ['operations'];
  app.addSchema(Status);
  const status = Type.Ref('HealthStatus');

  app.get('/health', { config, schema: { tags, operationId: 'getHealth', summary: 'Liveness', response: { 200: status } } }, async () => ({ status: 'ok' }));

  app.get('/ready', { config, schema: { tags, operationId: 'getReadiness', summary: 'Readiness', response: { 200: Status, 503: Status } } }, async (request, reply) => {
    if (lifecycle.closing) return reply.code(503).send({ status: 'unavailable', reason: 'draining: finishing running executions before it stops' });
    if (!lifecycle.ready) return reply.code(503).send({ status: 'unavailable', reason: 'starting' });
    try {
      await store.ping();
    } catch (error) {
      request.log.warn({ err: error }, 'store unreachable');
      return reply.code(503).send({ status: 'unavailable', reason: 'store unreachable' });
    }
    return { status: 'ready' };
  });

  app.get('/metrics', { config, schema: {
        tags,
        operationId: 'getMetrics',
        summary: 'Prometheus metrics (text exposition format)',
        response: { 200: { description: 'the metrics, as text', content: { 'text/plain': { schema: Type.String() } } } },
      } }, async (_request, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
