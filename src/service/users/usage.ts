// GET /v1/users/{userId}/usage: what one tenant holds against its quotas, for the
// operator (the web console's user page, or a script). Counted from the store's own lists, so it
// is what the quota checks see at that moment: functions, secrets, cron schedules and webhooks,
// and executions running or queued (those count against --max-running).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/index.ts';
import type { ServiceContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { errors, Id } from '../schemas.ts';

const Counted = (description: string) => Type.Object({ used: Type.Integer(), limit: Type.Integer({ description }) });

const UsageBody = Type.Object(
  {
    userId: Type.String(),
    functions: Counted('--max-functions'),
    secrets: Counted('--max-secrets'),
    schedules: Counted('--max-schedules'),
    webhooks: Type.Object({ used: Type.Integer() }),
    activeExecutions: Counted('--max-running: executions running or queued at once'),
    secretBytes: Type.Integer({ description: '--max-secret-bytes: the largest secret value' }),
  },
  { $id: 'UserUsage' },
);

const UserParams = Type.Object({ userId: Id });

export async function usageRoutes(app: FastifyInstance, { store, config }: ServiceContext): Promise<void> {
  app.addSchema(UsageBody);
  app.get<{ Params: Static<typeof UserParams> }>(
    '/users/:userId/usage',
    {
      config: { access: 'admin' as const },
      schema: {
        tags: ['users and keys'],
        operationId: 'getUserUsage',
        summary: "A user's usage against the quotas: functions, secrets, schedules, webhooks, executions running or queued (operator)",
        params: UserParams,
        response: { 200: Type.Ref('UserUsage'), ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const userId = request.params.userId;
      if (!(await store.getUser(userId))) throw notFound('user');
      const functionIds = await allFunctionIds(store, userId);
      let schedules = 0;
      let webhooks = 0;
      let active = 0;
      for (const id of functionIds) {
        schedules += (await store.listSchedules(userId, id)).length;
        webhooks += (await store.listHooks(userId, id)).length;
        for (const status of ['queued', 'running'] as const) {
          active += (await store.listExecutions(userId, id, { limit: 100, status })).items.length;
        }
      }
      const { quotas } = config;
      return {
        userId,
        functions: { used: functionIds.length, limit: quotas.functionsPerUser },
        secrets: { used: (await store.listSecrets(userId)).length, limit: quotas.secretsPerUser },
        schedules: { used: schedules, limit: quotas.schedulesPerUser },
        webhooks: { used: webhooks },
        activeExecutions: { used: active, limit: quotas.concurrentExecutionsPerUser },
        secretBytes: quotas.secretBytes,
      };
    },
  );
}

async function allFunctionIds(store: Store, userId: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listFunctions(userId, { limit: 100, cursor });
    ids.push(...page.items.map((fn) => fn.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return ids;
}
