// Builds the service's Fastify app from its configuration, store and executor, without
// listening: `teejs serve` listens, tests listen on a loopback port of their own. One plugin
// per concern; cross-cutting ones (errors, auth, rate limits, metrics, OpenAPI) apply to all.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import rateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Attestor } from '../attestation/document.ts';
import { SigningKey } from '../attestation/keys.ts';
import type { Executor } from '../executor/executor.ts';
import type { Store } from '../store/index.ts';
import { hashApiKey } from './auth/keys.ts';
import { installAuth } from './auth/plugin.ts';
import type { ServiceConfig } from './config.ts';
import type { ServiceContext } from './context.ts';
import { attestationRoutes } from './attestation/routes.ts';
import { adminRoutes } from './admin/routes.ts';
import { usageRoutes } from './users/usage.ts';
import { consoleRoutes } from './console/routes.ts';
import { ApiError, frameworkError, installErrorHandling, rateLimitError } from './errors.ts';
import { executionRoutes } from './executions/routes.ts';
import { ExecutionRunner } from './executions/runner.ts';
import { logStreamRoutes } from './executions/log-stream.ts';
import { functionRoutes } from './functions/routes.ts';
import { syntaxCheckRoutes } from './functions/syntax-check.ts';
import { healthRoutes } from './health/routes.ts';
import { hookRoutes } from './hooks/routes.ts';
import { ServiceMetrics } from './metrics/metrics.ts';
import { installOpenApi } from './openapi/plugin.ts';
import { ErrorBody } from './schemas.ts';
import { scheduleRoutes } from './schedules/routes.ts';
import { ScheduleTicker } from './schedules/ticker.ts';
import { secretRoutes } from './secrets/routes.ts';
import type { SecretVault } from './secrets/vault.ts';
import { userRoutes } from './users/routes.ts';
import { coerceIntegerParams, formatValidationErrors } from './validation.ts';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;


/** The security headers of every answer of the service (see consoleSecurityHeaders for /console). */
export const serviceSecurityHeaders: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};
export interface AppOptions {
  config: ServiceConfig;
  store: Store;
  vault: SecretVault;
  executor: Executor;
  /** The node's receipt-signing key (server.ts loads it from the store); a fresh one when absent. */
  signingKey?: SigningKey;
  /** Attestation documents (tests give one over a fake configfs-tsm tree); from the configuration when absent. */
  attestor?: Attestor;
  /** A pino logger, or pino options; silent when absent. */
  logger?: FastifyBaseLogger | Record<string, unknown> | false;
}

export interface ServiceApp {
  app: FastifyInstance;
  context: ServiceContext;
  /** The package version, as nodes register it. */
  version: string;
}

/** Routes that keep answering while the server drains: load balancers watch them. */
const operationRoutes = new Set(['/health', '/ready', '/metrics']);

/** A client's request id is kept only when it is short and plain (it ends up in our logs). */
const plainRequestId = /^[\w.:-]{1,64}$/;

export async function buildApp(options: AppOptions): Promise<ServiceApp> {
  const { config, store, vault, executor } = options;
  const loggerOption = options.logger === undefined || options.logger === false ? { level: 'silent' } : options.logger;
  const app = Fastify({
    ...(isLoggerInstance(loggerOption) ? { loggerInstance: loggerOption } : { logger: { ...loggerOption, redact: ['req.headers.authorization', 'req.headers["x-api-key"]'] } }),
    bodyLimit: config.bodyLimitBytes,
    logController: new OneLinePerRequest(),
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && plainRequestId.test(given) ? given : randomUUID();
    },
    // Params are data: a key named __proto__ or constructor is kept as an ordinary key (never
    // merged into an object), not refused.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    // Our own 503 while closing (below), in the service's error format.
    return503OnClosing: false,
    frameworkErrors: frameworkError,
    // verbose: a failure carries its schema, whose bounds and description the message quotes.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, verbose: true } },
    schemaErrorFormatter: formatValidationErrors,
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Every answer, errors included: never sniffed into another type, never framed, never
    // naming this service in a Referer. The console's answers add their own, stricter set.
    for (const [name, value] of Object.entries(serviceSecurityHeaders)) if (!reply.hasHeader(name)) reply.header(name, value);
  });
  // JSON only: text/plain (which Fastify parses by default) becomes a 415.
  app.removeContentTypeParser('text/plain');

  const metrics = new ServiceMetrics({ executor, running: () => runner.running });
  const attestation = { key: options.signingKey ?? SigningKey.generate(), attestor: options.attestor ?? new Attestor({ tsmPath: config.tsmPath, collateralPath: config.quoteCollateral }) };
  const runner: ExecutionRunner = new ExecutionRunner({ config, store, executor, vault, metrics, signingKey: attestation.key, log: app.log });
  const ticker = new ScheduleTicker({ store, config, log: app.log, onQueued: () => runner.wake() });
  const context: ServiceContext = { config, store, vault, executor, runner, ticker, metrics, attestation, lifecycle: { ready: false, closing: false } };

  installErrorHandling(app);
  app.addHook('preValidation', coerceIntegerParams);
  app.addHook('onRequest', async (request, reply) => {
    if (!context.lifecycle.closing || operationRoutes.has(request.routeOptions.url ?? '')) return;
    reply.header('connection', 'close');
    throw new ApiError(503, 'SERVICE_UNAVAILABLE', 'the server is shutting down; retry shortly', { headers: { 'retry-after': '5' } });
  });
  app.addSchema(ErrorBody);
  metrics.instrument(app);
  installAuth(app, { store, adminKeyHash: config.adminKey === undefined ? undefined : hashApiKey(config.adminKey) });
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    // Per key once identified, per address before (so guessing keys is limited too).
    keyGenerator: (request) => (request.principal ? `key:${request.principal.keyId ?? 'operator'}` : `ip:${request.ip}`),
    // Public routes are not counted, except those that cost the platform (a TEE quote).
    allowList: (request) => request.routeOptions.config?.access === 'public' && request.routeOptions.config?.rateLimited !== true,
    errorResponseBuilder: rateLimitError,
  });
  await installOpenApi(app, version);

  await app.register(healthRoutes, context);
  await app.register(consoleRoutes);
  await app.register(
    async (v1) => {
      await v1.register(userRoutes, context);
      await v1.register(functionRoutes, context);
      await v1.register(syntaxCheckRoutes, context);
      await v1.register(executionRoutes, context);
      await v1.register(logStreamRoutes, context);
      await v1.register(scheduleRoutes, context);
      await v1.register(hookRoutes, context);
      await v1.register(secretRoutes, context);
      await v1.register(attestationRoutes, context);
      await v1.register(adminRoutes, context);
      await v1.register(usageRoutes, context);
    },
    { prefix: '/v1' },
  );
  await app.ready();
  return { app, context, version };
}

/**
 * Fastify logs a line when a request comes in and another when it is answered: here one line,
 * written when it is answered, says both (method, URL, address; status, time taken), which
 * halves the synchronous log writes per request. Errors are logged as Fastify logs them.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

function isLoggerInstance(value: unknown): value is FastifyBaseLogger {
  return typeof value === 'object' && value !== null && typeof (value as FastifyBaseLogger).child === 'function';
}
