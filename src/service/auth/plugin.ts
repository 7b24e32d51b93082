// Who is calling: an API key in `Authorization: Bearer KEY` or `X-API-Key: KEY`. Identification
// runs first (so the rate limiter can count per key), the route's requirement is enforced
// before the body is read (so nobody unauthenticated makes the server parse anything).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Store } from '../../store/index.ts';
import { ApiError } from '../errors.ts';
import { hashApiKey, isPlausibleKey, sameHash } from './keys.ts';

export type Principal = { role: 'admin'; keyId: string | null } | { role: 'user'; userId: string; keyId: string };

/** What a route needs: nothing, an operator key, or a user's key. Routes default to 'user'. */
export type Access = 'public' | 'admin' | 'user';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** A public route that the rate limiter counts all the same (per address). */
    rateLimited?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface AuthOptions {
  store: Store;
  /** SHA-256 of TEEJS_ADMIN_KEY, when the operator set one. */
  adminKeyHash: string | undefined;
}

/** Writing last-used times at most this often per key keeps reads from turning into writes. */
const touchIntervalMs = 60_000;

export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  const lastTouched = new Map<string, number>();
  app.decorateRequest('principal', null);

  app.addHook('onRequest', async (request) => {
    if (request.is404 || accessOf(request) === 'public') return;
    const key = presentedKey(request);
    if (key === undefined) return;
    const hash = hashApiKey(key);
    if (options.adminKeyHash && sameHash(hash, options.adminKeyHash)) {
      request.principal = { role: 'admin', keyId: null };
      return;
    }
    const found = await options.store.findApiKey(hash);
    if (!found) return;
    request.principal = found.role === 'admin' || found.userId === null ? { role: 'admin', keyId: found.id } : { role: 'user', userId: found.userId, keyId: found.id };
    const now = Date.now();
    if ((lastTouched.get(found.id) ?? 0) + touchIntervalMs < now) {
      lastTouched.set(found.id, now);
      if (lastTouched.size > 100_000) lastTouched.clear();
      await options.store.touchApiKey(found.id, new Date(now).toISOString());
    }
  });

  app.addHook('preParsing', async (request) => {
    if (request.is404) return;
    const access = accessOf(request);
    if (access === 'public') return;
    if (!request.principal) {
      throw new ApiError(401, 'UNAUTHORIZED', 'a valid API key is required: send Authorization: Bearer KEY or X-API-Key: KEY', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    if (request.principal.role !== access) {
      throw new ApiError(
        403,
        'PERMISSION_DENIED',
        access === 'admin' ? 'this route needs the operator (admin) key' : 'this route needs a user key: the operator key manages users and keys only',
      );
    }
  });
}

function accessOf(request: FastifyRequest): Access {
  return request.routeOptions.config?.access ?? 'user';
}

function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  let key: string | undefined;
  if (typeof authorization === 'string') {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    key = match?.[1];
  } else {
    const header = request.headers['x-api-key'];
    key = typeof header === 'string' ? header.trim() : undefined;
  }
  return key !== undefined && isPlausibleKey(key) ? key : undefined;
}

/** The user id of a request that passed the 'user' access check. */
export function userIdOf(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal?.role !== 'user') throw new ApiError(403, 'PERMISSION_DENIED', 'this route needs a user key');
  return principal.userId;
}

export function keyIdOf(request: FastifyRequest): string | null {
  return request.principal?.keyId ?? null;
}
