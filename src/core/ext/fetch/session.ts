// One execution's fetches: the policy checks, the limits (requests, concurrency, body sizes,
// time), redirects followed hop by hop, and the network record. It owns its HTTP dispatcher
// (made on the first fetch, destroyed when the execution ends) and no process-wide state, so
// it works the same in the engine's process or in an executor process.
import type { Agent } from 'undici';
import type { ExecutionScope } from '../../capability.ts';
import { GuestError } from '../../failure.ts';
import type { NetworkRecord } from '../../types.ts';
import { AddressBlockedError, guardedConnector } from './connector.ts';
import { loadUndici } from './undici.ts';
import { headerRefusal, methodRefusal, urlRefusal, type HostPattern, type NetworkPolicy } from './policy.ts';

export interface WireRequest {
  id: number;
  url: string;
  method: string;
  headers: Array<[string, string]>;
  /** Bytes as a latin1 string (one character per byte), or null. */
  body: string | null;
  redirect: 'follow' | 'manual' | 'error';
}

export interface WireResponse {
  status: number;
  statusText: string;
  url: string;
  redirected: boolean;
  headers: Array<[string, string]>;
  /** Bytes as a latin1 string. */
  body: string;
}

const maxUrlLength = 64 * 1024;
const maxHeaderCount = 256;
const maxHeaderBytes = 64 * 1024;
const maxRecordedUrlLength = 2048;
const redirectStatuses: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const requestBodyHeaders = ['content-type', 'content-encoding', 'content-language', 'content-location'];
const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Header values: no NUL, CR or LF, one byte per character (what the guest's Headers enforce).
const headerValuePattern = /^[^\0\r\n\u0100-\uffff]*$/;
const latin1Pattern = /^[\0-\u00ff]*$/;

/** A request the guest may not make: a catchable TypeError in the guest. */
function refuse(message: string): GuestError {
  return new GuestError('TypeError', message);
}

/**
 * Validates what the guest sent as if an attacker wrote it. A body over `maxBodyBytes` is not
 * scanned: the request will be refused for its size.
 */
export function parseWireRequest(value: unknown, maxBodyBytes = Infinity): WireRequest {
  const invalid = (why: string) => refuse(`fetch: invalid request (${why})`);
  if (value === null || typeof value !== 'object') throw invalid('not an object');
  const wire = value as Record<string, unknown>;
  const { id, url, method, headers, body, redirect } = wire;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw invalid('id');
  if (typeof url !== 'string' || url.length > maxUrlLength) throw invalid(`url must be a string of at most ${maxUrlLength} characters`);
  if (typeof method !== 'string' || !tokenPattern.test(method) || method.length > 32) throw invalid('method');
  if (!Array.isArray(headers) || headers.length > maxHeaderCount) throw invalid(`at most ${maxHeaderCount} headers`);
  let headerBytes = 0;
  const pairs: Array<[string, string]> = [];
  for (const pair of headers) {
    if (!Array.isArray(pair) || pair.length !== 2) throw invalid('headers must be name/value pairs');
    const [name, text] = pair as unknown[];
    if (typeof name !== 'string' || !tokenPattern.test(name)) throw invalid('header name');
    if (typeof text !== 'string' || !headerValuePattern.test(text)) throw invalid(`value of header ${name}`);
    headerBytes += name.length + text.length;
    pairs.push([name.toLowerCase(), text]);
  }
  if (headerBytes > maxHeaderBytes) throw invalid(`headers larger than ${maxHeaderBytes} bytes`);
  if (body !== null && (typeof body !== 'string' || (body.length <= maxBodyBytes && !latin1Pattern.test(body)))) throw invalid('body');
  if (redirect !== 'follow' && redirect !== 'manual' && redirect !== 'error') throw invalid('redirect');
  return { id, url, method, headers: pairs, body, redirect };
}

/**
 * The URL as the network record keeps it: origin and path. Never credentials, the fragment or
 * the query, where API keys travel (`?apikey=...`) and which a record must not keep.
 */
export function recordedUrl(url: URL): string {
  const text = `${url.origin}${url.pathname}`;
  return text.length > maxRecordedUrlLength ? `${text.slice(0, maxRecordedUrlLength)}...` : text;
}

function flatHeaders(headers: Array<[string, string]>): string[] {
  const flat: string[] = [];
  for (const [name, value] of headers) flat.push(name, value);
  return flat;
}

function headerPairs(headers: Record<string, string | string[] | undefined>): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) pairs.push([name, item]);
  }
  return pairs;
}

type Exchange = { url: URL; method: string; headers: Array<[string, string]>; body: string | null };

export class FetchSession {
  readonly #policy: NetworkPolicy;
  readonly #scope: ExecutionScope;
  readonly #functionHosts: readonly HostPattern[] | null;
  #agent: Agent | null = null;
  #attempts = 0;
  #overLimitRecorded = false;
  #active = 0;
  readonly #queue: Array<() => void> = [];
  readonly #inFlight = new Map<number, AbortController>();
  #closed = false;

  constructor(policy: NetworkPolicy, scope: ExecutionScope, functionHosts: readonly HostPattern[] | null) {
    this.#policy = policy;
    this.#scope = scope;
    this.#functionHosts = functionHosts;
  }

  /** The guest's fetch: resolves with the final response or rejects with a guest TypeError. */
  async send(value: unknown): Promise<WireResponse> {
    const request = parseWireRequest(value, this.#policy.maxRequestBodyBytes);
    if (this.#closed) throw refuse('fetch: the execution has ended');
    if (this.#inFlight.has(request.id)) throw refuse('fetch: duplicate request id');
    const url = URL.parse(request.url);
    if (url === null) throw refuse(`Invalid URL: ${request.url.slice(0, 200)}`);
    const first: Exchange = { url, method: request.method, headers: request.headers, body: request.body };
    // Counted before it waits for a slot: a guest cannot pile up more waiting requests than it
    // may make, so the host's memory for them stays bounded.
    this.#count(first);
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, this.#scope.signal]);
    this.#inFlight.set(request.id, controller);
    try {
      await this.#slot(signal);
      try {
        return await this.#follow(first, request.redirect, signal);
      } finally {
        this.#release();
      }
    } finally {
      this.#inFlight.delete(request.id);
    }
  }

  /** The guest's AbortSignal fired: stop that request (the guest has already rejected it). */
  abort(id: unknown): void {
    if (typeof id === 'number') this.#inFlight.get(id)?.abort();
  }

  close(): void {
    this.#closed = true;
    for (const controller of this.#inFlight.values()) controller.abort();
    for (const wake of this.#queue.splice(0)) wake();
    const agent = this.#agent;
    this.#agent = null;
    agent?.destroy().catch(() => {
      // Sockets already gone: nothing left to release.
    });
  }

  // ---- concurrency -----------------------------------------------------------------------

  async #slot(signal: AbortSignal): Promise<void> {
    while (this.#active >= this.#policy.maxConcurrent) {
      await new Promise<void>((resolve) => {
        this.#queue.push(resolve);
        // An aborted waiter leaves the queue, so that a freed slot never goes to it.
        signal.addEventListener(
          'abort',
          () => {
            const index = this.#queue.indexOf(resolve);
            if (index !== -1) this.#queue.splice(index, 1);
            resolve();
          },
          { once: true },
        );
      });
      if (signal.aborted || this.#closed) throw refuse('fetch aborted');
    }
    this.#active++;
  }

  #release(): void {
    this.#active--;
    this.#queue.shift()?.();
  }

  // ---- redirects ---------------------------------------------------------------------------

  async #follow(first: Exchange, redirect: WireRequest['redirect'], signal: AbortSignal): Promise<WireResponse> {
    let exchange = first;
    for (let hops = 0; ; hops++) {
      const answer = await this.#exchange(exchange, signal, redirect !== 'manual');
      if (answer.next === null) return { ...answer.response, url: exchange.url.href.replace(/#.*$/, ''), redirected: hops > 0 };
      if (redirect === 'error') throw refuse(`redirect not allowed (redirect: "error"): ${answer.response.status} to ${answer.next}`);
      if (hops >= this.#policy.maxRedirects) throw refuse(`too many redirects: more than ${this.#policy.maxRedirects}`);
      exchange = this.#redirected(exchange, answer.response.status, answer.next);
      this.#count(exchange);
    }
  }

  /** Every request, redirect hops included, counts against maxRequests. */
  #count(exchange: Exchange): void {
    const limit = this.#policy.maxRequests;
    if (this.#attempts < limit) {
      this.#attempts++;
      return;
    }
    const message = `too many requests: the limit is ${limit} per execution`;
    // Only the first refusal is recorded: the record stays bounded however often a guest tries.
    if (!this.#overLimitRecorded) {
      this.#overLimitRecorded = true;
      const { url, method, body } = exchange;
      this.#scope.network.push({ method, url: recordedUrl(url), status: null, bytesIn: 0, bytesOut: body?.length ?? 0, durationMs: 0, blocked: message });
    }
    throw refuse(message);
  }

  /** The request to make after a redirect, as the Fetch standard's HTTP-redirect fetch says. */
  #redirected(previous: Exchange, status: number, location: string): Exchange {
    const url = URL.parse(location, previous.url.href);
    if (url === null) throw refuse(`invalid redirect location: ${location.slice(0, 200)}`);
    let { method, body, headers } = previous;
    if ((status === 303 && method !== 'GET' && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
      method = 'GET';
      body = null;
      headers = headers.filter(([name]) => !requestBodyHeaders.includes(name));
    }
    // Credentials meant for one origin do not follow a redirect to another.
    if (url.origin !== previous.url.origin) headers = headers.filter(([name]) => name !== 'authorization' && name !== 'cookie');
    return { url, method, headers, body };
  }

  // ---- one HTTP request --------------------------------------------------------------------

  async #exchange(exchange: Exchange, signal: AbortSignal, interceptRedirects: boolean): Promise<{ response: Omit<WireResponse, 'url' | 'redirected'>; next: string | null }> {
    const { url, method, headers, body } = exchange;
    const policy = this.#policy;
    const bytesOut = body === null ? 0 : body.length;
    const record: NetworkRecord = { method, url: recordedUrl(url), status: null, bytesIn: 0, bytesOut, durationMs: 0 };
    const started = performance.now();
    const finish = () => {
      record.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    };

    this.#scope.network.push(record);

    const blocked = (message: string): GuestError => {
      record.blocked = message;
      finish();
      return refuse(message);
    };
    const refusal =
      urlRefusal(url, policy, this.#functionHosts) ??
      methodRefusal(method, policy) ??
      headers.map(([name]) => headerRefusal(name)).find((why) => why !== null) ??
      ((method === 'GET' || method === 'HEAD') && body !== null ? `a ${method} request cannot have a body` : null) ??
      (bytesOut > policy.maxRequestBodyBytes ? `request body too large: ${bytesOut} bytes, the limit is ${policy.maxRequestBodyBytes}` : null);
    if (refusal !== null) throw blocked(refusal);
    const remaining = this.#scope.deadline - Date.now();
    if (remaining <= 0) throw blocked('the execution deadline has passed');
    const timeoutMs = Math.min(policy.requestTimeoutMs, remaining);
    const timeout = AbortSignal.timeout(timeoutMs);
    const hopSignal = AbortSignal.any([signal, timeout]);

    const outgoing: Array<[string, string]> = [...headers];
    if (!headers.some(([name]) => name === 'accept')) outgoing.push(['accept', '*/*']);
    if (!headers.some(([name]) => name === 'user-agent')) outgoing.push(['user-agent', 'teejs']);

    try {
      const response = await (await this.#dispatcher()).request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method,
        headers: flatHeaders(outgoing),
        body: body === null ? null : Buffer.from(body, 'latin1'),
        signal: hopSignal,
      });
      record.status = response.statusCode;
      // Destroying a body emits 'error' (aborted); with no listener that would end the process.
      response.body.on('error', ignore);
      const location = response.headers.location;
      const next = redirectStatuses.has(response.statusCode) && typeof location === 'string' && interceptRedirects ? location : null;
      if (next !== null) {
        // The body of a redirect is never read: drop it with its connection.
        response.body.destroy();
        finish();
        return { response: { status: response.statusCode, statusText: response.statusText ?? '', headers: [], body: '' }, next };
      }
      const declared = Number(response.headers['content-length']);
      if (declared > policy.maxResponseBodyBytes) {
        response.body.destroy();
        throw blocked(`response too large: ${declared} bytes declared, the limit is ${policy.maxResponseBodyBytes}`);
      }
      const chunks: Buffer[] = [];
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        record.bytesIn += chunk.length;
        if (record.bytesIn > policy.maxResponseBodyBytes) {
          response.body.destroy();
          throw blocked(`response too large: more than ${policy.maxResponseBodyBytes} bytes`);
        }
        chunks.push(chunk);
      }
      finish();
      return {
        response: {
          status: response.statusCode,
          statusText: response.statusText ?? '',
          headers: headerPairs(response.headers),
          body: Buffer.concat(chunks).toString('latin1'),
        },
        next: null,
      };
    } catch (error) {
      if (error instanceof GuestError) throw error;
      finish();
      if (error instanceof AddressBlockedError) throw blocked(error.message);
      if (timeout.aborted) {
        record.error = 'timeout';
        throw refuse(`request timed out after ${timeoutMs} ms: ${url.origin}`);
      }
      if (signal.aborted) {
        record.error = 'aborted';
        throw refuse('fetch aborted');
      }
      const code = networkErrorCode(error);
      record.error = code;
      throw refuse(`fetch failed: ${code} (${url.host})`);
    }
  }

  async #dispatcher(): Promise<Agent> {
    const { Agent, buildConnector } = await loadUndici();
    if (this.#agent === null) {
      const policy = this.#policy;
      this.#agent = new Agent({
        connect: guardedConnector(buildConnector, policy.allowPrivateNetwork, policy.lookup, Math.min(policy.requestTimeoutMs, 10_000)),
        headersTimeout: policy.requestTimeoutMs,
        bodyTimeout: policy.requestTimeoutMs,
      });
    }
    return this.#agent;
  }
}

function ignore(): void {
  // The error is already handled where the body is read or dropped.
}

/** A short, host-detail-free name for a network failure (ECONNREFUSED, CERT_HAS_EXPIRED, ...). */
function networkErrorCode(error: unknown): string {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{2,64}$/.test(code) && !code.startsWith('UND_ERR_')) return code;
    current = (current as { cause?: unknown }).cause;
  }
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,64}$/.test(code) ? code : 'network error';
}
