// url: URL and URLSearchParams. Parsing is done on the host by Node's WHATWG URL parser (ada),
// which is exact and already here; the guest's URL class (guest.js) holds the components as
// plain strings and asks the host again only when a setter changes one. URLSearchParams is
// guest JavaScript: it needs no parser beyond form-urlencoding.
import { defineCapability } from '../../capability.ts';
import { GuestError } from '../../failure.ts';

const settable: ReadonlySet<string> = new Set(['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash']);

interface UrlComponents {
  href: string;
  origin: string;
  protocol: string;
  username: string;
  password: string;
  host: string;
  hostname: string;
  port: string;
  pathname: string;
  search: string;
  hash: string;
}

function urlComponents(url: URL): UrlComponents {
  return {
    href: url.href,
    origin: url.origin,
    protocol: url.protocol,
    username: url.username,
    password: url.password,
    host: url.host,
    hostname: url.hostname,
    port: url.port,
    pathname: url.pathname,
    search: url.search,
    hash: url.hash,
  };
}

function urlText(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new GuestError('TypeError', `URL: ${what} must be a string`);
  const { maxUrlLength } = urlCapability.limits;
  if (value.length > maxUrlLength) throw new GuestError('TypeError', `URL: ${what} is longer than ${maxUrlLength} characters`);
  return value;
}

export const urlCapability = defineCapability({
  name: 'url',
  guest: new URL('./guest.js', import.meta.url),
  lazyGlobals: ['URL', 'URLSearchParams'],
  // URLSearchParams percent-encodes through TextEncoder and TextDecoder.
  after: ['encoding'],
  operations: { calls: ['parse', 'set'] },
  limits: {
    /** Longer inputs are refused rather than copied and parsed (data: URLs are the long ones). */
    maxUrlLength: 2 * 1024 * 1024,
  },
  start() {
    return {
      calls: {
        /** Components of `input` resolved against `base`, or null when it is not a valid URL. */
        parse(input, base) {
          const text = urlText(input, 'the input');
          const baseText = base === null ? undefined : urlText(base, 'the base');
          const url = URL.parse(text, baseText);
          return url ? urlComponents(url) : null;
        },
        /** Components after one setter; null when a new href is not a valid URL. */
        set(href, key, value) {
          const current = URL.parse(urlText(href, 'the URL'));
          if (current === null) throw new GuestError('TypeError', 'URL: invalid URL');
          if (typeof key !== 'string' || !settable.has(key)) throw new GuestError('TypeError', 'URL: unknown component');
          const text = urlText(value, 'the value');
          if (key === 'href') {
            const next = URL.parse(text);
            return next ? urlComponents(next) : null;
          }
          (current as unknown as Record<string, string>)[key] = text;
          return urlComponents(current);
        },
      },
    };
  },
});
