// How a request that does not fit its schema is told so: one sentence that names the field as
// the client wrote it ("querystring/limit must be from 1 to 100", "body: unknown field `foo`"),
// never ajv's wording of a regular expression or a schema path.
//
// Invariants:
// - ajv coerces nothing (a body's "5" is not the number 5). Query strings and paths are text,
//   though: a parameter whose schema is an integer and whose text is digits is made its number
//   before validation (coerceIntegerParams), and nothing else is converted.
// - The formatter reads only the failing schema and the error's position, never the value, so
//   no secret a client sent ends up in a message or a log.
import type { FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { noNul } from './schemas.ts';

type SchemaPart = 'body' | 'querystring' | 'params' | 'headers';

interface AjvError extends FastifySchemaValidationError {
  /** With ajv's `verbose` option: the schema that holds the failing keyword. */
  parentSchema?: Record<string, unknown>;
}

const digits = /^-?[0-9]{1,15}$/;

/** preValidation hook: query and path parameters of digits become numbers where the schema wants an integer. */
export async function coerceIntegerParams(request: FastifyRequest): Promise<void> {
  const schema = request.routeOptions.schema;
  if (!schema) return;
  coerce(request.query, schema.querystring);
  coerce(request.params, schema.params);
}

function coerce(values: unknown, schema: unknown): void {
  if (values === null || typeof values !== 'object') return;
  const properties = (schema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties;
  if (!properties) return;
  const record = values as Record<string, unknown>;
  for (const [name, property] of Object.entries(properties)) {
    const value = record[name];
    if (property?.type === 'integer' && typeof value === 'string' && digits.test(value)) record[name] = Number(value);
  }
}

/** Fastify's schemaErrorFormatter: the first failure, in words. */
export function formatValidationErrors(errors: FastifySchemaValidationError[], part: string): Error {
  return new Error(describeValidationErrors(errors as AjvError[], part as SchemaPart));
}

export function describeValidationErrors(errors: AjvError[], part: SchemaPart): string {
  // A union (a nullable field) fails with one error per branch, then `anyOf`: say all branches.
  const union = errors.find((error) => error.keyword === 'anyOf');
  if (union) {
    const branches = errors.filter((error) => error !== union && error.instancePath === union.instancePath && error.keyword !== 'anyOf');
    if (branches.length > 0) return `${field(part, union.instancePath)} ${branches.map(requirement).join(', or ')}`;
  }
  const first = errors[0];
  if (!first) return `${part} is not valid`;
  return sentence(first, part);
}

function sentence(error: AjvError, part: SchemaPart): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${field(part, `${error.instancePath}/${String(params.missingProperty)}`)} is required`;
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      if (part === 'querystring' && error.instancePath === '') return `unknown query parameter \`${name}\``;
      return `${field(part, error.instancePath)}: unknown field \`${name}\``;
    }
    case 'pattern': {
      const description = error.parentSchema?.description;
      if (params.pattern === noNul) return `${field(part, error.instancePath)} must not contain NUL characters`;
      return `${field(part, error.instancePath)} is not valid${typeof description === 'string' ? `: ${description}` : ''}`;
    }
    default:
      return `${field(part, error.instancePath)} ${requirement(error)}`;
  }
}

/** What the value must be, as the end of a sentence that starts with the field's name. */
function requirement(error: AjvError): string {
  const params = error.params as Record<string, unknown>;
  const schema = error.parentSchema ?? {};
  switch (error.keyword) {
    case 'type':
      return typeRequirement(String(params.type), schema);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return range(schema) ?? `must be ${String(params.comparison)} ${String(params.limit)}`;
    case 'minLength':
      return params.limit === 1 ? 'must not be empty' : `must have at least ${String(params.limit)} characters`;
    case 'maxLength':
      return `must have at most ${String(params.limit)} characters`;
    case 'minItems':
      return `must have at least ${String(params.limit)} items`;
    case 'maxItems':
      return `must have at most ${String(params.limit)} items`;
    case 'uniqueItems':
      return `must not list the same value twice (items ${String(params.j)} and ${String(params.i)})`;
    case 'minProperties':
      return params.limit === 1 ? 'must have at least one field' : `must have at least ${String(params.limit)} fields`;
    case 'maxProperties':
      return `must have at most ${String(params.limit)} fields`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'format':
      return params.format === 'date-time' ? 'must be a date and time as in RFC 3339 (2026-01-31T12:00:00Z)' : `must be a ${String(params.format)}`;
    case 'pattern':
      return typeof schema.description === 'string' ? `must be ${schema.description}` : 'is not in the expected form';
    default:
      return error.message ?? 'is not valid';
  }
}

function typeRequirement(type: string, schema: Record<string, unknown>): string {
  switch (type) {
    case 'integer':
      return `must be a whole number${range(schema)?.replace(/^must be/, '') ?? ''}`;
    case 'number':
      return `must be a number${range(schema)?.replace(/^must be/, '') ?? ''}`;
    case 'string':
      return 'must be a string';
    case 'boolean':
      return 'must be true or false';
    case 'object':
      return 'must be a JSON object';
    case 'array':
      return 'must be an array';
    case 'null':
      return 'must be null';
    default:
      return `must be of type ${type}`;
  }
}

function range(schema: Record<string, unknown>): string | undefined {
  const { minimum, maximum } = schema;
  if (typeof minimum === 'number' && typeof maximum === 'number') return `must be from ${minimum} to ${maximum}`;
  if (typeof minimum === 'number') return `must be at least ${minimum}`;
  if (typeof maximum === 'number') return `must be at most ${maximum}`;
  return undefined;
}

/** "body/name", "querystring/limit", "params/id"; the whole part when the path is empty. */
function field(part: SchemaPart, instancePath: string): string {
  const path = instancePath
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  return [part, ...path].join('/');
}
