// A loopback HTTP server for the fetch tests: JSON, echo, large and streamed bodies, slow
// answers, redirect chains and redirects to wherever a test says. It counts what reached it, so
// a test can prove that a refused request never connected.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface LoopbackServer {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly port: number;
  /** Every request that reached the server, in arrival order. */
  readonly seen: SeenRequest[];
  /** The most requests that were in progress at the same time. */
  readonly maxInFlight: () => number;
  /** Connections closed by the client before the answer was complete. */
  readonly abortedByClient: () => number;
  close(): Promise<void>;
}

export async function startLoopbackServer(): Promise<LoopbackServer> {
  const seen: SeenRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let aborted = 0;
  const sockets = new Set<import('node:net').Socket>();

  const server = http.createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        inFlight--;
      }
    };
    res.on('close', () => {
      if (!res.writableFinished) aborted++;
      finish();
    });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('latin1');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      route(req, res, body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  function route(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', origin);
    const path = url.pathname;
    if (path === '/json') {
      res.setHeader('content-type', 'application/json');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('x-multi', ['one', 'two']);
      res.end(JSON.stringify({ ok: true, method: req.method, query: url.search }));
    } else if (path === '/echo') {
      // The request as the server saw it: method, headers and body bytes (as hex).
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, headers: req.headers, bodyHex: Buffer.from(body, 'latin1').toString('hex') }));
    } else if (path === '/text') {
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end(url.searchParams.get('value') ?? 'héllo wörld €');
    } else if (path === '/bytes') {
      res.end(Buffer.from(url.searchParams.get('hex') ?? '', 'hex'));
    } else if (path === '/status') {
      res.statusCode = Number(url.searchParams.get('code') ?? 200);
      res.statusMessage = url.searchParams.get('text') ?? 'Custom';
      res.end();
    } else if (path === '/large') {
      // Declares its size: refused before the body is read.
      const size = Number(url.searchParams.get('size'));
      res.setHeader('content-length', String(size));
      res.end(Buffer.alloc(size, 0x61));
    } else if (path === '/stream') {
      // Chunked, no declared size: must be cut off while it streams in.
      const size = Number(url.searchParams.get('size'));
      const chunk = Buffer.alloc(64 * 1024, 0x62);
      let sent = 0;
      const push = () => {
        while (sent < size && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', push);
        }
        if (!res.destroyed) res.end();
      };
      push();
    } else if (path === '/slow') {
      const ms = Number(url.searchParams.get('ms') ?? 2000);
      const timer = setTimeout(() => res.end('late'), ms);
      res.on('close', () => clearTimeout(timer));
    } else if (path === '/redirect') {
      // /redirect?n=3 answers 302 three times, then /json; ?to=URL redirects there once.
      const n = Number(url.searchParams.get('n') ?? 0);
      const status = Number(url.searchParams.get('status') ?? 302);
      const to = url.searchParams.get('to');
      res.statusCode = status;
      res.setHeader('location', to ?? (n > 1 ? `/redirect?n=${n - 1}&status=${status}` : '/echo'));
      res.end('redirecting');
    } else if (path === '/reset') {
      // Headers, then the connection dies mid-body.
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    } else {
      res.statusCode = 404;
      res.end('not found');
    }
  }

  return {
    origin,
    port,
    seen,
    maxInFlight: () => maxInFlight,
    abortedByClient: () => aborted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
