// /v1/functions/{id}/schedules: cron schedules that run a function with fixed params, as async
// executions with trigger 'schedule' (see ticker.ts for when ticks fire and what a missed tick
// does). A bad cron expression or time zone is a 400 naming the field.
import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { defaultLimits, encodeParams, ExecutionFailure } from '../../core/index.ts';
import type { Schedule, SchedulePatch } from '../../store/index.ts';
import { userIdOf } from '../auth/plugin.ts';
import type { ServiceContext } from '../context.ts';
import { ApiError, notFound, quotaExceeded } from '../errors.ts';
import { errors, Id, nullable, Timestamp } from '../schemas.ts';
import { parseCron } from './cron.ts';

const fields = {
  cron: Type.String({ minLength: 1, maxLength: 200, description: '5 fields (minute hour day month weekday) or 6 (seconds first), e.g. "0 9 * * 1-5"' }),
  timezone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone the expression is read in (default UTC)' }),
  params: Type.Unknown({ description: 'JSON params of every execution it starts (default {})' }),
  enabled: Type.Boolean({ description: 'false pauses it (default true)' }),
};

const CreateSchedule = Type.Object(
  { cron: fields.cron, timezone: Type.Optional(fields.timezone), params: Type.Optional(fields.params), enabled: Type.Optional(fields.enabled) },
  { additionalProperties: false },
);
const UpdateSchedule = Type.Partial(Type.Object(fields, { additionalProperties: false }), { additionalProperties: false, minProperties: 1 });

const ScheduleBody = Type.Object(
  {
    id: Type.String(),
    functionId: Type.String(),
    cron: Type.String(),
    timezone: Type.String(),
    params: Type.Unknown(),
    enabled: Type.Boolean(),
    nextRunAt: nullable(Timestamp),
    lastRunAt: nullable(Timestamp),
    lastExecutionId: nullable(Type.String()),
    lastOutcome: nullable(Type.String({ description: "what the last tick did: 'queued', or 'skipped: quota'" })),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Schedule' },
);

const FunctionParams = Type.Object({ id: Id });
const ScheduleParams = Type.Object({ id: Id, scheduleId: Id });

export async function scheduleRoutes(app: FastifyInstance, { store, config }: ServiceContext): Promise<void> {
  app.addSchema(ScheduleBody);
  const tags = ['schedules'];

  const checkParams = (params: unknown) => {
    try {
      encodeParams(params, config.limits.maxParamsBytes, defaultLimits.maxParamsDepth);
    } catch (error) {
      if (error instanceof ExecutionFailure) throw new ApiError(400, 'VALIDATION_ERROR', `body/params: ${error.message}`);
      throw error;
    }
  };

  app.post<{ Params: Static<typeof FunctionParams>; Body: Static<typeof CreateSchedule> }>(
    '/functions/:id/schedules',
    { schema: { tags, operationId: 'createSchedule', summary: 'Run a function on a cron schedule', params: FunctionParams, body: CreateSchedule, response: { 201: Type.Ref('Schedule'), ...errors(400, 401, 404, 413, 415, 429) } } },
    async (request, reply) => {
      const userId = userIdOf(request);
      const fn = await store.getFunction(userId, request.params.id);
      if (!fn) throw notFound('function');
      const { cron, timezone = 'UTC', params = {}, enabled = true } = request.body;
      const parsed = parseCron(cron, timezone);
      checkParams(params);
      const now = new Date();
      const nextAt = enabled ? (parsed.next(now)?.toISOString() ?? null) : null;
      const created = await store.createSchedule(
        { id: randomUUID(), userId, functionId: fn.id, cron: cron.trim(), timezone, params, enabled, nextAt, createdAt: now.toISOString() },
        { maxPerUser: config.quotas.schedulesPerUser },
      );
      if (!created.ok) throw quotaExceeded(`quota exceeded: at most ${config.quotas.schedulesPerUser} schedules per user; delete one first`, 60);
      return reply.code(201).header('location', `/v1/functions/${fn.id}/schedules/${created.value.id}`).send(scheduleBody(created.value));
    },
  );

  app.get<{ Params: Static<typeof FunctionParams> }>(
    '/functions/:id/schedules',
    { schema: { tags, operationId: 'listSchedules', summary: "A function's schedules", params: FunctionParams, response: { 200: Type.Object({ items: Type.Array(Type.Ref('Schedule')) }), ...errors(401, 404) } } },
    async (request) => {
      const userId = userIdOf(request);
      const fn = await store.getFunction(userId, request.params.id);
      if (!fn) throw notFound('function');
      return { items: (await store.listSchedules(userId, fn.id)).map(scheduleBody) };
    },
  );

  app.get<{ Params: Static<typeof ScheduleParams> }>(
    '/functions/:id/schedules/:scheduleId',
    { schema: { tags, operationId: 'getSchedule', summary: 'One schedule', params: ScheduleParams, response: { 200: Type.Ref('Schedule'), ...errors(401, 404) } } },
    async (request) => {
      const schedule = await store.getSchedule(userIdOf(request), request.params.id, request.params.scheduleId);
      if (!schedule) throw notFound('schedule');
      return scheduleBody(schedule);
    },
  );

  app.patch<{ Params: Static<typeof ScheduleParams>; Body: Static<typeof UpdateSchedule> }>(
    '/functions/:id/schedules/:scheduleId',
    { schema: { tags, operationId: 'updateSchedule', summary: 'Change a schedule (a new expression, zone or enabled state starts from now)', params: ScheduleParams, body: UpdateSchedule, response: { 200: Type.Ref('Schedule'), ...errors(400, 401, 404, 413, 415) } } },
    async (request) => {
      const userId = userIdOf(request);
      const current = await store.getSchedule(userId, request.params.id, request.params.scheduleId);
      if (!current) throw notFound('schedule');
      const patch: SchedulePatch = { ...request.body };
      if (patch.params !== undefined) checkParams(patch.params);
      if (patch.cron !== undefined) patch.cron = patch.cron.trim();
      const merged = { ...current, ...patch };
      const parsed = parseCron(merged.cron, merged.timezone);
      if (patch.cron !== undefined || patch.timezone !== undefined || patch.enabled !== undefined) {
        patch.nextAt = merged.enabled ? (parsed.next(new Date())?.toISOString() ?? null) : null;
      }
      const updated = await store.updateSchedule(userId, request.params.id, current.id, patch, new Date().toISOString());
      if (!updated) throw notFound('schedule');
      return scheduleBody(updated);
    },
  );

  app.delete<{ Params: Static<typeof ScheduleParams> }>(
    '/functions/:id/schedules/:scheduleId',
    { schema: { tags, operationId: 'deleteSchedule', summary: 'Delete a schedule (its executions stay in the history)', params: ScheduleParams, response: { 204: Type.Null(), ...errors(401, 404) } } },
    async (request, reply) => {
      if (!(await store.deleteSchedule(userIdOf(request), request.params.id, request.params.scheduleId))) throw notFound('schedule');
      return reply.code(204).send();
    },
  );
}

function scheduleBody(schedule: Schedule) {
  return {
    id: schedule.id,
    functionId: schedule.functionId,
    cron: schedule.cron,
    timezone: schedule.timezone,
    params: schedule.params,
    enabled: schedule.enabled,
    nextRunAt: schedule.nextAt,
    lastRunAt: schedule.lastFiredAt,
    lastExecutionId: schedule.lastExecutionId,
    lastOutcome: schedule.lastOutcome,
    createdAt: schedule.createdAt,
    updatedAt: schedule.updatedAt,
  };
}
