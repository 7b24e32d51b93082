// Schemas shared by several routes. TypeBox builds the JSON Schemas that Fastify validates
// requests with and that the OpenAPI document shows.
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

/** Error answers a route documents, by status. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, Type.Ref('Error')]));
}

/** Text without NUL characters (PostgreSQL text cannot hold them). */
export const noNul = '^[^\\u0000]*$';

/** Ids this service issues are UUIDs; anything else (a NUL byte, a slash...) never reaches a query. */
export const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$' });

export const PageQuery = {
  limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|100)$', description: 'page size, 1 to 100 (default 20)' })),
  cursor: Type.Optional(Type.String({ maxLength: 32, description: 'nextCursor of the previous page' })),
};

export function pageSize(limit: string | undefined): number {
  return limit === undefined ? 20 : Number(limit);
}

export function pageOf<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: nullable(Type.String()) });
}

export const Timestamp = Type.String({ format: 'date-time' });
