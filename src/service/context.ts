// What every route plugin of the service is given: its configuration and collaborators.
import type { Attestor } from '../attestation/document.ts';
import type { SigningKey } from '../attestation/keys.ts';
import type { Executor } from '../executor/executor.ts';
import type { Store } from '../store/index.ts';
import type { ServiceConfig } from './config.ts';
import type { ExecutionRunner } from './executions/runner.ts';
import type { ServiceMetrics } from './metrics/metrics.ts';
import type { ScheduleTicker } from './schedules/ticker.ts';
import type { SecretVault } from './secrets/vault.ts';

export interface ServiceContext {
  config: ServiceConfig;
  store: Store;
  vault: SecretVault;
  executor: Executor;
  runner: ExecutionRunner;
  /** Fires the cron schedules' ticks; started and stopped with the runner. */
  ticker: ScheduleTicker;
  metrics: ServiceMetrics;
  /** This node's receipt-signing key and the maker of its attestation documents. */
  attestation: { key: SigningKey; attestor: Attestor };
  /** ready: false while starting and once shutting down (/ready answers 503); closing: new requests get 503. */
  lifecycle: { ready: boolean; closing: boolean };
}
