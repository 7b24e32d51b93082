// The console's one way to the service: the typed client users get (teejs/client, openapi-fetch
// over the generated schema), with the key from the session, and what every screen needs done
// the same way with an error answer:
// - 401 (a key revoked or expired mid-session): back to sign-in, the key forgotten, drafts kept;
// - 429: a message saying when to retry (Retry-After), and no automatic retry;
// - the service not answering: the `online` flag drops and /health is probed with a growing
//   pause until it answers again; nothing is retried behind the user's back.
import { createClient, TeejsApiError, type TeejsClient } from '../client/index.ts';
import { forgetKey, storedKey } from './session.ts';
import { identity, online, signInReason, type Identity } from './state.ts';

/** An error to show: the service's answer, or the service not answering. */
export class ConsoleError extends Error {
  readonly status: number;
  readonly code: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** When a 429 may be retried (epoch ms). */
  readonly retryAt: number | undefined;
  /** The response's headers (an ETag with a 412...). */
  readonly headers: Headers | undefined;

  constructor(init: { status: number; code: string; message: string; line?: number | undefined; column?: number | undefined; retryAt?: number | undefined; headers?: Headers | undefined }) {
    super(init.message);
    this.name = 'ConsoleError';
    this.status = init.status;
    this.code = init.code;
    this.line = init.line;
    this.column = init.column;
    this.retryAt = init.retryAt;
    this.headers = init.headers;
  }
}

let client: TeejsClient | null = null;
let clientKey: string | null = null;

export function origin(): string {
  return location.origin;
}

/** The typed client with the session's key (or with `key`, to try one at sign-in). */
export function api(key?: string): TeejsClient {
  if (key !== undefined) return createClient({ baseUrl: origin(), apiKey: key, fetch: guardedFetch });
  const current = storedKey();
  if (client === null || clientKey !== current) {
    client = createClient({ baseUrl: origin(), apiKey: current ?? undefined, fetch: guardedFetch });
    clientKey = current;
  }
  return client;
}

/** fetch that turns "no answer at all" into the offline state and a ConsoleError. */
async function guardedFetch(request: Request): Promise<Response> {
  try {
    const response = await fetch(request);
    online.set(true);
    return response;
  } catch (error) {
    if (request.signal.aborted) throw error;
    wentOffline();
    throw new ConsoleError({ status: 0, code: 'OFFLINE', message: 'The service does not answer. Nothing was lost: the console will say when it is back.' });
  }
}

let probing = false;

function wentOffline(): void {
  online.set(false);
  if (probing) return;
  probing = true;
  let pauseMs = 1000;
  const probe = async () => {
    try {
      const response = await fetch(`${origin()}/health`, { cache: 'no-store' });
      if (response.ok) {
        probing = false;
        online.set(true);
        return;
      }
    } catch {
      // still away
    }
    pauseMs = Math.min(pauseMs * 1.5, 10_000);
    setTimeout(probe, pauseMs);
  };
  setTimeout(probe, pauseMs);
}

/** A key refused mid-session: back to sign-in, drafts kept. */
export function keyRefused(): void {
  if (identity.value === null) return;
  forgetKey();
  signInReason.set('Your key was refused (revoked or expired). Sign in again with a valid key: unsaved editor text is kept in this browser tab.');
  identity.set(null);
}

/** The data of a success; a ConsoleError otherwise (after the shared handling above). */
export async function call<Data>(pending: Promise<{ data?: Data; error?: unknown; response: Response }>): Promise<Data> {
  let answer: { data?: Data; error?: unknown; response: Response };
  try {
    answer = await pending;
  } catch (error) {
    if (error instanceof ConsoleError) throw error;
    throw new ConsoleError({ status: 0, code: 'CLIENT_ERROR', message: (error as Error)?.message ?? String(error) });
  }
  const { data, error, response } = answer;
  if (response.ok) return data as Data;
  throw errorOf(response, error);
}

export function errorOf(response: Response, body: unknown): ConsoleError {
  const apiError = new TeejsApiError(response.status, body, response.headers.get('x-request-id'));
  if (response.status === 401) keyRefused();
  let retryAt: number | undefined;
  let message = apiError.message;
  if (response.status === 429) {
    const seconds = Number(response.headers.get('retry-after') ?? '1');
    retryAt = Date.now() + (Number.isFinite(seconds) ? seconds : 1) * 1000;
    message = `${apiError.message}. You can try again at ${new Date(retryAt).toLocaleTimeString()}`;
  }
  return new ConsoleError({ status: response.status, code: apiError.code, message, line: apiError.line, column: apiError.column, retryAt, headers: response.headers });
}

/** A message for any error a screen caught. */
export function messageOf(error: unknown): string {
  if (error instanceof ConsoleError) return error.status === 0 || error.status >= 500 || error.status === 429 ? error.message : `${error.code}: ${error.message}`;
  return (error as Error)?.message ?? String(error);
}

/** Who a key belongs to: /v1/me answers a user key, and refuses the operator key with 403. */
export async function whoIs(key: string): Promise<Identity> {
  try {
    const me = await call(api(key).GET('/v1/me'));
    return { role: 'user', id: me.id, name: me.name };
  } catch (error) {
    if (error instanceof ConsoleError && error.status === 403) return { role: 'operator', id: 'operator', name: 'operator' };
    throw error;
  }
}
