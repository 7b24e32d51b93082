// fetch: the guest's web-standard fetch, Headers, Request and Response (headers.js, body.js,
// request.js, response.js, fetch.js, installed in that order), with every
// request made here, on the host side of the isolate, by undici under the network policy:
// allowed hosts, https only unless allowed, no private addresses (checked on the address
// connected to), bounded counts, sizes and times, each request recorded in `network`.
import { defineCapability, type Capability } from '../../capability.ts';
import { resolveNetworkPolicy, type NetworkOptions } from './policy.ts';
import { FetchSession } from './session.ts';
import { GuestError } from '../../failure.ts';

export function fetchCapability(options: NetworkOptions = {}): Capability {
  const policy = resolveNetworkPolicy(options);
  return defineCapability({
    name: 'fetch',
    guest: ['headers.js', 'body.js', 'request.js', 'response.js', 'fetch.js'].map((file) => new URL(`./${file}`, import.meta.url)),
    lazyGlobals: ['Headers', 'Request', 'Response', 'fetch'],
    // It reads URL, URLSearchParams, AbortSignal, EventTarget and TextDecoder while installing.
    after: ['web', 'encoding', 'url'],
    operations: { requests: ['send'], notices: ['abort'] },
    start(scope) {
      // Nothing is made until the guest's first fetch: executions that never fetch pay nothing.
      let session: FetchSession | null = null;
      const open = () => {
        session ??= new FetchSession(policy, scope, scope.networkAllowHosts);
        if (scope.signal.aborted) session.close();
        return session;
      };
      return {
        requests: {
          send: (request) => {
            // The network answers differently from one run to the next: a deterministic
            // execution (ext/determinism) may not ask it.
            if (scope.deterministic) return Promise.reject(new GuestError('TypeError', 'fetch is refused in a deterministic execution'));
            return open().send(request);
          },
        },
        notices: {
          abort: (id) => session?.abort(id),
        },
        close: () => session?.close(),
      };
    },
  });
}

export type { NetworkOptions } from './policy.ts';
