// fetch: the guest's web-standard fetch, Headers, Request and Response (guest.js), with every
// request made here, on the host side of the isolate, by undici under the network policy:
// allowed hosts, https only unless allowed, no private addresses (checked on the address
// connected to), bounded counts, sizes and times, each request recorded in `network`.
import { guestScript, type Capability } from '../../capability.ts';
import { parseHostPatterns, resolveNetworkPolicy, type NetworkOptions } from './policy.ts';
import { FetchSession } from './session.ts';

export function fetchCapability(options: NetworkOptions = {}): Capability {
  const policy = resolveNetworkPolicy(options);
  return {
    name: 'fetch',
    ...guestScript(new URL('./guest.js', import.meta.url)),
    start(scope) {
      // Nothing is made until the guest's first fetch: executions that never fetch pay nothing.
      let session: FetchSession | null = null;
      const open = () => {
        // The engine has validated the function's own list (ExecutionRequest.network).
        const functionHosts = scope.networkAllowHosts ? parseHostPatterns(scope.networkAllowHosts, 'network.allowHosts') : null;
        return (session ??= new FetchSession(policy, scope, functionHosts));
      };
      return {
        requests: {
          send: (request) => open().send(request),
        },
        notices: {
          abort: (id) => session?.abort(id),
        },
        close: () => session?.close(),
      };
    },
  };
}

export type { NetworkOptions } from './policy.ts';
