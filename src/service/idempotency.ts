// Idempotency-Key (IETF draft "The Idempotency-Key HTTP Header Field") on POST requests that
// create something: a client whose connection dropped retries with the same key and gets what
// the first request made, not a second one. Invariants:
// - a key is per user and lives 24 h from its first use; the store decides which request
//   holds it (one insert), so two retries racing on two nodes make one thing;
// - the key is bound to its request: the same key with another route or another body is a 422
//   (the draft's "key reused"); while the first request is still making its resource, a retry
//   gets a 409 (the draft's "request outstanding") and may retry;
// - a first request that fails before making anything (quota, validation, name taken) gives
//   the key back, so a retry can succeed later.
import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { IdempotencyEntry, Store } from '../store/index.ts';
import { ApiError } from './errors.ts';

export const idempotencyTtlMs = 24 * 60 * 60 * 1000;

/** The header, documented and length-checked by the route schema; its content is checked here. */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      maxLength: 257,
      description: 'makes a retry safe (24 h, per user): a structured-field string, e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324" (unquoted accepted)',
    }),
  ),
});

/** The key of a request, if it has one; a 400 naming the header when it is malformed. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? undefined : raw.trim();
  // An sf-string is quoted; many clients send the bare value, which is accepted too.
  const key = value !== undefined && /^"[^"\\]*"$/.test(value) ? value.slice(1, -1) : value;
  if (key === undefined || !/^[\x21-\x7e][\x20-\x7e]{0,254}$/.test(key) || key.includes('"')) {
    throw new ApiError(400, 'VALIDATION_ERROR', 'headers/idempotency-key must be one string of 1 to 255 printable ASCII characters, e.g. a UUID');
  }
  return key;
}

/** SHA-256 of the body as canonical JSON (keys sorted): the same request, however encoded. */
export function fingerprintOf(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export type Reservation = { first: true; release(): Promise<void> } | { first: false; resourceId: string };

/**
 * Reserves `key` for this request making `resourceId`, or answers the resource the first
 * request with it made; throws 422 when the key was used for another request.
 */
export async function reserve(store: Store, request: { userId: string; key: string; scope: string; body: unknown; resourceId: string }): Promise<Reservation> {
  const now = Date.now();
  const entry: IdempotencyEntry = {
    userId: request.userId,
    key: request.key,
    scope: request.scope,
    fingerprint: fingerprintOf(request.body),
    resourceId: request.resourceId,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + idempotencyTtlMs).toISOString(),
  };
  const reserved = await store.reserveIdempotencyKey(entry);
  if (reserved.reserved) return { first: true, release: () => store.releaseIdempotencyKey(request.userId, request.key) };
  const existing = reserved.existing;
  if (existing.scope !== entry.scope || existing.fingerprint !== entry.fingerprint) {
    throw new ApiError(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request (another route or body) in the last 24 h: use a new key for a new request');
  }
  return { first: false, resourceId: existing.resourceId };
}

/** The first request with the key has not made its resource yet (or it is gone): retry. */
export function outstanding(): ApiError {
  return new ApiError(409, 'CONFLICT', 'the request first made with this Idempotency-Key is still being processed (retry shortly), or what it made was deleted since', { headers: { 'retry-after': '1' } });
}
