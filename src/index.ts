// The package's entry (`import … from 'teejs'`): what a program embedding teejs needs.
// ExecutorPool runs guests in supervised executor processes (what untrusted code should get);
// Engine is the same API in-process, for tests and trusted code. Everything else under src/ is
// internal and may change without notice.
import './node-version.ts';

export { ExecutorPool, type ExecutorPoolOptions, type ExecutorPoolStats, type Executor } from './executor/index.ts';
export {
  Engine,
  BoundedLog,
  InMemorySecretStore,
  defaultLimits,
  limitBounds,
  type EngineOptions,
  type SandboxSource,
  type SecretStore,
  type Limits,
} from './core/index.ts';
export type * from './core/types.ts';
