// /console: the web console, static files served by the service itself (no other server). It is
// a client of the public API like any other: the pages need no key, every request they make
// carries the user's key, so the console can never do more than that key allows.
//
// Invariants: every answer under /console (a file, a 304, a 404) carries the security headers
// below, among them a Content-Security-Policy that lets the page load and call nothing but this
// service (no inline script, no other host); the files are built once (the package ships them
// in ./static/, a checkout bundles src/console/ in memory at the first request) and never change
// while the server runs.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError } from '../errors.ts';
import { bundleConsole, type ConsoleFile } from './bundle.ts';

/** What the browser may do with a console page: load and call this origin only. */
export const consoleContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The security headers of every console answer. */
export const consoleSecurityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': consoleContentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Served {
  contents: Buffer;
  type: string;
  etag: string;
}

const builtDir = fileURLToPath(new URL('./static/', import.meta.url));

/** One bundle per process (a checkout): every app built in it serves the same files. */
let bundled: Promise<ConsoleFile[]> | undefined;

/** The built files: the package's, or a bundle of the sources made now (a checkout). */
async function loadFiles(): Promise<Map<string, Served>> {
  let files: ConsoleFile[];
  if (existsSync(builtDir)) {
    const names = await readdir(builtDir);
    files = await Promise.all(names.map(async (name) => ({ name, contents: await readFile(path.join(builtDir, name)) })));
  } else {
    bundled ??= bundleConsole().catch((error: unknown) => {
      bundled = undefined; // a failed build is tried again at the next request
      throw error;
    });
    files = await bundled;
  }
  return new Map(
    files.map((file) => {
      const contents = Buffer.from(file.contents);
      const etag = `"${createHash('sha256').update(contents).digest('base64url').slice(0, 22)}"`;
      return [file.name, { contents, type: contentTypes[path.extname(file.name)] ?? 'application/octet-stream', etag }];
    }),
  );
}

export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  let files: Promise<Map<string, Served>> | undefined;
  const filesOnce = () => {
    files ??= loadFiles().catch((error: unknown) => {
      files = undefined; // a failed build is tried again at the next request
      throw error;
    });
    return files;
  };

  app.addHook('onSend', async (_request, reply) => {
    for (const [name, value] of Object.entries(consoleSecurityHeaders)) reply.header(name, value);
  });

  const options = { config: { access: 'public' as const }, schema: { hide: true } };
  const send = async (name: string, ifNoneMatch: string | undefined, reply: FastifyReply) => {
    const file = (await filesOnce()).get(name);
    if (!file) throw new ApiError(404, 'NOT_FOUND', 'no such file in the console');
    // no-cache: the browser asks again each time and gets a 304 while the file is the same.
    reply.header('cache-control', 'no-cache').header('etag', file.etag);
    if (ifNoneMatch === file.etag) return reply.code(304).send();
    return reply.type(file.type).send(file.contents);
  };
  app.get('/console', options, (request, reply) => send('index.html', request.headers['if-none-match'], reply));
  app.get<{ Params: { '*': string } }>('/console/*', options, (request, reply) => send(request.params['*'] || 'index.html', request.headers['if-none-match'], reply));
}
