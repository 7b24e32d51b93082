// The one place the service makes its executor: the supervised process pool (guest code never
// runs in the server process), or, with --executors 0, the in-process engine for development.
import { Engine, type SecretStore } from '../core/index.ts';
import type { Executor } from '../executor/executor.ts';
import { ExecutorPool } from '../executor/index.ts';
import type { ServiceConfig } from './config.ts';

export async function createExecutor(config: ServiceConfig, secrets: SecretStore, log?: (line: string) => void): Promise<Executor> {
  const limits = {
    // Warm sandboxes are made for the default memory limit; most functions keep it.
    memoryMb: config.limits.defaultMemoryMb,
    timeoutMs: config.limits.defaultTimeoutMs,
    maxSourceBytes: config.limits.maxSourceBytes,
    maxParamsBytes: config.limits.maxParamsBytes,
  };
  const network = { ...config.network };
  // The runner signs each receipt after redaction, with the node's key: the executor signs none.
  if (config.executors === 0) return new Engine({ secrets, limits, network, signingKey: null });
  return ExecutorPool.start({
    secrets,
    processes: config.executors,
    sharing: config.executorSharing,
    engine: { limits, network },
    signingKey: null,
    ...(log ? { log } : {}),
  });
}
