// Starting and stopping the whole service: data directory, store, master key, operator key,
// executor, app, durable queue, listening socket; and the reverse, draining executions, on
// shutdown. `teejs serve` and the tests use it.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { Executor } from '../executor/executor.ts';
import { openStore, sqliteFileName, type Store } from '../store/index.ts';
import { buildApp, type ServiceApp } from './app.ts';
import { generateApiKey } from './auth/keys.ts';
import type { ServiceConfig } from './config.ts';
import { lockDataDir, prepareDataDir } from './data-dir.ts';
import { NodeRegistration } from './node.ts';
import { createExecutor } from './executor.ts';
import { SecretCipher } from './secrets/cipher.ts';
import { loadMasterKey, verifyMasterKey, type MasterKey } from './secrets/master-key.ts';
import { SecretVault } from './secrets/vault.ts';
import { loadNodeSigningKey, type NodeSigningKey } from './attestation/signing-key.ts';
import type { Attestor } from '../attestation/document.ts';

export interface RunningService extends ServiceApp {
  url: string;
  /** The operator key made at this (first) start: shown once, never again. */
  bootstrapAdminKey: string | undefined;
  masterKey: Omit<MasterKey, 'key'>;
  /** This node's receipt-signing key: its id, where it came from, whether this start made it. */
  signingKey: { keyId: string; publicKey: string } & Omit<NodeSigningKey, 'key'>;
  store: Store;
  storeDescription: string;
  /** Executions a previous run left unfinished, now ended as INTERRUPTED. */
  interrupted: number;
  node: NodeRegistration;
  /** Graceful stop: refuse new requests, let running executions finish (within the grace), close. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Logs as pino JSON lines; silent when absent. */
  logger?: pino.Logger;
  /** An executor to use instead of the configured one (tests). */
  executor?: Executor;
  /** Attestation documents over a fake configfs-tsm tree (tests). */
  attestor?: Attestor;
}

export async function startService(config: ServiceConfig, options: StartOptions = {}): Promise<RunningService> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const undo = async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
  };
  try {
    prepareDataDir(config.dataDir);
    const unlock = config.databaseUrl ? () => {} : lockDataDir(config.dataDir);
    cleanups.push(unlock);
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    cleanups.push(() => store.close());

    const masterKey = loadMasterKey({ fromEnvironment: config.masterKey, dataDir: config.dataDir });
    const cipher = new SecretCipher(masterKey.key);
    masterKey.key.fill(0);
    await verifyMasterKey(store, cipher);
    const vault = new SecretVault(store, cipher);
    const nodeKey = await loadNodeSigningKey(store, cipher, { nodeId: config.nodeId, fromEnvironment: config.signingKey, rotate: config.rotateSigningKey });

    const bootstrapAdminKey = await bootstrapOperatorKey(store, config);
    const logger = options.logger;
    const executor = options.executor ?? (await createExecutor(config, vault, logger ? (line) => logger.warn(line) : undefined));
    if (!options.executor) cleanups.push(() => executor.close());

    const service = await buildApp({ config, store, vault, executor, signingKey: nodeKey.key, ...(options.attestor ? { attestor: options.attestor } : {}), logger: logger ?? false });
    const { app, context } = service;
    cleanups.push(() => app.close());
    // Before anything is settled under this id: a live node holding it is refused here.
    const node = await NodeRegistration.register(store, { nodeId: config.nodeId, version: service.version, slots: config.concurrency, leaseMs: config.leaseMs, ...(logger ? { log: logger } : {}) });
    cleanups.push(() => node.stop());
    const interrupted = await context.runner.start(node);
    cleanups.push(() => context.runner.stop(0));
    context.ticker.start();
    cleanups.push(() => context.ticker.stop());
    const address = await app.listen({ host: config.host, port: config.port });
    context.lifecycle.ready = true;

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        // From here /ready answers 503 and new API requests a 503, while the listener stays
        // open so load balancers and clients can see it.
        context.lifecycle.ready = false;
        context.lifecycle.closing = true;
        // The other nodes (or the next start) fire the coming ticks.
        context.ticker.stop();
        // Takes no more queued work (peers are told at once) and keeps the leases of what runs
        // here alive until it ends or the grace passes; only then does anything close.
        await context.runner.drain(config.shutdownGraceMs);
        // After the grace, executions still running are already recorded INTERRUPTED; closing
        // the executor ends them, which lets the sync requests waiting for them answer.
        if (!options.executor) await executor.close();
        await app.close();
        await context.runner.close();
        await node.stop().catch((error: unknown) => logger?.warn({ err: error }, 'could not record the node as stopped'));
        await store.close();
        unlock();
      })();
      return stopping;
    };

    const { key: _key, ...masterKeyInfo } = masterKey;
    const { key: signingKey, ...signingKeyInfo } = nodeKey;
    return {
      ...service,
      url: address.replace('[::1]', 'localhost'),
      bootstrapAdminKey,
      masterKey: masterKeyInfo,
      signingKey: { keyId: signingKey.keyId, publicKey: signingKey.publicKey, ...signingKeyInfo },
      store,
      storeDescription: config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `SQLite ${config.dataDir}/${sqliteFileName}`,
      interrupted,
      node,
      stop,
    };
  } catch (error) {
    await undo();
    throw error;
  }
}

/**
 * With no TEEJS_ADMIN_KEY and no operator key in the store yet (a first start), makes one.
 * It is shown once; afterwards only its hash exists.
 */
async function bootstrapOperatorKey(store: Store, config: ServiceConfig): Promise<string | undefined> {
  if (config.adminKey !== undefined) return undefined;
  if ((await store.countAdminKeys()) > 0) return undefined;
  const generated = generateApiKey();
  // A marker setting makes two servers starting at once on one database agree on one key.
  const claimed = await store.initSetting('bootstrap_admin_key', generated.prefix);
  if (claimed !== generated.prefix) return undefined;
  await store.createApiKey({ id: randomUUID(), userId: null, role: 'admin', name: 'bootstrap', prefix: generated.prefix, hash: generated.hash, createdAt: new Date().toISOString() });
  return generated.key;
}
