// /v1/functions: a user's stored functions. Every update is a new version; a source that does
// not compile is refused when saved, with its line and column. The function's `version` is the
// active one (what runs); activating an older version is a rollback that rewrites no history.
// A function is one file (`source`) or a set of ES modules (`modules` by path, with an `entry`),
// judged whole when saved (module-set.ts: paths, size, imports inside the set, no cycle); the
// store keeps the entry's text as `source` and the others as `modules`, the engine's shape.
// Its `env` (non-secret configuration, core/env.ts) is versioned with the code.
import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { checkedEnv, checkLimit, checkModuleSet, checkSyntax, detectForm, detectLanguage, ExecutionFailure, limitBounds, LimitError, maxEnvEntries, maxEnvValueBytes, maxModules, parseHostPattern, secretLimits, type LimitName } from '../../core/index.ts';
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
  modules: Type.Unsafe<Record<string, string>>({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: `a function of several ES modules: every module's source by relative path ("main.js", "lib/util.js"), the entry's included; they import each other by relative specifiers ("./lib/util.js"). At most ${maxModules} modules; the whole set counts against the source limit`,
  }),
  entry: Type.String({ minLength: 1, maxLength: 200, description: 'with modules: the path of the entry module (default "main.js")' }),
  env: Type.Unsafe<Record<string, string>>({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: `non-secret configuration the function reads as context.env, versioned with the code: at most ${maxEnvEntries} names (letters, digits, _), each value a string of at most ${maxEnvValueBytes} bytes. Secrets belong in secrets, never here`,
  }),
};

const CreateFunction = Type.Object(
  {
    name: editable.name,
    source: Type.Optional(editable.source),
    modules: Type.Optional(editable.modules),
    entry: Type.Optional(editable.entry),
    env: Type.Optional(editable.env),
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

const UpdateFunction = Type.Partial(
  Type.Object({ ...editable, modules: nullable(editable.modules) }, { additionalProperties: false, description: 'modules: null makes it a one-file function again' }),
  { additionalProperties: false, minProperties: 1 },
);

const codeFields = {
  language: editable.language,
  form: stringEnum(['module', 'script'] as const, { description: 'how the source runs: as given, or as detected from it' }),
  formDetected: Type.Boolean({ description: 'true when form was detected from the source (it follows the source when that changes)' }),
  timeoutMs: Type.Integer(),
  memoryMb: Type.Integer(),
  allowedSecrets: Type.Array(Type.String()),
  allowedHosts: Type.Array(Type.String()),
  deterministic: Type.Boolean(),
  entry: nullable(Type.String({ description: 'a function of several modules: the path of its entry module; null for a one-file function' })),
};

/** What a function or version shows of its code beyond the summary. */
const codeBodyFields = {
  source: Type.String({ description: "the function's source; for a function of several modules, its entry module's" }),
  modules: nullable(
    Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' }, description: "every module's source by path, the entry's included; null for a one-file function" }),
  ),
  env: Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' }, description: 'non-secret configuration, read as context.env' }),
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

const FunctionBody = Type.Composite([FunctionSummary, Type.Object(codeBodyFields)], { $id: 'Function' });

const VersionBody = Type.Object({ version: Type.Integer(), ...codeFields, ...codeBodyFields, createdAt: Timestamp }, { $id: 'FunctionVersion' });

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
      const shape = createdShape(body);
      const code: FunctionCode = {
        ...shape,
        env: envOf(body.env),
        language: body.language ?? (shape.entry !== null ? detectLanguage(shape.entry, undefined) : 'javascript'),
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
      const { modules: _modules, entry: _entry, source: _source, env, ...rest } = request.body;
      const patch: FunctionPatch = { ...rest, ...updatedShape(request.body, current) };
      if (env !== undefined) patch.env = envOf(env);
      const touchesCode = ['source', 'modules', 'entry', 'language', 'form', 'timeoutMs', 'memoryMb', 'allowedHosts'].some((field) => field in request.body);
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
  if (code.modules === null) {
    const bytes = Buffer.byteLength(code.source, 'utf8');
    if (bytes > limits.maxSourceBytes) throw new ApiError(400, 'VALIDATION_ERROR', `body/source is ${bytes} bytes, over the limit of ${limits.maxSourceBytes}`);
  } else if (code.form === 'script') {
    throw new ApiError(400, 'VALIDATION_ERROR', 'body/form: a function of several modules is an ES module: form must be "module" (or absent)');
  }
  code.allowedHosts.forEach((host, index) => {
    try {
      parseHostPattern(host);
    } catch (error) {
      throw new ApiError(400, 'VALIDATION_ERROR', `body/allowedHosts/${index}: ${(error as Error).message}`);
    }
  });
  const problem =
    code.modules === null
      ? await checkSyntax(code.source, { form: code.form ?? undefined, language: code.language })
      : await checkModuleSet(code.source, code.modules, code.entry, { language: code.language, maxSourceBytes: limits.maxSourceBytes });
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

// ---- one file or a set of modules ---------------------------------------------------------

type CodeShape = Pick<FunctionCode, 'source' | 'modules' | 'entry'>;
type ShapeFields = { source?: string | undefined; modules?: Record<string, string> | null | undefined; entry?: string | undefined };

/** A new function's code: `source`, or `modules` with `entry` (exactly one of the two). */
function createdShape(body: ShapeFields): CodeShape {
  if (body.modules !== undefined && body.modules !== null) {
    if (body.source !== undefined) throw invalid('give either body/source (a one-file function) or body/modules (a set of modules), not both');
    return splitSet(body.modules, body.entry ?? 'main.js');
  }
  if (body.entry !== undefined) throw invalid('body/entry is only for a function with modules');
  if (body.source === undefined) throw invalid('body/source is required (or body/modules, for a function of several modules)');
  return { source: body.source, modules: null, entry: null };
}

/**
 * The code an update makes: `modules` replaces the whole set (keeping the entry's path when the
 * new set has it), `modules: null` makes a one-file function of the entry, `entry` alone picks
 * another entry of the set, `source` alone replaces the entry's (or the one file's) text.
 * Undefined fields of the answer are left as they are.
 */
function updatedShape(body: ShapeFields, current: FunctionCode): Partial<CodeShape> {
  if (body.modules !== undefined && body.modules !== null) {
    if (body.source !== undefined) throw invalid('give either body/source or body/modules, not both: modules holds the entry\'s source too');
    const keep = current.entry !== null && Object.hasOwn(body.modules, current.entry) ? current.entry : 'main.js';
    return splitSet(body.modules, body.entry ?? keep);
  }
  if (body.modules === null) {
    if (body.entry !== undefined) throw invalid('body/entry is only for a function with modules');
    return { source: body.source ?? current.source, modules: null, entry: null };
  }
  if (body.entry !== undefined) {
    if (current.modules === null || current.entry === null) throw invalid('body/entry is only for a function with modules: give body/modules');
    const set = splitSet({ ...current.modules, [current.entry]: current.source }, body.entry);
    return body.source === undefined ? set : { ...set, source: body.source };
  }
  return body.source === undefined ? {} : { source: body.source };
}

/** The stored shape of a set given whole: the entry's text as `source`, the others as `modules`. */
function splitSet(modules: Record<string, string>, entry: string): CodeShape {
  if (!Object.hasOwn(modules, entry)) {
    throw invalid(`body/modules has no module "${entry}", the entry: add it, or name the entry module with body/entry`);
  }
  const others: Record<string, string> = {};
  for (const [path, text] of Object.entries(modules)) if (path !== entry) Object.defineProperty(others, path, { value: text, enumerable: true, writable: true, configurable: true });
  return { source: modules[entry]!, modules: others, entry };
}

/** Every module by path, the entry's included (as the API shows and takes them); null for one file. */
function wholeSet(code: FunctionCode): Record<string, string> | null {
  if (code.modules === null || code.entry === null) return null;
  const set: Record<string, string> = {};
  Object.defineProperty(set, code.entry, { value: code.source, enumerable: true, writable: true, configurable: true });
  for (const [path, text] of Object.entries(code.modules)) Object.defineProperty(set, path, { value: text, enumerable: true, writable: true, configurable: true });
  return set;
}

function envOf(env: unknown): Record<string, string> {
  try {
    return checkedEnv(env, 'body/env');
  } catch (error) {
    if (error instanceof ExecutionFailure) throw invalid(error.message);
    throw error;
  }
}

function invalid(message: string): ApiError {
  return new ApiError(400, 'VALIDATION_ERROR', message);
}

/** The form a function runs as: the one it was given, or the one its source shows. */
function reportedForm(code: FunctionCode): { form: 'module' | 'script'; formDetected: boolean } {
  if (code.modules !== null) return { form: 'module', formDetected: code.form === null };
  if (code.form !== null) return { form: code.form, formDetected: false };
  return { form: detectForm(code.source, undefined, code.language), formDetected: true };
}

function functionSummary(fn: FunctionRecord) {
  const { source: _source, modules: _modules, env: _env, userId: _userId, ...summary } = fn;
  return { ...summary, ...reportedForm(fn) };
}

function functionBody(fn: FunctionRecord) {
  const { userId: _userId, ...body } = fn;
  return { ...body, modules: wholeSet(fn), ...reportedForm(fn) };
}

function versionBody(version: FunctionVersion) {
  const { functionId: _functionId, ...body } = version;
  return { ...body, modules: wholeSet(version), ...reportedForm(version) };
}
