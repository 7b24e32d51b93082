// /v1/functions: a user's stored functions. Every update is a new version; a source that does
// not compile is refused when saved, with its line and column. The function's `version` is the
// active one (what runs); activating an older version is a rollback that rewrites no history.
import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { checkLimit, checkSyntax, detectForm, limitBounds, LimitError, parseHostPattern, secretLimits, type LimitName } from '../../core/index.ts';
import { overOperatorMaxima } from './maxima.ts';
import type { FunctionCode, FunctionPatch, FunctionRecord, FunctionVersion } from '../../store/index.ts';
import { userIdOf } from '../auth/plugin.ts';
import type { ServiceConfig } from '../config.ts';
import type { ServiceContext } from '../context.ts';
import { ApiError, notFound, quotaExceeded } from '../errors.ts';
import { IdempotencyHeaders, idempotencyKeyOf, outstanding, reserve } from '../idempotency.ts';
import { errors, Id, IntegerParam, noNul, nullable, PageQuery, pageOf, pageSize, stringEnum, Timestamp } from '../schemas.ts';

const FunctionName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'unique per user: letters, digits, . _ -, at most 64' });
// As long as the core lets a guest ask for (secretLimits, ext/secrets): a stored secret can always be read.
export const SecretName = Type.String({
  pattern: `^[A-Za-z0-9_][A-Za-z0-9_.-]{0,${secretLimits.maxNameLength - 1}}$`,
  description: `letters, digits, _ . -, at most ${secretLimits.maxNameLength}`,
});
const HostName = Type.String({
  minLength: 1,
  maxLength: 253,
  description: 'a host the function may fetch: api.example.com, an IP address, *.example.com (its subdomains) or * (any host the operator allows)',
});

const editable = {
  name: FunctionName,
  description: Type.String({ maxLength: 1000, pattern: noNul }),
  source: Type.String({ minLength: 1, pattern: noNul, description: 'an ES module with a default export, or a script that defines main()' }),
  language: stringEnum(['javascript', 'typescript'] as const),
  form: nullable(stringEnum(['module', 'script'] as const, { description: 'module or script; null (or absent): detected from the source' })),
  timeoutMs: Type.Integer({
    minimum: limitBounds.timeoutMs.min,
    maximum: limitBounds.timeoutMs.max,
    description: 'time limit of one execution in milliseconds, within the operator maximum',
  }),
  memoryMb: Type.Integer({
    minimum: limitBounds.memoryMb.min,
    maximum: limitBounds.memoryMb.max,
    description: 'memory limit of one execution in megabytes, within the operator maximum',
  }),
  allowedSecrets: Type.Array(SecretName, { maxItems: 100, uniqueItems: true, description: 'secrets the function may read (none by default)' }),
  allowedHosts: Type.Array(HostName, { maxItems: 100, uniqueItems: true, description: 'hosts the function may fetch (none by default)' }),
  deterministic: Type.Boolean({ description: 'run deterministically: seeded randomness, a virtual clock, no fetch; receipts can then be replayed (docs/attestation.md)' }),
};

const CreateFunction = Type.Object(
  {
    name: editable.name,
    source: editable.source,
    description: Type.Optional(editable.description),
    language: Type.Optional(editable.language),
    form: Type.Optional(editable.form),
    timeoutMs: Type.Optional(editable.timeoutMs),
    memoryMb: Type.Optional(editable.memoryMb),
    allowedSecrets: Type.Optional(editable.allowedSecrets),
    allowedHosts: Type.Optional(editable.allowedHosts),
    deterministic: Type.Optional(editable.deterministic),
  },
  { additionalProperties: false },
);

const UpdateFunction = Type.Partial(Type.Object(editable, { additionalProperties: false }), { additionalProperties: false, minProperties: 1 });

const codeFields = {
  language: editable.language,
  form: stringEnum(['module', 'script'] as const, { description: 'how the source runs: as given, or as detected from it' }),
  formDetected: Type.Boolean({ description: 'true when form was detected from the source (it follows the source when that changes)' }),
  timeoutMs: Type.Integer(),
  memoryMb: Type.Integer(),
  allowedSecrets: Type.Array(Type.String()),
  allowedHosts: Type.Array(Type.String()),
  deterministic: Type.Boolean(),
};

const FunctionSummary = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    version: Type.Integer({ description: 'the active version: the one that runs (the newest, unless an older one was activated)' }),
    ...codeFields,
    executionCount: Type.Integer(),
    lastExecutionAt: nullable(Timestamp),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'FunctionSummary' },
);

const FunctionBody = Type.Composite([FunctionSummary, Type.Object({ source: Type.String() })], { $id: 'Function' });

const VersionBody = Type.Object({ version: Type.Integer(), ...codeFields, source: Type.String(), createdAt: Timestamp }, { $id: 'FunctionVersion' });

const IdParams = Type.Object({ id: Id });

export async function functionRoutes(app: FastifyInstance, { store, config }: ServiceContext): Promise<void> {
  app.addSchema(FunctionSummary);
  app.addSchema(FunctionBody);
  app.addSchema(VersionBody);
  const tags = ['functions'];

  app.post<{ Body: Static<typeof CreateFunction> }>(
    '/functions',
    {
      schema: {
        tags,
        operationId: 'createFunction',
        summary: 'Create a function',
        headers: IdempotencyHeaders,
        body: CreateFunction,
        response: { 201: Type.Ref('Function'), ...errors(400, 401, 409, 413, 415, 422, 429) },
      },
      preValidation: checkBodyLimits,
    },
    async (request, reply) => {
      const userId = userIdOf(request);
      const body = request.body;
      const code: FunctionCode = {
        source: body.source,
        language: body.language ?? 'javascript',
        form: body.form ?? null,
        timeoutMs: body.timeoutMs ?? config.limits.defaultTimeoutMs,
        memoryMb: body.memoryMb ?? config.limits.defaultMemoryMb,
        allowedSecrets: body.allowedSecrets ?? [],
        allowedHosts: body.allowedHosts ?? [],
        deterministic: body.deterministic ?? false,
      };
      await checkCode(code, config);
      const now = new Date().toISOString();
      const id = randomUUID();
      const key = idempotencyKeyOf(request);
      let release: (() => Promise<void>) | undefined;
      if (key !== undefined) {
        const held = await reserve(store, { userId, key, scope: 'POST /v1/functions', body, resourceId: id });
        if (!held.first) {
          // The function as it is now (a retry answers the current state, per the draft).
          const original = await store.getFunction(userId, held.resourceId);
          if (!original) throw outstanding();
          return reply.code(201).header('location', `/v1/functions/${original.id}`).header('idempotent-replayed', 'true').send(functionBody(original));
        }
        release = held.release;
      }
      let created;
      try {
        created = await store.createFunction(
          { id, userId, name: body.name, description: body.description ?? '', createdAt: now, ...code },
          { maxPerUser: config.quotas.functionsPerUser },
        );
      } catch (error) {
        await release?.().catch(() => {});
        throw error;
      }
      if (!created.ok) {
        await release?.();
        if (created.reason === 'quota') throw quotaExceeded(`quota exceeded: at most ${config.quotas.functionsPerUser} functions per user; delete one first`, 60);
        throw new ApiError(409, 'CONFLICT', `a function named '${body.name}' exists already`);
      }
      return reply.code(201).header('location', `/v1/functions/${created.value.id}`).send(functionBody(created.value));
    },
  );

  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    '/functions',
    {
      schema: {
        tags,
        operationId: 'listFunctions',
        summary: "List the caller's functions (without sources), oldest first",
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: pageOf(Type.Ref('FunctionSummary')), ...errors(400, 401) },
      },
    },
    async (request) => {
      const page = await store.listFunctions(userIdOf(request), { limit: pageSize(request.query.limit), cursor: request.query.cursor });
      return { items: page.items.map(functionSummary), nextCursor: page.nextCursor };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/functions/:id',
    { schema: { tags, operationId: 'getFunction', summary: 'Get a function with its current source', params: IdParams, response: { 200: Type.Ref('Function'), ...errors(401, 404) } } },
    async (request, reply) => {
      const fn = await store.getFunction(userIdOf(request), request.params.id);
      if (!fn) throw notFound('function');
      reply.header('etag', etagOf(fn));
      return functionBody(fn);
    },
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof UpdateFunction> }>(
    '/functions/:id',
    {
      schema: {
        tags,
        operationId: 'updateFunction',
        summary: 'Change a function: any fields given; each change is a new version',
        params: IdParams,
        body: UpdateFunction,
        headers: IfMatchHeaders,
        response: { 200: Type.Ref('Function'), ...errors(400, 401, 404, 409, 412, 413, 415) },
      },
      preValidation: checkBodyLimits,
    },
    async (request, reply) => {
      const userId = userIdOf(request);
      const current = await store.getFunction(userId, request.params.id);
      if (!current) throw notFound('function');
      // If-Match: only if nobody changed it since the caller read it (checked again by the store).
      const expected = ifMatch(request.headers['if-match'], current);
      const patch: FunctionPatch = { ...request.body };
      const touchesCode = ['source', 'language', 'form', 'timeoutMs', 'memoryMb', 'allowedHosts'].some((field) => field in patch);
      if (touchesCode) await checkCode({ ...current, ...patch }, config);
      const updated = await store.updateFunction(userId, current.id, patch, new Date().toISOString(), expected);
      if (!updated) throw notFound('function');
      if (!updated.ok && updated.reason === 'stale') throw staleError();
      if (!updated.ok) throw new ApiError(409, 'CONFLICT', `a function named '${patch.name}' exists already`);
      reply.header('etag', etagOf(updated.value));
      return functionBody(updated.value);
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/functions/:id',
    { schema: { tags, operationId: 'deleteFunction', summary: 'Delete a function with its versions and executions', params: IdParams, response: { 204: Type.Null(), ...errors(401, 404) } } },
    async (request, reply) => {
      if (!(await store.deleteFunction(userIdOf(request), request.params.id))) throw notFound('function');
      return reply.code(204).send();
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/functions/:id/versions',
    {
      schema: {
        tags,
        operationId: 'listFunctionVersions',
        summary: 'Every version of a function, oldest first',
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('FunctionVersion')) }), ...errors(401, 404) },
      },
    },
    async (request) => {
      const versions = await store.listFunctionVersions(userIdOf(request), request.params.id);
      if (versions.length === 0) throw notFound('function');
      return { items: versions.map(versionBody) };
    },
  );

  const VersionParams = Type.Object({ id: Id, version: IntegerParam({ minimum: 1, maximum: 999_999_999, description: 'a version number, from 1' }) });
  app.get<{ Params: Static<typeof VersionParams> }>(
    '/functions/:id/versions/:version',
    { schema: { tags, operationId: 'getFunctionVersion', summary: 'One version of a function', params: VersionParams, response: { 200: Type.Ref('FunctionVersion'), ...errors(400, 401, 404) } } },
    async (request) => {
      const version = await store.getFunctionVersion(userIdOf(request), request.params.id, request.params.version);
      if (!version) throw notFound('function version');
      return versionBody(version);
    },
  );

  app.post<{ Params: Static<typeof VersionParams> }>(
    '/functions/:id/versions/:version/activate',
    {
      schema: {
        tags,
        operationId: 'activateFunctionVersion',
        summary: 'Make a recorded version the active one (a rollback, or forward again): it is what runs from now on. No version is changed; the next change is numbered after the newest',
        params: VersionParams,
        response: { 200: Type.Ref('Function'), ...errors(404) },
      },
    },
    async (request) => {
      const userId = userIdOf(request);
      const version = await store.getFunctionVersion(userId, request.params.id, request.params.version);
      if (!version) throw notFound('function version');
      // The operator's maxima may have shrunk since that version was saved.
      await checkCode(version, config);
      const activated = await store.activateFunctionVersion(userId, request.params.id, request.params.version, new Date().toISOString());
      if (!activated) throw notFound('function version');
      return functionBody(activated);
    },
  );
}

/**
 * Runs before the schema: a timeout or memory size is judged by limits.ts (as in the engine and
 * the CLI), so its refusal reads the same everywhere. The schema's own bounds, the same numbers,
 * are what the OpenAPI document shows.
 */
async function checkBodyLimits(request: FastifyRequest): Promise<void> {
  const body = request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  for (const name of ['timeoutMs', 'memoryMb'] as const satisfies readonly LimitName[]) {
    if (!Object.hasOwn(body, name)) continue;
    try {
      checkLimit(name, (body as Record<string, unknown>)[name], `body/${name}`);
    } catch (error) {
      if (error instanceof LimitError) throw new ApiError(400, 'VALIDATION_ERROR', error.message);
      throw error;
    }
  }
}

/** Limits within the operator's maxima, source within its size, and a source that compiles. */
async function checkCode(code: FunctionCode, config: ServiceConfig): Promise<void> {
  const { limits } = config;
  const over = overOperatorMaxima(code, limits);
  if (over) throw new ApiError(400, 'VALIDATION_ERROR', `body/${over.field} must be at most ${over.max} (the operator maximum)`);
  const bytes = Buffer.byteLength(code.source, 'utf8');
  if (bytes > limits.maxSourceBytes) throw new ApiError(400, 'VALIDATION_ERROR', `body/source is ${bytes} bytes, over the limit of ${limits.maxSourceBytes}`);
  code.allowedHosts.forEach((host, index) => {
    try {
      parseHostPattern(host);
    } catch (error) {
      throw new ApiError(400, 'VALIDATION_ERROR', `body/allowedHosts/${index}: ${(error as Error).message}`);
    }
  });
  const problem = await checkSyntax(code.source, { form: code.form ?? undefined, language: code.language });
  if (!problem) return;
  const details: Record<string, unknown> = {};
  if (problem.line !== undefined) details.line = problem.line;
  if (problem.column !== undefined) details.column = problem.column;
  throw new ApiError(400, problem.code === 'SYNTAX_ERROR' ? 'SYNTAX_ERROR' : 'VALIDATION_ERROR', problem.message, { details });
}

// ---- ETag and If-Match (RFC 9110): two editors never overwrite each other silently ---------

const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ maxLength: 200, description: 'the ETag of the function as last read (or *): the change is made only if it is still that one, else 412' })),
});

/** A function's entity tag: its active version and when it last changed (a rollback changes both). */
function etagOf(fn: { version: number; updatedAt: string }): string {
  return `"v${fn.version}-${Date.parse(fn.updatedAt)}"`;
}

/** The state If-Match requires, or undefined when the header is absent or `*`; 412 at once when it names another. */
function ifMatch(header: string | undefined, current: FunctionRecord): { version: number; updatedAt: string } | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  // Strong comparison, as RFC 9110 asks of If-Match: a weak tag never matches.
  const tags = header.split(',').map((tag) => tag.trim());
  if (!tags.includes(etagOf(current))) throw staleError();
  return { version: current.version, updatedAt: current.updatedAt };
}

function staleError(): ApiError {
  return new ApiError(412, 'PRECONDITION_FAILED', 'the function changed since it was read (If-Match): read it again, then apply the change to what it is now');
}

/** The form a function runs as: the one it was given, or the one its source shows. */
function reportedForm(code: FunctionCode): { form: 'module' | 'script'; formDetected: boolean } {
  if (code.form !== null) return { form: code.form, formDetected: false };
  return { form: detectForm(code.source, undefined, code.language), formDetected: true };
}

function functionSummary(fn: FunctionRecord) {
  const { source: _source, userId: _userId, ...summary } = fn;
  return { ...summary, ...reportedForm(fn) };
}

function functionBody(fn: FunctionRecord) {
  const { userId: _userId, ...body } = fn;
  return { ...body, ...reportedForm(fn) };
}

function versionBody(version: FunctionVersion) {
  const { functionId: _functionId, ...body } = version;
  return { ...body, ...reportedForm(version) };
}
