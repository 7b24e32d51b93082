// The OpenAPI document without a running service: the app is built with the default
// configuration around store, vault and executor stand-ins, and never listens. The document
// depends only on the routes and their schemas, so it is the same as `GET /openapi.json` of any
// server of this version (scripts/generate-client.ts writes it to the client's folder).
//
// Invariant: the stand-ins are never used: no request is served. Any use is a bug, and throws.
import type { Executor } from '../../executor/executor.ts';
import type { Store } from '../../store/index.ts';
import { buildApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import type { SecretVault } from '../secrets/vault.ts';

function unused<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get(_target, property) {
      // `then` is probed by await on any object; answering undefined says "not a promise".
      if (property === 'then') return undefined;
      throw new Error(`the OpenAPI document builder serves no requests (${what}.${String(property)})`);
    },
  });
}

export async function buildOpenApiDocument(): Promise<Record<string, unknown>> {
  const config = loadConfig([], {});
  const { app } = await buildApp({ config, store: unused<Store>('store'), vault: unused<SecretVault>('vault'), executor: unused<Executor>('executor') });
  try {
    return structuredClone(app.swagger()) as unknown as Record<string, unknown>;
  } finally {
    await app.close();
  }
}
