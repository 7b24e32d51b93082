// Executions of a user's functions: run one (sync: the ExecutionResult; async: 202 and the id),
// get one, list a function's history with filters.
import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { defaultLimits, encodeParams, ExecutionFailure } from '../../core/index.ts';
import type { ExecutionRecord, FunctionRecord } from '../../store/index.ts';
import { overOperatorMaxima } from '../functions/maxima.ts';
import { Receipt } from '../attestation/schemas.ts';
import { userIdOf } from '../auth/plugin.ts';
import type { ServiceContext } from '../context.ts';
import { ApiError, notFound, quotaExceeded } from '../errors.ts';
import { IdempotencyHeaders, idempotencyKeyOf, outstanding, reserve } from '../idempotency.ts';
import { errors, Id, nullable, PageQuery, pageOf, pageSize, stringEnum, Timestamp } from '../schemas.ts';

const RunBody = Type.Object(
  {
    params: Type.Optional(Type.Unknown({ description: 'JSON data passed to the function (default {})' })),
    async: Type.Optional(Type.Boolean({ description: 'answer 202 at once and run in the background' })),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'run this recorded version instead of the active one' })),
  },
  { additionalProperties: false },
);

const LogEntry = Type.Object({ level: Type.String(), message: Type.String(), time: Type.Integer({ description: 'milliseconds since the Unix epoch' }) });
const NetworkRecord = Type.Object({
  method: Type.String(),
  url: Type.String(),
  status: nullable(Type.Integer()),
  bytesIn: Type.Integer(),
  bytesOut: Type.Integer(),
  durationMs: Type.Number(),
  blocked: Type.Optional(Type.String({ description: 'why the policy or a limit refused the request (it was not sent, or its answer was cut off)' })),
  error: Type.Optional(Type.String({ description: 'why an allowed request failed: a network error code, "timeout" or "aborted"' })),
});
const ExecutionError = Type.Object({
  code: Type.String({ description: 'SYNTAX_ERROR, RUNTIME_ERROR, TIMEOUT, MEMORY_LIMIT, SECRET_NOT_FOUND, INTERRUPTED...' }),
  message: Type.String(),
  stack: Type.Optional(Type.String()),
  line: Type.Optional(Type.Integer()),
  column: Type.Optional(Type.Integer()),
});

const ExecutionBody = Type.Object(
  {
    executionId: Type.String(),
    functionId: Type.String(),
    functionVersion: Type.Integer({ description: 'the version of the function that ran' }),
    userId: Type.String(),
    async: Type.Boolean(),
    status: stringEnum(['queued', 'running', 'success', 'error'] as const, {
      description: 'queued: accepted, not started; running: started in an isolate; only a started execution can end error/INTERRUPTED',
    }),
    trigger: stringEnum(['api', 'schedule', 'webhook'] as const, { description: 'what made it: an API call, a cron schedule or a webhook' }),
    nodeId: nullable(Type.String({ description: 'the node running it (or that ran it); null while in the shared queue' })),
    scheduleId: nullable(Type.String({ description: 'the schedule that started it (trigger schedule)' })),
    scheduledAt: nullable(Type.String({ format: 'date-time', description: 'the tick it ran for (trigger schedule)' })),
    result: Type.Unknown({ description: 'what the function returned (JSON), secret values redacted' }),
    error: nullable(ExecutionError),
    logs: Type.Array(LogEntry),
    network: Type.Array(NetworkRecord),
    secretsRead: Type.Array(Type.String()),
    createdAt: Timestamp,
    startedAt: nullable(Timestamp),
    finishedAt: nullable(Timestamp),
    durationMs: nullable(Type.Number()),
    cpuTimeMs: nullable(Type.Number()),
    memoryUsedBytes: nullable(Type.Integer()),
    receipt: nullable(Type.Ref('Receipt', { description: 'signed claims about this execution, the same every time it is answered; null while running' })),
  },
  { $id: 'Execution' },
);

const Accepted = Type.Object(
  { executionId: Type.String(), functionId: Type.String(), functionVersion: Type.Integer(), status: stringEnum(['queued', 'running', 'success', 'error'] as const) },
  { $id: 'ExecutionAccepted', description: 'an execution accepted to run in the background: poll GET /v1/executions/{executionId}' },
);

const FunctionParams = Type.Object({ id: Id });
const ExecutionParams = Type.Object({ id: Id, executionId: Id });

const ListQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(stringEnum(['queued', 'running', 'success', 'error'] as const)),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'created at or after (RFC 3339)' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'created at or before (RFC 3339)' })),
  },
  { additionalProperties: false },
);

export async function executionRoutes(app: FastifyInstance, { store, runner, config }: ServiceContext): Promise<void> {
  /** The function as its recorded `version` was: what runs when a run names a version. */
  const pinnedVersion = async (fn: FunctionRecord, version: number): Promise<FunctionRecord> => {
    const code = await store.getFunctionVersion(fn.userId, fn.id, version);
    if (!code) throw new ApiError(404, 'NOT_FOUND', `function version ${version} not found`);
    // Limits are judged as they are now: a version saved under looser maxima does not get them back.
    if (overOperatorMaxima(code, config.limits)) {
      throw new ApiError(400, 'VALIDATION_ERROR', `body/version: version ${version}'s limits (${code.timeoutMs} ms, ${code.memoryMb} MB) are over the operator maxima now`);
    }
    const { functionId: _functionId, createdAt: _createdAt, ...codeFields } = code;
    return { ...fn, ...codeFields, version };
  };
  app.addSchema(Receipt);
  app.addSchema(ExecutionBody);
  app.addSchema(Accepted);
  const tags = ['executions'];

  const run = async (request: FastifyRequest<{ Params: Static<typeof FunctionParams>; Body: Static<typeof RunBody> | undefined }>, reply: FastifyReply) => {
    const userId = userIdOf(request);
    const active = await store.getFunction(userId, request.params.id);
    if (!active) throw notFound('function');
    const fn = request.body?.version === undefined ? active : await pinnedVersion(active, request.body.version);
    const params = request.body?.params ?? {};
    try {
      encodeParams(params, config.limits.maxParamsBytes, defaultLimits.maxParamsDepth);
    } catch (error) {
      if (error instanceof ExecutionFailure) throw new ApiError(400, 'VALIDATION_ERROR', `body/params: ${error.message}`);
      throw error;
    }
    const async = request.body?.async === true;
    const key = idempotencyKeyOf(request);
    const id = randomUUID();
    let release: (() => Promise<void>) | undefined;
    if (key !== undefined) {
      // One scope for both routes of a function: .../execute is the same request.
      const held = await reserve(store, { userId, key, scope: `POST /v1/functions/${fn.id}/executions`, body: request.body ?? {}, resourceId: id });
      if (!held.first) {
        const original = await store.getExecution(userId, held.resourceId);
        if (!original) throw outstanding();
        reply.header('idempotent-replayed', 'true');
        return original.async ? accepted(reply, original) : reply.code(200).send(executionBody(original));
      }
      release = held.release;
    }
    let submitted;
    try {
      submitted = await runner.submit(fn, params, async, { id });
    } catch (error) {
      await release?.().catch(() => {});
      throw error;
    }
    if (!submitted.ok) {
      await release?.();
      throw quotaExceeded(`quota exceeded: at most ${config.quotas.concurrentExecutionsPerUser} executions running or queued per user`, 1);
    }
    const execution = submitted.execution;
    if (async) return accepted(reply, execution);
    return reply.code(200).send(executionBody(execution));
  };

  const accepted = (reply: FastifyReply, execution: ExecutionRecord) =>
    reply
      .code(202)
      .header('location', `/v1/executions/${execution.id}`)
      .send({ executionId: execution.id, functionId: execution.functionId, functionVersion: execution.functionVersion, status: execution.status });

  const runSchema = (operationId: string, summary: string) => ({
    tags,
    operationId,
    summary,
    params: FunctionParams,
    headers: IdempotencyHeaders,
    body: RunBody,
    response: { 200: Type.Ref('Execution'), 202: Type.Ref('ExecutionAccepted'), ...errors(400, 401, 404, 409, 413, 415, 422, 429) },
  });
  // A run without a body is a run with no params: `curl -X POST .../executions` works.
  const emptyBodyIsEmptyObject = async (request: FastifyRequest) => {
    if (request.body === undefined || request.body === null) request.body = {};
  };
  const runOptions = (operationId: string, summary: string) => ({ schema: runSchema(operationId, summary), preValidation: emptyBodyIsEmptyObject });
  type RunRoute = { Params: Static<typeof FunctionParams>; Body: Static<typeof RunBody> | undefined };
  app.post<RunRoute>('/functions/:id/executions', runOptions('runFunction', 'Run a function (sync: the result; async: 202 and the execution id)'), run);
  app.post<RunRoute>('/functions/:id/execute', runOptions('executeFunction', "Run a function (the original system's route; same as POST .../executions)"), run);

  app.get<{ Params: Static<typeof FunctionParams>; Querystring: Static<typeof ListQuery> }>(
    '/functions/:id/executions',
    {
      schema: {
        tags,
        operationId: 'listExecutions',
        summary: "A function's executions, newest first, with logs and network records",
        params: FunctionParams,
        querystring: ListQuery,
        response: { 200: pageOf(Type.Ref('Execution')), ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const userId = userIdOf(request);
      const fn = await store.getFunction(userId, request.params.id);
      if (!fn) throw notFound('function');
      const { limit, cursor, status, since, until } = request.query;
      const page = await store.listExecutions(userId, fn.id, {
        limit: pageSize(limit),
        cursor,
        status,
        since: since === undefined ? undefined : new Date(since).toISOString(),
        until: until === undefined ? undefined : new Date(until).toISOString(),
      });
      const items = await Promise.all(page.items.map((execution) => runner.withReceipt(execution)));
      return { items: items.map(executionBody), nextCursor: page.nextCursor };
    },
  );

  app.get<{ Params: Static<typeof ExecutionParams> }>(
    '/functions/:id/executions/:executionId',
    { schema: { tags, operationId: 'getFunctionExecution', summary: 'One execution of a function', params: ExecutionParams, response: { 200: Type.Ref('Execution'), ...errors(401, 404) } } },
    async (request) => {
      const execution = await store.getExecution(userIdOf(request), request.params.executionId);
      if (!execution || execution.functionId !== request.params.id) throw notFound('execution');
      return executionBody(await runner.withReceipt(execution));
    },
  );

  const OneParams = Type.Object({ executionId: Id });
  app.get<{ Params: Static<typeof OneParams> }>(
    '/executions/:executionId',
    { schema: { tags, operationId: 'getExecution', summary: 'One execution', params: OneParams, response: { 200: Type.Ref('Execution'), ...errors(401, 404) } } },
    async (request) => {
      const execution = await store.getExecution(userIdOf(request), request.params.executionId);
      if (!execution) throw notFound('execution');
      return executionBody(await runner.withReceipt(execution));
    },
  );
}

function executionBody(execution: ExecutionRecord) {
  return {
    executionId: execution.id,
    functionId: execution.functionId,
    functionVersion: execution.functionVersion,
    userId: execution.userId,
    async: execution.async,
    status: execution.status,
    trigger: execution.trigger,
    nodeId: execution.nodeId,
    scheduleId: execution.scheduleId,
    scheduledAt: execution.scheduledAt,
    result: execution.result,
    error: execution.error,
    logs: execution.logs,
    network: execution.network,
    secretsRead: execution.secretsRead,
    createdAt: execution.createdAt,
    startedAt: execution.startedAt,
    finishedAt: execution.finishedAt,
    durationMs: execution.durationMs,
    cpuTimeMs: execution.cpuTimeMs,
    memoryUsedBytes: execution.memoryUsedBytes,
    receipt: execution.receipt,
  };
}
