// Webhooks: POST /v1/hooks/{hookId} runs a function for an outside system that has no teejs
// key. Invariants:
// - the hook id (192 random bits) only finds the hook; the request must also prove the hook's
//   secret: `Authorization: Bearer SECRET` (auth 'token'), or an HMAC-SHA256 of
//   `TIMESTAMP.BODY` keyed with the secret in `X-Teejs-Signature: t=TIMESTAMP,v1=HEX` (auth
//   'hmac', the Stripe style), the timestamp within 5 minutes of now against replays. A
//   refusal is a 401, runs nothing, and is recorded in the hook's audit (and the log);
// - every hook has its own rate limit per minute (per node), checked before anything else is
//   done for the request; the per-key rate limit does not apply (there is no key);
// - the function gets `{ method, headers, query, body }` as params, without the credentials
//   (authorization, cookies, the signature); the body is parsed JSON when sent as JSON, text
//   otherwise, up to the body limit;
// - the result becomes the response: `{ status, headers, body }` when the function returns an
//   object with a numeric `status`, else 200 with the result as JSON. A failed execution is a
//   502 with its error code; the execution is in the history with trigger 'webhook'.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Hook } from '../../store/index.ts';
import { userIdOf } from '../auth/plugin.ts';
import type { ServiceContext } from '../context.ts';
import { ApiError, notFound, quotaExceeded, sendError } from '../errors.ts';
import { errors, Id, stringEnum, Timestamp } from '../schemas.ts';

/** Hooks one user may have. */
export const maxHooksPerUser = 100;
/** How far a signature's timestamp may be from now. */
export const signatureWindowSeconds = 300;
/** Request headers a function never sees: credentials of the caller or of the hook. */
const hiddenHeaders = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-teejs-signature', 'x-api-key']);
/** Response headers a function may not set: framing and hop-by-hop ones are the server's. */
const reservedHeaders = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer', 'te']);

const CreateHook = Type.Object(
  {
    auth: Type.Optional(stringEnum(['token', 'hmac'] as const, { description: "token: Authorization: Bearer SECRET; hmac: X-Teejs-Signature: t=UNIX_SECONDS,v1=hex(HMAC-SHA256(SECRET, t + '.' + body)) (default token)" })),
    ratePerMinute: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000, description: 'requests a minute this hook accepts, per node (default 60)' })),
  },
  { additionalProperties: false },
);

const HookBody = Type.Object(
  {
    id: Type.String(),
    functionId: Type.String(),
    url: Type.String({ description: 'the path outside systems POST to' }),
    auth: stringEnum(['token', 'hmac'] as const),
    ratePerMinute: Type.Integer(),
    createdAt: Timestamp,
  },
  { $id: 'Hook' },
);
const NewHookBody = Type.Composite([HookBody, Type.Object({ secret: Type.String({ description: 'shown this once' }) })]);
const Rejection = Type.Object({ at: Timestamp, reason: Type.String(), remote: Type.String() });

const FunctionParams = Type.Object({ id: Id });
const HookParams = Type.Object({ id: Id, hookId: Id });
const CallParams = Type.Object({ hookId: Id });

export async function hookRoutes(app: FastifyInstance, context: ServiceContext): Promise<void> {
  const { store, vault } = context;
  app.addSchema(HookBody);
  const tags = ['webhooks'];

  app.post<{ Params: Static<typeof FunctionParams>; Body: Static<typeof CreateHook> | undefined }>(
    '/functions/:id/hooks',
    {
      schema: { tags, operationId: 'createHook', summary: 'Give a function a webhook endpoint (the secret is shown once)', params: FunctionParams, body: CreateHook, response: { 201: NewHookBody, ...errors(400, 401, 404, 415, 429) } },
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
    },
    async (request, reply) => {
      const userId = userIdOf(request);
      const fn = await store.getFunction(userId, request.params.id);
      if (!fn) throw notFound('function');
      const id = randomBytes(24).toString('base64url');
      const secret = randomBytes(32).toString('base64url');
      const created = await store.createHook(
        { id, userId, functionId: fn.id, auth: request.body?.auth ?? 'token', secret: vault.seal(userId, sealName(id), secret), ratePerMinute: request.body?.ratePerMinute ?? 60, createdAt: new Date().toISOString() },
        { maxPerUser: maxHooksPerUser },
      );
      if (!created.ok) throw quotaExceeded(`quota exceeded: at most ${maxHooksPerUser} webhooks per user; delete one first`, 60);
      return reply.code(201).header('location', `/v1/hooks/${id}`).send({ ...hookBody(created.value), secret });
    },
  );

  app.get<{ Params: Static<typeof FunctionParams> }>(
    '/functions/:id/hooks',
    { schema: { tags, operationId: 'listHooks', summary: "A function's webhooks (without secrets)", params: FunctionParams, response: { 200: Type.Object({ items: Type.Array(Type.Ref('Hook')) }), ...errors(401, 404) } } },
    async (request) => {
      const userId = userIdOf(request);
      const fn = await store.getFunction(userId, request.params.id);
      if (!fn) throw notFound('function');
      return { items: (await store.listHooks(userId, fn.id)).map(hookBody) };
    },
  );

  app.delete<{ Params: Static<typeof HookParams> }>(
    '/functions/:id/hooks/:hookId',
    { schema: { tags, operationId: 'deleteHook', summary: 'Delete a webhook', params: HookParams, response: { 204: Type.Null(), ...errors(401, 404) } } },
    async (request, reply) => {
      if (!(await store.deleteHook(userIdOf(request), request.params.id, request.params.hookId))) throw notFound('webhook');
      return reply.code(204).send();
    },
  );

  app.get<{ Params: Static<typeof HookParams> }>(
    '/functions/:id/hooks/:hookId/rejections',
    { schema: { tags, operationId: 'listHookRejections', summary: 'Requests to a webhook refused for their credentials, newest first (the last 100)', params: HookParams, response: { 200: Type.Object({ items: Type.Array(Rejection) }), ...errors(401, 404) } } },
    async (request) => {
      const userId = userIdOf(request);
      const hook = await store.findHook(request.params.hookId);
      if (!hook || hook.userId !== userId || hook.functionId !== request.params.id) throw notFound('webhook');
      return { items: (await store.listHookRejections(userId, hook.id, 100)).map(({ at, reason, remote }) => ({ at, reason, remote })) };
    },
  );

  await app.register(async (calls) => {
    // The raw body, whatever its type: the signature is over its exact bytes.
    calls.removeAllContentTypeParsers();
    calls.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    const limiter = new HookRateLimiter();
    calls.post<{ Params: Static<typeof CallParams>; Querystring: Record<string, string> }>(
      '/hooks/:hookId',
      {
        config: { access: 'public' as const },
        schema: { tags, operationId: 'callHook', summary: "Call a function's webhook (no teejs key: the hook's token or signature)", params: CallParams, response: { '2xx': { description: "the function's result as the response: its status (200-599), headers and body; any other result is a 200 with it as JSON", content: { '*/*': { schema: {} } } }, ...errors(400, 401, 404, 413, 429, 502) } },
      },
      (request, reply) => callHook(context, limiter, request, reply),
    );
  });
}

async function callHook(
  { store, vault, runner, config }: ServiceContext,
  limiter: HookRateLimiter,
  request: FastifyRequest<{ Params: { hookId: string }; Querystring: Record<string, string> }>,
  reply: FastifyReply,
) {
  const hook = await store.findHook(request.params.hookId);
  if (!hook) throw notFound('webhook');
  const wait = limiter.take(hook.id, hook.ratePerMinute);
  if (wait > 0) throw new ApiError(429, 'RATE_LIMITED', `this webhook accepts at most ${hook.ratePerMinute} requests a minute`, { headers: { 'retry-after': String(wait) } });
  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const refused = checkCredentials(hook, vault.unseal(hook.userId, sealName(hook.id), hook.secret), request, raw);
  if (refused) {
    await store.recordHookRejection({ hookId: hook.id, at: new Date().toISOString(), reason: refused, remote: request.ip });
    request.log.warn({ hookId: hook.id, reason: refused }, 'webhook request refused');
    throw new ApiError(401, 'UNAUTHORIZED', `webhook credentials refused: ${refused}`);
  }
  const fn = await store.getFunction(hook.userId, hook.functionId);
  if (!fn) throw notFound('webhook');
  let body: unknown = raw.toString('utf8');
  if (/^application\/(.+\+)?json\b/.test(request.headers['content-type'] ?? '') && raw.length > 0) {
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      throw new ApiError(400, 'MALFORMED_JSON', `the body is not valid JSON: ${(error as Error).message}`);
    }
  }
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !hiddenHeaders.has(name)));
  const params = { method: request.method, headers, query: { ...request.query }, body };
  const submitted = await runner.submit(fn, params, false, { trigger: 'webhook' });
  if (!submitted.ok) throw quotaExceeded(`quota exceeded: at most ${config.quotas.concurrentExecutionsPerUser} executions running or queued per user`, 1);
  const execution = submitted.execution;
  reply.header('x-teejs-execution-id', execution.id);
  if (execution.status !== 'success') {
    return sendError(reply, 502, execution.error?.code ?? 'INTERNAL_ERROR', `the function failed: ${execution.error?.code ?? execution.status}`);
  }
  return answer(reply, execution.result);
}

/** Why the request's credentials are refused, or undefined when they hold. */
function checkCredentials(hook: Hook, secret: string, request: FastifyRequest, raw: Buffer): string | undefined {
  if (hook.auth === 'token') {
    const given = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (given === undefined) return 'no token (Authorization: Bearer ...)';
    return sameText(given, secret) ? undefined : 'wrong token';
  }
  const header = request.headers['x-teejs-signature'];
  if (typeof header !== 'string') return 'no signature (X-Teejs-Signature: t=...,v1=...)';
  const parts = Object.fromEntries(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const t = parts.t;
  if (t === undefined || !/^\d{1,12}$/.test(t) || parts.v1 === undefined) return 'malformed signature header';
  if (Math.abs(Date.now() / 1000 - Number(t)) > signatureWindowSeconds) return `signature timestamp outside the ${signatureWindowSeconds} s window`;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(raw).digest('hex');
  return sameText(parts.v1, expected) ? undefined : 'bad signature';
}

/** Constant-time comparison of two strings of any lengths. */
function sameText(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** The function's result as the HTTP answer (see the file header for the shape). */
function answer(reply: FastifyReply, result: unknown) {
  if (result !== null && typeof result === 'object' && !Array.isArray(result) && typeof (result as { status?: unknown }).status === 'number') {
    const shaped = result as { status: number; headers?: unknown; body?: unknown };
    if (!Number.isInteger(shaped.status) || shaped.status < 200 || shaped.status > 599) {
      return sendError(reply, 502, 'INVALID_RESPONSE', 'the function returned a status outside 200-599');
    }
    if (shaped.headers !== null && typeof shaped.headers === 'object') {
      for (const [name, value] of Object.entries(shaped.headers as Record<string, unknown>)) {
        if (typeof value === 'string' && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) && !reservedHeaders.has(name.toLowerCase()) && !/[\r\n]/.test(value)) reply.header(name, value);
      }
    }
    reply.code(shaped.status);
    if (typeof shaped.body === 'string') {
      if (!reply.hasHeader('content-type')) reply.type('text/plain; charset=utf-8');
      return reply.send(shaped.body);
    }
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(shaped.body ?? null));
  }
  return reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify(result ?? null));
}

function sealName(hookId: string): string {
  return `hook:${hookId}`;
}

function hookBody(hook: Hook) {
  return { id: hook.id, functionId: hook.functionId, url: `/v1/hooks/${hook.id}`, auth: hook.auth, ratePerMinute: hook.ratePerMinute, createdAt: hook.createdAt };
}

/** A fixed window per hook and minute, on this node. */
class HookRateLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();

  /** 0 when the request may go; else the seconds until the hook's next window. */
  take(hookId: string, perMinute: number): number {
    const now = Date.now();
    let window = this.#windows.get(hookId);
    if (!window || now - window.start >= 60_000) {
      if (this.#windows.size > 10_000) this.#windows.clear();
      window = { start: now, count: 0 };
      this.#windows.set(hookId, window);
    }
    if (window.count >= perMinute) return Math.max(1, Math.ceil((window.start + 60_000 - now) / 1000));
    window.count++;
    return 0;
  }
}
