// Schemas shared by several routes. TypeBox builds the JSON Schemas that Fastify validates
// requests with and that the OpenAPI document shows. A schema added with app.addSchema has a
// `$id`, which is its component name in the document (and so its type name in the generated
// client): choose it as a public name.
import { Type, type TSchema } from '@sinclair/typebox';

/** A string enum as plain JSON Schema (`enum`), which every OpenAPI tool understands. */
export function stringEnum<const T extends readonly string[]>(values: T, options: { description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export function nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'machine-readable: VALIDATION_ERROR, NOT_FOUND, QUOTA_EXCEEDED...' }),
      message: Type.String(),
      line: Type.Optional(Type.Integer({ description: 'SYNTAX_ERROR: 1-based line' })),
      column: Type.Optional(Type.Integer({ description: 'SYNTAX_ERROR: 1-based column' })),
    }),
  },
  { $id: 'Error', description: 'Every error answer' },
);

/** What each error status means here; the description of that response in the document. */
export const errorStatuses: Readonly<Record<number, string>> = {
  400: 'VALIDATION_ERROR, MALFORMED_JSON or SYNTAX_ERROR: the request is wrong; the message names the field',
  401: 'UNAUTHORIZED: no valid API key',
  403: 'PERMISSION_DENIED: the key may not use this route (an operator key on a user route, or the reverse)',
  404: 'NOT_FOUND: no such thing, or not yours',
  409: 'CONFLICT: the name is taken',
  412: 'PRECONDITION_FAILED: If-Match names a state the resource is no longer in',
  413: 'PAYLOAD_TOO_LARGE: the body is larger than the server accepts',
  414: 'URI_TOO_LONG: a path parameter is longer than any id this service issues',
  415: 'UNSUPPORTED_MEDIA_TYPE: send JSON with content-type: application/json',
  429: 'RATE_LIMITED or QUOTA_EXCEEDED: wait for Retry-After seconds, or free something first',
  500: 'INTERNAL_ERROR: a failure of the service (the message has the request id)',
  503: 'SERVICE_UNAVAILABLE: the server is shutting down; retry after Retry-After seconds',
};

/** Error answers a route documents, by status, each the shared Error schema. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, errorResponse(status)]));
}

export function errorResponse(status: number): TSchema {
  return Type.Ref('Error', { description: errorStatuses[status] ?? 'an error' });
}

/** Text without NUL characters (PostgreSQL text cannot hold them). */
export const noNul = '^[^\\u0000]*$';

/** Ids this service issues are UUIDs; anything else (a NUL byte, a slash...) never reaches a query. */
export const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$', description: 'an id this service issued' });

/**
 * A query or path parameter that is a whole number. Query strings and paths carry text, and ajv
 * coerces nothing here (a body's "5" stays a string and is refused); the validation module turns
 * a parameter of digits into its number before the schema judges it (see ./validation.ts).
 */
export function IntegerParam(options: { minimum: number; maximum: number; description?: string; default?: number }) {
  return Type.Integer(options);
}

export const PageQuery = {
  limit: Type.Optional(IntegerParam({ minimum: 1, maximum: 100, default: 20, description: 'page size, 1 to 100 (default 20)' })),
  cursor: Type.Optional(Type.String({ maxLength: 32, description: 'nextCursor of the previous page' })),
};

export function pageSize(limit: number | undefined): number {
  return limit ?? 20;
}

export function pageOf<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: nullable(Type.String()) });
}

export const Timestamp = Type.String({ format: 'date-time' });
