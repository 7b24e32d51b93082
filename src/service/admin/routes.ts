// /v1/admin: the operator's view of the deployment. Nodes: every server registered on the store,
// its version, load and last heartbeat, and whether it is live (a heartbeat within one lease),
// draining or stopped.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { NodeRecord } from '../../store/index.ts';
import type { ServiceContext } from '../context.ts';
import { errors, nullable, stringEnum, Timestamp } from '../schemas.ts';

const NodeBody = Type.Object(
  {
    id: Type.String({ description: '--node-id of the server' }),
    version: Type.String({ description: 'teejs version it runs' }),
    state: stringEnum(['live', 'draining', 'stopped', 'lost'] as const, {
      description: 'live; draining (stopping gracefully); stopped (cleanly); lost (no heartbeat for a lease: it crashed or is cut off)',
    }),
    running: Type.Integer({ description: 'executions running on it at its last heartbeat' }),
    slots: Type.Integer({ description: 'executions it runs at once at most (--concurrency)' }),
    startedAt: Timestamp,
    lastHeartbeatAt: Timestamp,
    stoppedAt: nullable(Timestamp),
    self: Type.Boolean({ description: 'the node answering this request' }),
  },
  { $id: 'Node' },
);

export async function adminRoutes(app: FastifyInstance, { store, config }: ServiceContext): Promise<void> {
  app.addSchema(NodeBody);
  app.get(
    '/admin/nodes',
    {
      config: { access: 'admin' as const },
      schema: { tags: ['operations'], operationId: 'listNodes', summary: 'The server nodes on this store, their load, version and last heartbeat (operator)', response: { 200: Type.Object({ items: Type.Array(Type.Ref('Node')) }), ...errors(401, 403) } },
    },
    async () => {
      const now = Date.now();
      return { items: (await store.listNodes()).map((node) => nodeBody(node, now, config.leaseMs, config.nodeId)) };
    },
  );
}

function nodeBody(node: NodeRecord, now: number, leaseMs: number, self: string) {
  const lost = now - Date.parse(node.heartbeatAt) > leaseMs;
  const state = node.stoppedAt !== null ? 'stopped' : lost ? 'lost' : node.draining ? 'draining' : 'live';
  return {
    id: node.id,
    version: node.version,
    state,
    running: state === 'live' || state === 'draining' ? node.running : 0,
    slots: node.slots,
    startedAt: node.startedAt,
    lastHeartbeatAt: node.heartbeatAt,
    stoppedAt: node.stoppedAt,
    self: node.id === self,
  };
}
