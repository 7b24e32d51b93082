// A local stand-in for the hosts the docs' examples fetch (https://api.example.com): an HTTPS
// server on loopback with a self-signed certificate for that name, and a way to send a process's
// TLS connections for that name to it.
//
// Nothing in teejs changes for it. The redirection replaces `tls.connect` in the process that makes
// the requests (this test's own process for guest functions run by an in-process Engine; the
// `teejs serve` the test starts, through stand-in-preload.ts), and only for the stand-in's names:
// the connection goes to the stand-in's address and port, and trusts its certificate alone. The
// network policy still judges it as it would any request: the host must be allowed, and since
// the stand-in is on loopback, the engine or server must allow private addresses, which the test
// says explicitly where it configures them.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';

/** The names the stand-in answers for. */
export const standInHosts: readonly string[] = ['api.example.com'];

/** The price the stand-in's price API quotes (the docs' walkthrough shows 2 × 3120.5 = 6241). */
export const standInPrice = 3120.5;

const pem = readFileSync(new URL('./stand-in.pem', import.meta.url), 'latin1');
const certificate = pem.slice(pem.indexOf('-----BEGIN CERTIFICATE-----'));

export interface SeenRequest {
  method: string;
  host: string;
  path: string;
  authorization: string | undefined;
}

export interface StandIn {
  readonly address: StandInAddress;
  /** Every request that reached the stand-in, in order. */
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

export interface StandInAddress {
  host: string;
  port: number;
}

/** Starts the stand-in: every path answers JSON; paths ending in `/price` answer a price. */
export async function startStandIn(): Promise<StandIn> {
  const seen: SeenRequest[] = [];
  const server = https.createServer({ key: pem, cert: certificate }, (request, response) => {
    const url = new URL(request.url ?? '/', 'https://api.example.com');
    request.resume();
    request.on('end', () => {
      seen.push({ method: request.method ?? '', host: request.headers.host ?? '', path: url.pathname, authorization: request.headers.authorization });
      response.setHeader('content-type', 'application/json');
      if (url.pathname.endsWith('/price')) {
        response.end(JSON.stringify({ symbol: url.searchParams.get('symbol') ?? 'ETH', price: standInPrice }));
      } else {
        response.end(JSON.stringify({ ok: true, method: request.method, path: url.pathname }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: { host: '127.0.0.1', port },
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let installed = false;

/** Sends this process's TLS connections to the stand-in's names to `address`, trusting its certificate. */
export function routeToStandIn(address: StandInAddress): void {
  if (installed) throw new Error('the stand-in route is already installed in this process');
  installed = true;
  const connect = tls.connect;
  const patched = function (this: unknown, ...args: unknown[]) {
    const options = args[0];
    if (options !== null && typeof options === 'object') {
      const { servername, host } = options as tls.ConnectionOptions;
      const name = servername || host;
      if (typeof name === 'string' && standInHosts.includes(name.toLowerCase())) {
        args[0] = { ...options, host: address.host, port: address.port, servername: name, ca: [certificate] };
      }
    }
    return (connect as (...a: unknown[]) => tls.TLSSocket).apply(this, args);
  };
  (tls as { connect: unknown }).connect = patched;
}
