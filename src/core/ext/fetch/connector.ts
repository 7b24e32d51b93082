// The socket side of the address check: undici's own connector, given a DNS lookup that drops
// refused addresses before anything connects, an IP-literal check for hosts that need no
// lookup, and a last look at the socket's remote address once it is connected.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { buildConnector } from 'undici';
import { addressRefusal } from './address.ts';

/** A connection the policy refused; the fetch turns it into a guest TypeError. */
export class AddressBlockedError extends Error {
  constructor(host: string, address: string, category: string) {
    super(host === address ? `private address blocked: ${address} (${category})` : `private address blocked: ${host} resolves to ${address} (${category})`);
    this.name = 'AddressBlockedError';
  }
}

/** A lookup that answers only with addresses the policy allows (all of them refused: an error). */
function guardedLookup(allowPrivateNetwork: boolean, resolve: LookupFunction = dnsLookup as LookupFunction): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number | string; hints?: number }, callback: (...args: unknown[]) => void) => {
    const family = options?.family;
    resolve(hostname, { all: true, ...(family ? { family } : {}), ...(options?.hints ? { hints: options.hints } : {}) } as never, ((
      error: NodeJS.ErrnoException | null,
      found: LookupAddress[] | string,
      foundFamily?: number,
    ) => {
      if (error) return callback(error);
      const addresses: LookupAddress[] = typeof found === 'string' ? [{ address: found, family: foundFamily ?? isIP(found) }] : found;
      const allowed = addresses.filter((entry) => addressRefusal(entry.address, allowPrivateNetwork) === null);
      if (allowed.length === 0) {
        const first = addresses[0];
        if (!first) return callback(Object.assign(new Error(`no address found for ${hostname}`), { code: 'ENOTFOUND' }));
        return callback(new AddressBlockedError(hostname, first.address, addressRefusal(first.address, allowPrivateNetwork) ?? 'refused'));
      }
      if (options?.all) return callback(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    }) as never);
  }) as LookupFunction;
}

export type Connector = buildConnector.connector;

/**
 * A connector for one execution's dispatcher. `connectTimeoutMs` bounds the TCP and TLS
 * handshake; the request's own timeout bounds everything else.
 */
export function guardedConnector(
  build: typeof buildConnector,
  allowPrivateNetwork: boolean,
  resolve: LookupFunction | undefined,
  connectTimeoutMs: number,
): Connector {
  const base = build({ lookup: guardedLookup(allowPrivateNetwork, resolve), timeout: connectTimeoutMs });
  return (options, callback) => {
    // An IP literal needs no lookup, so it is checked here (decimal and hex spellings were
    // already turned into dotted form by the URL parser).
    const host = options.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0) {
      const refusal = addressRefusal(host, allowPrivateNetwork);
      if (refusal !== null) return callback(new AddressBlockedError(host, host, refusal), null);
    }
    base(options, (error, socket) => {
      if (error || !socket) return callback(error ?? new Error('connection failed'), null);
      // Whatever path the socket took, the address it is connected to is what counts.
      const remote = socket.remoteAddress;
      const refusal = remote ? addressRefusal(remote, allowPrivateNetwork) : 'unknown address';
      if (refusal !== null) {
        socket.destroy();
        return callback(new AddressBlockedError(host, remote ?? 'unknown', refusal), null);
      }
      callback(null, socket);
    });
  };
}
