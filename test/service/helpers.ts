// A real service on a loopback port, in a fresh data directory, and a small HTTP client for it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/service/config.ts';
import { startService, type RunningService } from '../../src/service/server.ts';

export interface TestService {
  url: string;
  adminKey: string;
  dataDir: string;
  service: RunningService;
  api: Api;
  close(): Promise<void>;
}

/** Starts the service with guest code in-process (fast to start); `flags` as on the command line. */
export async function startTestService(flags: string[] = [], env: Record<string, string> = {}): Promise<TestService> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'teejs-service-'));
  const config = loadConfig(['--data-dir', dataDir, '--port', '0', '--executors', '0', '--shutdown-grace', '5000', ...flags], env);
  const service = await startService(config);
  const adminKey = env.TEEJS_ADMIN_KEY ?? service.bootstrapAdminKey;
  if (!adminKey) throw new Error('no operator key');
  return {
    url: service.url,
    adminKey,
    dataDir,
    service,
    api: new Api(service.url),
    async close() {
      await service.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface RequestOptions {
  key?: string | undefined;
  /** JSON-encoded unless `raw` is given. */
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export class Api {
  readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  async request(method: string, route: string, options: RequestOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.url}${route}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  get(route: string, key?: string) {
    return this.request('GET', route, { key });
  }
  post(route: string, key: string | undefined, body: unknown = {}) {
    return this.request('POST', route, { key, body });
  }
  put(route: string, key: string | undefined, body: unknown) {
    return this.request('PUT', route, { key, body });
  }
  patch(route: string, key: string | undefined, body: unknown) {
    return this.request('PATCH', route, { key, body });
  }
  delete(route: string, key?: string) {
    return this.request('DELETE', route, { key });
  }

  /** Creates a user (as the operator) and answers its id and first key. */
  async newUser(adminKey: string, name: string): Promise<{ id: string; key: string; keyId: string }> {
    const answer = await this.post('/v1/users', adminKey, { name });
    if (answer.status !== 201) throw new Error(`could not create user ${name}: ${answer.status} ${answer.text}`);
    return { id: answer.body.user.id, key: answer.body.apiKey.key, keyId: answer.body.apiKey.id };
  }

  async newFunction(key: string, body: Record<string, unknown>): Promise<any> {
    const answer = await this.post('/v1/functions', key, body);
    if (answer.status !== 201) throw new Error(`could not create function: ${answer.status} ${answer.text}`);
    return answer.body;
  }

  /** Polls an execution until it is no longer queued or running. */
  async settled(executionId: string, key: string, timeoutMs = 20_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = await this.get(`/v1/executions/${executionId}`, key);
      if (answer.status !== 200) throw new Error(`execution ${executionId}: ${answer.status} ${answer.text}`);
      if (answer.body.status !== 'running' && answer.body.status !== 'queued') return answer.body;
      if (Date.now() > deadline) throw new Error(`execution ${executionId} still running`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
