// Every error the API answers is `{ "error": { "code", "message" } }` with the right status.
// A client's mistake is a 4xx that says what was wrong; a failure of ours is a 500 that says
// nothing about our insides (the details go to the log, with the request id).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidCursorError } from '../store/index.ts';

export type ApiErrorCode =
  | 'VALIDATION_ERROR'
  | 'MALFORMED_JSON'
  | 'SYNTAX_ERROR'
  | 'UNAUTHORIZED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'URI_TOO_LONG'
  | 'RATE_LIMITED'
  | 'QUOTA_EXCEEDED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_ERROR';

export class ApiError extends Error {
  readonly statusCode: number;
  readonly code: ApiErrorCode;
  /** Extra fields of the error body (e.g. line and column of a SYNTAX_ERROR). */
  readonly details: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(statusCode: number, code: ApiErrorCode, message: string, extra: { details?: Record<string, unknown>; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.code = code;
    this.details = extra.details ?? {};
    this.headers = extra.headers ?? {};
  }
}

/** The one answer for "no such thing, or not yours": the two are never told apart. */
export function notFound(what: string): ApiError {
  return new ApiError(404, 'NOT_FOUND', `${what} not found`);
}

export function quotaExceeded(message: string, retryAfterSeconds: number): ApiError {
  return new ApiError(429, 'QUOTA_EXCEEDED', message, { headers: { 'retry-after': String(retryAfterSeconds) } });
}

const fastifyCodes: Record<string, { status: number; code: ApiErrorCode }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'MALFORMED_JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'MALFORMED_JSON' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'MALFORMED_JSON' },
};

export function sendError(reply: FastifyReply, status: number, code: string, message: string, details: Record<string, unknown> = {}): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ error: { code, message, ...details } });
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ApiError) {
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      return sendError(reply, error.statusCode, error.code, error.message, error.details);
    }
    if (error instanceof InvalidCursorError) return sendError(reply, 400, 'VALIDATION_ERROR', `querystring/cursor: ${error.message}`);
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      // Worded by validation.ts (the schemaErrorFormatter): "querystring/limit must be from 1 to 100".
      return sendError(reply, 400, 'VALIDATION_ERROR', fastifyError.message);
    }
    const known = fastifyError.code ? fastifyCodes[fastifyError.code] : undefined;
    if (known) return sendError(reply, known.status, known.code, clientMessage(known.code, fastifyError));
    // A JSON body that does not parse (secure-json-parse sets 400 on its SyntaxError).
    if (fastifyError.statusCode === 400 && error instanceof SyntaxError) {
      return sendError(reply, 400, 'MALFORMED_JSON', `the body is not valid JSON: ${error.message}`);
    }
    // The rate limiter throws a plain object built by rateLimitError below.
    if (fastifyError.statusCode === 429) return sendError(reply, 429, 'RATE_LIMITED', fastifyError.message);
    const status = fastifyError.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendError(reply, status, status === 404 ? 'NOT_FOUND' : 'VALIDATION_ERROR', fastifyError.message);
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, 500, 'INTERNAL_ERROR', `internal error (request ${request.id})`);
  });

  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
}

/** Errors of the router itself (a malformed or overlong URL), before any route runs. */
export function frameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void sendError(reply, 414, 'URI_TOO_LONG', 'a path parameter is longer than any id this service issues');
    return;
  }
  void sendError(reply, 400, 'VALIDATION_ERROR', 'the URL is malformed');
}

function clientMessage(code: ApiErrorCode, error: FastifyError): string {
  switch (code) {
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 'unsupported content type: send JSON with content-type: application/json';
    case 'PAYLOAD_TOO_LARGE':
      return 'the request body is larger than this service accepts';
    default:
      return error.message;
  }
}

/** What @fastify/rate-limit throws when a key is over its limit; Retry-After is set by it. */
export function rateLimitError(_request: FastifyRequest, context: { max: number; after: string; ttl: number }) {
  const error = new Error(`rate limit exceeded: at most ${context.max} requests per minute; retry in ${context.after}`) as Error & { statusCode: number };
  error.statusCode = 429;
  return error;
}
