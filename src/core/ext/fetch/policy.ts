// The network policy of guest fetches: which URLs, methods and headers a request may use.
// The operator sets the defaults (EngineOptions.network); a function or a single execution may
// narrow the host allow-list (ExecutionRequest.network), never widen it: a host must match
// both lists.
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import type { FunctionNetworkPolicy } from '../../types.ts';

export interface NetworkOptions {
  /**
   * Hosts guest code may fetch from: exact names (`api.example.com`), IP literals, wildcards
   * (`*.example.com`: any subdomain, on a dot boundary, not example.com itself) or `*` (any
   * host; private addresses stay blocked). Default: none, so fetch refuses every URL.
   */
  allowHosts?: readonly string[];
  /** Allow plain `http:` URLs; https only by default. */
  allowHttp?: boolean;
  /** Allow loopback, RFC 1918, CGNAT and unique-local addresses (metadata addresses never). */
  allowPrivateNetwork?: boolean;
  /** Request methods allowed (default GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS). */
  methods?: readonly string[];
  /** Requests per execution, redirect hops included (default 50). */
  maxRequests?: number;
  /** Requests in flight at once per execution; more wait their turn (default 6). */
  maxConcurrent?: number;
  /** Bytes of one request body (default 1 MiB). */
  maxRequestBodyBytes?: number;
  /** Bytes of one response body, counted while it streams in (default 5 MiB). */
  maxResponseBodyBytes?: number;
  /** Time of one request, each hop, never past the execution's deadline (default 10 s). */
  requestTimeoutMs?: number;
  /** Redirects followed per fetch (default 5). */
  maxRedirects?: number;
  /** Resolves host names (default: the system resolver). Every address it returns is checked. */
  lookup?: LookupFunction;
}

export type HostPattern = { kind: 'any' } | { kind: 'exact'; host: string } | { kind: 'subdomains'; suffix: string };

export interface NetworkPolicy {
  readonly allowHosts: readonly HostPattern[];
  readonly allowHttp: boolean;
  readonly allowPrivateNetwork: boolean;
  readonly methods: ReadonlySet<string>;
  readonly maxRequests: number;
  readonly maxConcurrent: number;
  readonly maxRequestBodyBytes: number;
  readonly maxResponseBodyBytes: number;
  readonly requestTimeoutMs: number;
  readonly maxRedirects: number;
  readonly lookup: LookupFunction | undefined;
}

const defaultMethods: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

// ---- host patterns ----------------------------------------------------------------------------

/** The host part of a URL as the allow-list compares it: lower case, no trailing dot. */
function comparableHost(hostname: string): string {
  const host = hostname.toLowerCase();
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** Parses one allow-list entry; throws a TypeError that says what is wrong with it. */
export function parseHostPattern(pattern: unknown): HostPattern {
  if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > 253) {
    throw new TypeError(`invalid host pattern ${JSON.stringify(pattern)}: expected a host name of 1 to 253 characters`);
  }
  if (pattern === '*') return { kind: 'any' };
  const wildcard = pattern.startsWith('*.');
  const rest = wildcard ? pattern.slice(2) : pattern;
  // The WHATWG host parser normalises case, IDN and IP spellings exactly as request URLs get them.
  const url = URL.parse(`http://${rest}/`);
  if (!url || rest.includes('*') || url.host !== url.hostname || url.pathname !== '/' || url.username || url.search || url.hash) {
    throw new TypeError(`invalid host pattern ${JSON.stringify(pattern)}: expected a host name, *.domain or * (no scheme, port or path)`);
  }
  const host = comparableHost(url.hostname);
  if (!wildcard) return { kind: 'exact', host };
  if (host.startsWith('[') || isIP(host) !== 0) {
    throw new TypeError(`invalid host pattern ${JSON.stringify(pattern)}: a wildcard needs a domain name`);
  }
  return { kind: 'subdomains', suffix: `.${host}` };
}

export function parseHostPatterns(list: unknown, what: string): HostPattern[] {
  if (!Array.isArray(list)) throw new TypeError(`${what} must be an array of host patterns`);
  if (list.length > 1000) throw new TypeError(`${what} has more than 1000 host patterns`);
  return list.map((pattern) => parseHostPattern(pattern));
}

/** Whether `hostname` (a URL's hostname) matches one of `patterns`. */
export function hostMatches(hostname: string, patterns: readonly HostPattern[]): boolean {
  const host = comparableHost(hostname);
  const literal = host.startsWith('[') || isIP(host) !== 0;
  return patterns.some((pattern) => {
    if (pattern.kind === 'any') return true;
    if (pattern.kind === 'exact') return pattern.host === host;
    // Dot boundary: `*.example.com` matches `a.example.com`, never `evil-example.com`.
    return !literal && host.endsWith(pattern.suffix) && host.length > pattern.suffix.length;
  });
}

// ---- the operator's policy ------------------------------------------------------------------

function positiveInteger(name: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > max) throw new TypeError(`network.${name} must be an integer from 0 to ${max}`);
  return value;
}

/** The operator's network options with defaults filled in; throws a TypeError on a bad option. */
export function resolveNetworkPolicy(options: NetworkOptions = {}): NetworkPolicy {
  const methods = options.methods ?? defaultMethods;
  if (!Array.isArray(methods) || !methods.every((m) => typeof m === 'string' && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(m))) {
    throw new TypeError('network.methods must be an array of method names');
  }
  if (options.lookup !== undefined && typeof options.lookup !== 'function') throw new TypeError('network.lookup must be a function');
  return Object.freeze({
    allowHosts: Object.freeze(parseHostPatterns(options.allowHosts ?? [], 'network.allowHosts')),
    allowHttp: options.allowHttp === true,
    allowPrivateNetwork: options.allowPrivateNetwork === true,
    methods: new Set(methods.map((m) => m.toUpperCase())),
    maxRequests: positiveInteger('maxRequests', options.maxRequests, 50, 100_000),
    maxConcurrent: Math.max(1, positiveInteger('maxConcurrent', options.maxConcurrent, 6, 1000)),
    maxRequestBodyBytes: positiveInteger('maxRequestBodyBytes', options.maxRequestBodyBytes, 1024 * 1024, 1024 ** 3),
    maxResponseBodyBytes: positiveInteger('maxResponseBodyBytes', options.maxResponseBodyBytes, 5 * 1024 * 1024, 1024 ** 3),
    requestTimeoutMs: Math.max(1, positiveInteger('requestTimeoutMs', options.requestTimeoutMs, 10_000, 15 * 60_000)),
    maxRedirects: positiveInteger('maxRedirects', options.maxRedirects, 5, 20),
    lookup: options.lookup,
  });
}

/**
 * Checks a request's `network` field (the function's own narrowing) and returns its host
 * patterns, or null when it narrows nothing. Throws a TypeError describing a bad field.
 */
export function parseFunctionNetwork(value: unknown): HostPattern[] | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new TypeError('network must be an object such as { "allowHosts": ["api.example.com"] }');
  const extra = Object.keys(value).filter((key) => key !== 'allowHosts');
  if (extra.length > 0) throw new TypeError(`network: unknown field ${JSON.stringify(extra[0])} (a function can only narrow allowHosts)`);
  const { allowHosts } = value as FunctionNetworkPolicy;
  return allowHosts === undefined ? null : parseHostPatterns(allowHosts, 'network.allowHosts');
}

// ---- per request ------------------------------------------------------------------------------

// Ports browsers refuse to fetch from (the Fetch standard's "bad ports"): other protocols
// listen there, and an HTTP request to them is a classic way to abuse a server-side fetch.
const badPorts: ReadonlySet<number> = new Set([
  0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111,
  113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554,
  556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666,
  6667, 6668, 6669, 6679, 6697, 10080,
]);

/**
 * Why the policy refuses `url`, or null when it may be requested. `functionHosts` is the
 * function's own narrowing (null: none).
 */
export function urlRefusal(url: URL, policy: NetworkPolicy, functionHosts: readonly HostPattern[] | null): string | null {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `unsupported URL scheme: ${url.protocol}`;
  if (url.protocol === 'http:' && !policy.allowHttp) return `http not allowed (https only): ${url.origin}`;
  if (url.username || url.password) return 'URL credentials not allowed';
  if (url.port && badPorts.has(Number(url.port))) return `port not allowed: ${url.port}`;
  if (!hostMatches(url.hostname, policy.allowHosts)) return `host not allowed: ${url.hostname}`;
  if (functionHosts && !hostMatches(url.hostname, functionHosts)) return `host not allowed: ${url.hostname} (not in the function's allow-list)`;
  return null;
}

// Headers the client itself owns (framing, connection, proxies): a guest setting them could
// smuggle requests or reach a proxy's other targets.
const forbiddenHeaders: ReadonlySet<string> = new Set([
  'host', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'content-length', 'expect',
  'http2-settings', 'proxy-authorization', 'proxy-connection',
]);

export function headerRefusal(name: string): string | null {
  const lower = name.toLowerCase();
  if (forbiddenHeaders.has(lower) || lower.startsWith('proxy-')) return `forbidden request header: ${lower}`;
  return null;
}

export function methodRefusal(method: string, policy: NetworkPolicy): string | null {
  return policy.methods.has(method.toUpperCase()) ? null : `method not allowed: ${method}`;
}
