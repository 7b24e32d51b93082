// The OpenAPI 3.1 document, generated from the routes' TypeBox schemas, at /openapi.json, and
// an interactive page at /docs. It is the source of the typed client (src/client/), so it is
// written for code generators: every operation has an operationId and tags, schemas added with
// app.addSchema are components named by their $id, and every response an operation can give is
// listed, each error with the shared Error schema.
//
// Invariant: the answers that cross-cutting plugins give to any route (401/403 of auth, 429 of
// the rate limiter, 400/414 of validation and routing, 413/415 of the body parser, 500 of the
// error handler, 503 while shutting down) are added here, from the route's access and schema,
// so that a route only lists its own (404, 409, a quota's 429). test/service/openapi.test.ts
// fails when an operation lacks an operationId, a declared tag or these responses.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { errorResponse } from '../schemas.ts';

/** Every tag an operation may use, with what it groups; an undeclared tag fails the test. */
export const tags = [
  { name: 'functions', description: 'Stored functions: source, limits, allowed secrets and hosts; every change is a new version' },
  { name: 'executions', description: 'Running a function (synchronously or in the background) and its execution history, with logs and network records' },
  { name: 'secrets', description: 'Encrypted secrets functions may read by name; values are never answered' },
  { name: 'users and keys', description: 'Tenants and their API keys: the operator manages users, a user their own keys' },
  { name: 'schedules', description: 'Cron schedules that run a function at each tick, each tick once across all nodes' },
  { name: 'webhooks', description: 'Endpoints outside systems call without a teejs key (a token or an HMAC signature) to run a function' },
  { name: 'attestation', description: "Verifying results offline: each node's receipt-signing keys over time, and attestation documents that bind a key to a nonce and the machine (a TEE quote where there is one); no key needed" },
  { name: 'operations', description: 'Liveness, readiness and metrics for operators and load balancers (no key needed)' },
];

/** The address `teejs serve` listens on by default; clients pass their own base URL. */
export const defaultServer = { url: 'http://127.0.0.1:8080', description: "a local `teejs serve` on its default address; use your server's URL" };

/** Registers the document generator; call before any route is added. */
export async function installOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'teejs',
        version,
        description: 'Run untrusted, multi-tenant JavaScript functions in fresh, hardened V8 isolates: stored functions, encrypted secrets, execution history.',
      },
      servers: [defaultServer],
      tags,
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer API_KEY' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    // Shared schemas become components named by their $id (Error, Function, Execution...), not def-0.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, index) => (typeof json.$id === 'string' ? json.$id : `def-${index}`),
    },
    transform: ({ schema, url, route }) => {
      const access = route.config?.access ?? 'user';
      const transformed = { schema: { ...schema }, url } as { schema: Record<string, unknown>; url: string };
      // Public routes need no key: say so in the document.
      if (access === 'public') transformed.schema.security = [];
      if (schema && !schema.hide) transformed.schema.response = withRetryAfter({ ...commonResponses(access, schema as Record<string, unknown>), ...(schema.response as object | undefined) });
      return transformed;
    },
  });
  // The documentation pages are public, like the document itself.
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) route.config = { ...route.config, access: 'public' };
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' }, uiHooks: {}, logLevel: 'warn' });
  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
}

/** 429 and 503 always carry Retry-After; the document says so (for the document only: this never reaches the serializer). */
function withRetryAfter(responses: Record<string, unknown>): Record<string, unknown> {
  const retryAfter = { 'retry-after': { type: 'integer', description: 'seconds to wait before retrying' } };
  for (const status of ['429', '503']) {
    const response = responses[status] as Record<string, unknown> | undefined;
    if (response?.$ref === 'Error') responses[status] = { ...response, headers: retryAfter };
  }
  return responses;
}

/** The error answers any route gives by its access and the parts of the request it reads. */
function commonResponses(access: string, schema: Record<string, unknown>): Record<number, unknown> {
  const statuses = [500, 503];
  if (access !== 'public') statuses.push(401, 403, 429);
  if (schema.body || schema.querystring || schema.params) statuses.push(400);
  if (schema.params) statuses.push(414);
  if (schema.body) statuses.push(413, 415);
  return Object.fromEntries(statuses.sort().map((status) => [status, errorResponse(status)]));
}
